"""`flask demo`: a bilingual co-op to explore, made once and only where it is wanted."""
from sqlalchemy import select

from app.accounts.models import User
from app.core.events import Event
from app.core.extensions import db
from app.groups import policy
from app.web.demo import DEMO_PASSWORD
from app.groups.models import Group, Membership
from tests.groups.helpers import count, group


def roles(slug) -> dict[str, str]:
    g = group(slug)
    rows = db.session.execute(
        select(User.handle, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == g.id, Membership.left_at.is_(None))
    ).all()
    return dict(rows)


def test_demo_creates_the_co_op_its_members_and_working_group(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output and "/g/sunshine" in result.output
    with app.app_context():
        assert roles("sunshine") == {"minji": "admin", "sam": "facilitator", "jiho": "member", "hana": "member",
                                     "alex": "member"}
        assert roles("care-circle") == {"sam": "admin", "hana": "member", "alex": "member"}
        assert group("care-circle").parent_id == group("sunshine").id
        hana = db.session.scalar(select(User).where(User.handle == "hana"))
        assert policy.membership(hana, group("sunshine")).capacity_percent == 50
        assert {"group.created", "working_group.created", "member.joined"} <= set(
            db.session.scalars(select(Event.kind).where(Event.group_id == group("sunshine").id))
        )


def test_demo_people_can_log_in_with_the_printed_password(runner, client, auth):
    runner.invoke(args=["demo"])
    assert auth.login("minji@demo.canoe", DEMO_PASSWORD).status_code == 302
    assert "Care circle" in client.get("/g/sunshine").get_data(as_text=True)


def test_demo_if_empty_does_nothing_on_a_database_with_users(app, runner, make_user):
    make_user("someone")
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert DEMO_PASSWORD not in result.output
    with app.app_context():
        assert (count(User), count(Group)) == (1, 0)


def test_demo_if_empty_fills_an_empty_database(app, runner):
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0
    with app.app_context():
        assert group("sunshine") is not None


def test_demo_twice_does_not_duplicate(app, runner):
    runner.invoke(args=["demo"])
    with app.app_context():
        before = count(User), count(Group), count(Membership), count(Event)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "already here" in result.output
    with app.app_context():
        assert (count(User), count(Group), count(Membership), count(Event)) == before
