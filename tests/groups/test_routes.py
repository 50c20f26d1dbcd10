"""Group pages: what they show, and bad input on every form (a clear message, nothing saved)."""
import html
import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.events import Event
from app.core.extensions import db
from app.groups import policy, services
from app.groups.models import Group, Membership
from tests.groups.helpers import count, group, kinds

LONG_NAME = "n" * 121
LONG_TEXT = "d" * 10_001


def snapshot(app):
    """Everything a refused form must leave as it was."""
    with app.app_context():
        coop = group("coop")
        memberships = db.session.execute(
            select(Membership.id, Membership.role, Membership.capacity_percent, Membership.left_at).order_by(Membership.id)
        ).all()
        return (count(Group), count(Event), memberships,
                (coop.name, coop.description_md, coop.visibility, coop.timezone, coop.locale))


def membership_id(app, user, slug="coop"):
    with app.app_context():
        return policy.membership(db.session.get(User, user.id), group(slug)).id


@pytest.fixture
def admin(client, auth, cast):
    auth.login(cast.admin)
    return cast


# ---------------------------------------------------------------- what the pages show


def test_the_timeline_tells_membership_in_sentences(client, admin):
    page = client.get("/g/coop/timeline").get_data(as_text=True)
    for sentence in (
        "Coopadmin started Coop Co-op.",
        "Coopadmin made an invitation link.",
        "Coopfac joined as facilitator.",
        "Coopmember joined as member.",
    ):
        assert sentence in page


def test_the_timeline_tells_role_capacity_and_leaving_in_sentences(app, client, admin):
    member_id = membership_id(app, admin.member)
    client.post(f"/g/coop/members/{member_id}/capacity", data={"capacity_percent": "40"})
    client.post(f"/g/coop/members/{member_id}/role", data={"role": "facilitator"})
    client.post(f"/g/coop/members/{membership_id(app, admin.facilitator)}/remove")
    page = html.unescape(client.get("/g/coop/timeline").get_data(as_text=True))
    assert "Coopmember's care-work capacity is now 40%." in page
    assert "Coopadmin made Coopmember facilitator." in page
    assert "Coopadmin removed Coopfac from the group." in page


def test_group_home_is_in_korean_for_a_korean_reader(client, auth, make_user, cast, app):
    auth.login(cast.admin)
    client.post("/language", data={"lang": "ko"})
    assert "<html lang=\"ko\"" in client.get("/g/coop").get_data(as_text=True)


def test_members_page_lists_members_with_their_roles(app, client, admin):
    page = client.get("/g/coop/members").get_data(as_text=True)
    for person, role in ((admin.admin, "admin"), (admin.facilitator, "facilitator"), (admin.member, "member")):
        item = re.search(rf'<li id="member-{membership_id(app, person)}">(.*?)</li>', page, re.S).group(1)
        assert person.display_name in item and f"@{person.handle}" in item
        assert re.search(rf'<span class="badge[^"]*">{role}</span>', item)
    assert admin.outsider.display_name not in page
    assert "3 members" in page


def test_members_page_leaves_out_people_who_left(app, client, auth, cast):
    auth.login(cast.member)
    client.post("/g/coop/leave")
    auth.logout()
    auth.login(cast.admin)
    assert cast.member.display_name not in client.get("/g/coop/members").get_data(as_text=True)


def test_settings_save_changes_and_record_group_updated(app, client, admin):
    data = {"name": "Sunshine", "description": "We **cook**.", "visibility": "public", "timezone": "Europe/Berlin", "locale": "ko"}
    response = client.post("/g/coop/settings", data=data)
    assert response.status_code == 302
    with app.app_context():
        coop = group("coop")
        assert (coop.name, coop.visibility, coop.timezone, coop.locale) == ("Sunshine", "public", "Europe/Berlin", "ko")
        assert coop.description_html == "<p>We <strong>cook</strong>.</p>"
        assert kinds(coop)[-1] == "group.updated"
    assert "Coopadmin changed the group settings." in client.get("/g/coop/timeline").get_data(as_text=True)


def test_settings_page_shows_the_current_description(client, admin):
    assert "We share the work." in client.get("/g/coop/settings").get_data(as_text=True)


def test_my_groups_lists_co_ops_before_their_working_groups(app, client, auth, make_user):
    person = make_user("minji")
    with app.test_request_context():
        me = db.session.get(User, person.id)
        for coop_name, coop_slug, circle_name in (("Zeta Co-op", "zeta", "Alpha circle"), ("Beta Co-op", "beta", "Aardvark team")):
            coop = services.create_group(me, coop_name, coop_slug, "", "private")
            services.create_group(me, circle_name, f"{coop_slug}-circle", "", "private", coop)
    auth.login(person)
    page = client.get("/groups").get_data(as_text=True)
    main = page[page.index("<h1>"):]
    order = sorted(["Zeta Co-op", "Alpha circle", "Beta Co-op", "Aardvark team"], key=main.index)
    assert order.index("Zeta Co-op") < order.index("Alpha circle")
    assert order.index("Beta Co-op") < order.index("Aardvark team")
    # each co-op's working groups come right after it, not mixed into the other co-op
    assert order in (["Zeta Co-op", "Alpha circle", "Beta Co-op", "Aardvark team"],
                     ["Beta Co-op", "Aardvark team", "Zeta Co-op", "Alpha circle"])


def test_my_groups_offers_public_groups_i_am_not_in(client, auth, make_cast):
    cast = make_cast("open", "public")
    make_cast("closed", "private")
    auth.login(make_cast("mine", "private").member)
    page = client.get("/groups").get_data(as_text=True)
    assert "Open Co-op" in page and "Closed Co-op" not in page


# ---------------------------------------------------------------- bad input: new group


