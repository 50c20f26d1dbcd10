"""Invitation links: hashed tokens, expiry, revoking, use limits, joining (and registering) by link."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import User
from app.core.database import utcnow
from app.core.errors import Missing, NotAllowed, Refused
from app.core.extensions import db
from app.groups import policy, services
from app.groups.models import Invitation, Membership
from tests.conftest import PASSWORD
from tests.groups.helpers import count, group, last_event


def make_link(app, slug="coop", role="member", max_uses=None, by=None) -> str:
    """A fresh invitation link's token, made by the group's creator (or `by`)."""
    with app.test_request_context():
        g = group(slug)
        maker = db.session.get(User, by.id if by else g.created_by_id)
        _, token = services.create_invitation(maker, g, role, 7, max_uses)
    return token


def change_invitation(app, token, **values):
    with app.app_context():
        db.session.execute(
            Invitation.__table__.update()
            .where(Invitation.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(**values)
        )
        db.session.commit()


def registration(handle="newbie", email=None, **changes):
    data = {
        "reg-email": email or f"{handle}@example.org",
        "reg-display_name": "New Person",
        "reg-handle": handle,
        "reg-password": PASSWORD,
        "reg-confirm": PASSWORD,
    }
    data.update({f"reg-{k}": v for k, v in changes.items()})
    return data


def counts(app):
    with app.app_context():
        return count(User), count(Membership), db.session.scalar(select(func.sum(Invitation.uses)))


# ---------------------------------------------------------------- the service


def test_token_is_stored_only_hashed(coop):
    invitation, token = services.create_invitation(coop.admin, coop.group, "member", 7, None)
    row = db.session.execute(text("SELECT * FROM invitations WHERE id = :id"), {"id": invitation.id}).one()
    assert not any(token in str(value) for value in row)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_invitation_created_event_points_at_the_invitation(coop):
    invitation, _ = services.create_invitation(coop.admin, coop.group, "facilitator", 7, None)
    event = last_event(coop.group)
    assert (event.kind, event.target_type, event.target_id) == ("invitation.created", "invitation", invitation.id)
    assert event.payload == {"role": "facilitator"}


def test_links_are_random(coop):
    tokens = {services.create_invitation(coop.admin, coop.group, "member", 7, None)[1] for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 32 for t in tokens)


def test_invitation_joins_with_its_role(coop):
    _, token = services.create_invitation(coop.admin, coop.group, "facilitator", 7, None)
    services.accept_invitation(coop.outsider, token)
    assert policy.membership(coop.outsider, coop.group).role == "facilitator"


def test_expired_link_is_refused(coop):
    invitation, token = services.create_invitation(coop.admin, coop.group, "member", 1, None)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Refused, match="expired"):
        services.accept_invitation(coop.outsider, token)
    assert policy.membership(coop.outsider, coop.group) is None


def test_revoked_link_is_refused(coop):
    invitation, token = services.create_invitation(coop.admin, coop.group, "member", 7, None)
    services.revoke_invitation(coop.admin, coop.group, invitation.id)
    with pytest.raises(Refused, match="revoked"):
        services.accept_invitation(coop.outsider, token)
    assert policy.membership(coop.outsider, coop.group) is None


def test_one_use_link_refuses_the_second_person(coop, make_user):
    second = db.session.merge(make_user("second"))
    invitation, token = services.create_invitation(coop.admin, coop.group, "member", 7, 1)
    services.accept_invitation(coop.outsider, token)
    with pytest.raises(Refused, match="used as many times"):
        services.accept_invitation(second, token)
    assert policy.membership(second, coop.group) is None
    assert invitation.uses == 1


def test_same_person_cannot_use_a_link_twice(coop):
    invitation, token = services.create_invitation(coop.admin, coop.group, "member", 7, None)
    services.accept_invitation(coop.outsider, token)
    with pytest.raises(Refused, match="already a member"):
        services.accept_invitation(coop.outsider, token)
    assert invitation.uses == 1
    assert count(Membership, Membership.user_id == coop.outsider.id) == 1


def test_unknown_token_is_not_found(coop):
    with pytest.raises(Missing):
        services.accept_invitation(coop.outsider, "no-such-token")


@pytest.mark.parametrize("days, max_uses", [(0, None), (366, None), (7, 0), (7, 1001)])
def test_out_of_range_days_or_uses_are_refused(coop, days, max_uses):
    before = count(Invitation)
    with pytest.raises(Refused):
        services.create_invitation(coop.admin, coop.group, "member", days, max_uses)
    assert count(Invitation) == before


@pytest.mark.parametrize("role", ["member", "facilitator", "outsider"])
def test_only_admins_make_or_revoke_invitations(coop, role):
    invitation, _ = services.create_invitation(coop.admin, coop.group, "member", 7, None)
    with pytest.raises(NotAllowed):
        services.create_invitation(coop.person(role), coop.group, "member", 7, None)
    with pytest.raises(NotAllowed):
        services.revoke_invitation(coop.person(role), coop.group, invitation.id)
    assert invitation.revoked_at is None


def test_revoking_an_invitation_of_another_group_is_not_found(coop):
    other = services.create_group(coop.outsider, "Bakery", "bakery", "", "public")
    invitation, _ = services.create_invitation(coop.outsider, other, "member", 7, None)
    with pytest.raises(Missing):
        services.revoke_invitation(coop.admin, coop.group, invitation.id)
    assert invitation.revoked_at is None


# ---------------------------------------------------------------- the join page


def test_unknown_link_is_404(client, cast):
    assert client.get("/join/no-such-token").status_code == 404
    assert client.post("/join/no-such-token").status_code == 404


@pytest.mark.parametrize(
    "values, message",
    [
        ({"expires_at": utcnow() - timedelta(minutes=1)}, "This invitation link has expired"),
        ({"revoked_at": utcnow()}, "This invitation link has been revoked"),
        ({"max_uses": 1, "uses": 1}, "used as many times as it allows"),
    ],
    ids=["expired", "revoked", "used-up"],
)
def test_unusable_link_shows_410_with_a_clear_message(app, client, auth, cast, values, message):
    token = make_link(app)
    change_invitation(app, token, **values)
    before = counts(app)
    page = client.get(f"/join/{token}")
    assert page.status_code == 410 and message in page.get_data(as_text=True)
    assert 'name="reg-email"' not in page.get_data(as_text=True)
    assert client.post(f"/join/{token}", data=registration()).status_code == 410
    auth.login(cast.outsider)
    response = client.post(f"/join/{token}")
    assert response.status_code == 410
    assert message in response.get_data(as_text=True)
    assert counts(app) == before


def test_logged_in_person_joins_by_pressing_join(app, client, auth, cast):
    token = make_link(app, role="facilitator")
    auth.login(cast.outsider)
    assert "Join" in client.get(f"/join/{token}").get_data(as_text=True)
    response = client.post(f"/join/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/g/coop")
    with app.app_context():
        assert policy.membership(db.session.get(User, cast.outsider.id), group("coop")).role == "facilitator"


def test_using_a_link_twice_as_the_same_person_is_refused(app, client, auth, cast):
    token = make_link(app)
    auth.login(cast.member)
    before = counts(app)
    assert "already a member" in client.get(f"/join/{token}").get_data(as_text=True)
    response = client.post(f"/join/{token}")
    assert response.status_code == 422
    assert "already a member" in response.get_data(as_text=True)
    assert counts(app) == before


def test_one_use_link_refuses_a_second_person_on_the_page(app, client, auth, cast):
    token = make_link(app, max_uses=1)
    auth.login(cast.outsider)
    assert client.post(f"/join/{token}").status_code == 302
    auth.logout()
    response = client.post(f"/join/{token}", data=registration())
    assert response.status_code == 410
    with app.app_context():
        assert count(User, User.handle == "newbie") == 0


def test_joining_by_link_logged_out_registers_and_joins_in_one_go(app, client, cast):
    token = make_link(app)
    page = client.get(f"/join/{token}").get_data(as_text=True)
    assert 'name="reg-email"' in page
    response = client.post(f"/join/{token}", data=registration(email="New.Person@Example.org"))
    assert response.status_code == 302
    with app.app_context():
        newbie = db.session.scalar(select(User).where(User.handle == "newbie"))
        assert newbie.email == "new.person@example.org"
        assert policy.membership(newbie, group("coop")).role == "member"
    assert client.get("/g/coop").status_code == 200  # and they are logged in


@pytest.mark.parametrize(
    "data, message",
    [
        (registration(email="COOPMEMBER@example.org"), "already exists"),
        (registration(handle="bad handle!"), "Use only letters, digits or Hangul"),
        (registration(handle="coopmember", email="fresh@example.org"), "handle is taken"),
        (registration(confirm="something else"), "The two passwords differ"),
        (registration(email="not-an-email"), "look like an email"),
        (registration(password="short", confirm="short"), "8–200 characters"),
        (registration(display_name=""), "Tell us your name"),
    ],
    ids=["duplicate-email-other-case", "bad-handle", "taken-handle", "passwords-differ", "bad-email",
         "short-password", "no-name"],
)
def test_inline_registration_with_bad_input_creates_nothing(app, client, cast, data, message):
    token = make_link(app)
    before = counts(app)
    response = client.post(f"/join/{token}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts(app) == before
    assert client.get("/g/coop").location == "/login?next=/g/coop"  # nobody was logged in


@pytest.fixture
def circle_token(app, cast):
    """A link to a private working group inside the co-op."""
    with app.test_request_context():
        facilitator = db.session.get(User, cast.facilitator.id)
        services.create_group(facilitator, "Care circle", "care", "", "private", group("coop"))
    return make_link(app, "care", by=cast.facilitator)


def test_working_group_link_is_refused_before_any_account_is_made(app, client, circle_token):
    before = counts(app)
    page = client.get(f"/join/{circle_token}").get_data(as_text=True)
    assert "Join Coop Co-op first" in page
    assert 'name="reg-email"' not in page
    response = client.post(f"/join/{circle_token}", data=registration())
    assert response.status_code == 422
    assert "Join Coop Co-op first" in response.get_data(as_text=True)
    assert counts(app) == before


def test_working_group_link_is_refused_for_a_logged_in_outsider(app, client, auth, cast, circle_token):
    auth.login(cast.outsider)
    before = counts(app)
    response = client.post(f"/join/{circle_token}")
    assert response.status_code == 422
    assert "Join Coop Co-op first" in response.get_data(as_text=True)
    assert counts(app) == before


def test_working_group_link_lets_a_logged_out_co_op_member_log_in(client, circle_token):
    page = client.get(f"/join/{circle_token}").get_data(as_text=True)
    assert f'/login?next=/join/{circle_token}' in page


def test_working_group_link_works_for_a_co_op_member(app, client, auth, cast, circle_token):
    auth.login(cast.member)
    assert client.post(f"/join/{circle_token}").status_code == 302
    with app.app_context():
        assert policy.membership(db.session.get(User, cast.member.id), group("care")) is not None


# ---------------------------------------------------------------- the invitations page


def test_admin_makes_a_link_that_is_shown_once_and_works(app, client, auth, cast):
    auth.login(cast.admin)
    response = client.post("/g/coop/invitations", data={"role": "member", "days": "7", "max_uses": "2", "note": "for Jiho"})
    assert response.status_code == 200
    link = re.search(r'value="(http://[^"]+/join/[^"]+)"', response.get_data(as_text=True)).group(1)
    token = link.rsplit("/", 1)[1]
    listing = client.get("/g/coop/invitations").get_data(as_text=True)
    assert "for Jiho" in listing and token not in listing
    auth.logout()
    auth.login(cast.outsider)
    assert client.post(f"/join/{token}").status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.note == "for Jiho"))
        assert (invitation.uses, invitation.max_uses, invitation.role) == (1, 2, "member")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"days": ""}, "How many days"),
        ({"days": "abc"}, "How many days"),
        ({"days": "0"}, "How many days"),
        ({"days": "366"}, "1 to 365 days"),
        ({"days": "-3"}, "1 to 365 days"),
        ({"max_uses": "0"}, "Allow 1 to 1000 uses"),
        ({"max_uses": "1001"}, "Allow 1 to 1000 uses"),
        ({"max_uses": "many"}, "Not a valid integer"),
        ({"role": "owner"}, "Not a valid choice"),
        ({"note": "n" * 121}, "under 120 characters"),
    ],
)
def test_bad_invitation_form_is_refused_and_saves_nothing(app, client, auth, cast, changes, message):
    auth.login(cast.admin)
    with app.app_context():
        before = count(Invitation)
    data = {"role": "member", "days": "7", "max_uses": "", "note": ""} | changes
    response = client.post("/g/coop/invitations", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "/join/" not in response.get_data(as_text=True)
    with app.app_context():
        assert count(Invitation) == before


def test_revoking_by_the_page_stops_the_link(app, client, auth, cast):
    token = make_link(app)
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id).order_by(Invitation.id.desc()))
    auth.login(cast.admin)
    assert client.post(f"/g/coop/invitations/{invitation_id}/revoke").status_code == 302
    assert "revoked" in client.get("/g/coop/invitations").get_data(as_text=True)
    auth.logout()
    assert client.get(f"/join/{token}").status_code == 410


def test_revoking_an_unknown_or_foreign_invitation_is_404(app, client, auth, cast, make_cast):
    other = make_cast("other", "public")
    make_link(app, "other")
    with app.app_context():
        foreign_id = db.session.scalar(
            select(Invitation.id).where(Invitation.group_id == other.group.id).order_by(Invitation.id.desc())
        )
    auth.login(cast.admin)
    assert client.post("/g/coop/invitations/999999/revoke").status_code == 404
    assert client.post(f"/g/coop/invitations/{foreign_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(Invitation, foreign_id).revoked_at is None