GOOD_GROUP = {"name": "Bakery", "slug": "bakery", "description": "", "visibility": "public"}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Give the group a name."),
        ({"name": "   "}, "Give the group a name."),
        ({"name": LONG_NAME}, "A name is at most 120 characters."),
        ({"description": LONG_TEXT}, "Keep the description under 10,000 characters."),
        ({"slug": "coop"}, "That address is taken."),
        ({"slug": "Hello World"}, "An address uses only Latin letters a–z, digits and single hyphens."),
        ({"slug": "-x"}, "An address uses only Latin letters a–z, digits and single hyphens."),
        ({"slug": "a--b"}, "An address uses only Latin letters a–z, digits and single hyphens."),
        ({"slug": "x"}, "An address is 2–60 characters."),
        ({"slug": "x" * 61}, "An address is 2–60 characters."),
        ({"visibility": "secret"}, "Not a valid choice"),
    ],
)
def test_new_group_with_bad_input_shows_a_message_and_saves_nothing(app, client, admin, changes, message):
    before = snapshot(app)
    response = client.post("/groups/new", data=GOOD_GROUP | changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_new_group_with_good_input_is_created(app, client, admin):
    response = client.post("/groups/new", data=GOOD_GROUP)
    assert response.status_code == 302 and response.headers["Location"].endswith("/g/bakery")
    with app.app_context():
        assert policy.membership(db.session.get(User, admin.admin.id), group("bakery")).role == "admin"


# ---------------------------------------------------------------- bad input: new working group


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Give the group a name."),
        ({"name": LONG_NAME}, "A name is at most 120 characters."),
        ({"description": LONG_TEXT}, "Keep the description under 10,000 characters."),
        ({"slug": "coop"}, "That address is taken."),
        ({"slug": "Hello World"}, "An address uses only Latin letters a–z, digits and single hyphens."),
        ({"slug": "a--b"}, "An address uses only Latin letters a–z, digits and single hyphens."),
        ({"visibility": ""}, "Not a valid choice"),
    ],
)
def test_new_working_group_with_bad_input_shows_a_message_and_saves_nothing(app, client, admin, changes, message):
    before = snapshot(app)
    response = client.post("/g/coop/working-groups/new", data=GOOD_GROUP | changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


# ---------------------------------------------------------------- bad input: settings


GOOD_SETTINGS = {"name": "Coop Co-op", "description": "We share the work.", "visibility": "private",
                 "timezone": "Asia/Seoul", "locale": "en"}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Give the group a name."),
        ({"name": LONG_NAME}, "A name is at most 120 characters."),
        ({"description": LONG_TEXT}, "Keep the description under 10,000 characters."),
        ({"visibility": "secret"}, "Not a valid choice"),
        ({"timezone": "Mars/Olympus"}, "a time zone we know."),
        ({"locale": "fr"}, "Not a valid choice"),
    ],
)
def test_settings_with_bad_input_show_a_message_and_save_nothing(app, client, admin, changes, message):
    before = snapshot(app)
    response = client.post("/g/coop/settings", data=GOOD_SETTINGS | changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_settings_posted_with_fields_left_out_keep_their_values(app, client, admin):
    before = snapshot(app)
    assert client.post("/g/coop/settings", data={}).status_code == 302
    assert client.post("/g/coop/settings", data={"name": "Coop Co-op"}).status_code == 302
    assert snapshot(app) == before


# ---------------------------------------------------------------- bad input: members


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("role", {"role": "owner"}, "Choose member, facilitator or admin."),
        ("role", {}, "Choose member, facilitator or admin."),
        ("capacity", {"capacity_percent": "5"}, "Enter a capacity between 10 and 100."),
        ("capacity", {"capacity_percent": "101"}, "Enter a capacity between 10 and 100."),
        ("capacity", {"capacity_percent": "x"}, "Enter a capacity between 10 and 100."),
        ("capacity", {"capacity_percent": ""}, "Enter a capacity between 10 and 100."),
        ("capacity", {"capacity_percent": "50.5"}, "Enter a capacity between 10 and 100."),
    ],
)
def test_bad_role_or_capacity_shows_a_message_and_saves_nothing(app, client, admin, action, data, message):
    before = snapshot(app)
    response = client.post(f"/g/coop/members/{membership_id(app, admin.member)}/{action}", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_demoting_the_last_admin_shows_a_message_and_saves_nothing(app, client, admin):
    before = snapshot(app)
    response = client.post(f"/g/coop/members/{membership_id(app, admin.admin)}/role", data={"role": "member"},
                           follow_redirects=True)
    assert "A group needs at least one admin." in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_last_admin_leaving_by_the_page_is_refused_with_a_message(app, client, admin):
    before = snapshot(app)
    response = client.post("/g/coop/leave", follow_redirects=True)
    assert "A group needs at least one admin." in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("action, data", [("role", {"role": "member"}), ("capacity", {"capacity_percent": "50"}), ("remove", {})])
def test_unknown_or_foreign_membership_is_404(app, client, admin, make_cast, action, data):
    other = make_cast("other", "public")
    foreign = membership_id(app, other.member, "other")
    before = snapshot(app)
    for bad_id in (999_999, foreign):
        assert client.post(f"/g/coop/members/{bad_id}/{action}", data=data).status_code == 404
    assert client.post(f"/g/coop/members/abc/{action}", data=data).status_code == 404
    assert snapshot(app) == before


def test_a_membership_that_ended_is_404(app, client, auth, cast):
    ended = membership_id(app, cast.member)
    auth.login(cast.member)
    client.post("/g/coop/leave")
    auth.logout()
    auth.login(cast.admin)
    assert client.post(f"/g/coop/members/{ended}/role", data={"role": "admin"}).status_code == 404
