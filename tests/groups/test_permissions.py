"""Who may open which group page: every route × every role × private and public groups.

Private groups don't exist for outsiders (404, never 403); an anonymous visitor is sent to log in,
for a private group exactly as for one that doesn't exist. Public groups are readable by anyone;
only admins change settings, members and invitations.
"""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.events import Event
from app.core.extensions import db
from app.groups import services
from app.groups.models import Group, Invitation, Membership
from tests.conftest import ROLES
from tests.groups.helpers import count, group

LOGIN = "login"  # redirected to the login page, exactly as for a group that doesn't exist

SETTINGS = {"name": "Renamed", "description": "", "visibility": "private", "timezone": "Asia/Seoul", "locale": "en"}
ROUTES = {
    "home": ("GET", "/g/{slug}", {}),
    "members": ("GET", "/g/{slug}/members", {}),
    "settings": ("GET", "/g/{slug}/settings", {}),
    "save settings": ("POST", "/g/{slug}/settings", SETTINGS),
    "invitations": ("GET", "/g/{slug}/invitations", {}),
    "make invitation": ("POST", "/g/{slug}/invitations", {"role": "member", "days": "7"}),
    "revoke invitation": ("POST", "/g/{slug}/invitations/{invitation}/revoke", {}),
    "change role": ("POST", "/g/{slug}/members/{membership}/role", {"role": "facilitator"}),
    "set capacity": ("POST", "/g/{slug}/members/{membership}/capacity", {"capacity_percent": "50"}),
    "remove member": ("POST", "/g/{slug}/members/{membership}/remove", {}),
    "add member": ("POST", "/g/{slug}/members/add", {"user_id": "{outsider}"}),
    "join": ("POST", "/g/{slug}/join", {}),
    "leave": ("POST", "/g/{slug}/leave", {}),
    "new working group": ("GET", "/g/{slug}/working-groups/new", {}),
    "start working group": ("POST", "/g/{slug}/working-groups/new", {"name": "Kitchen", "slug": "kitchen", "visibility": "private"}),
    "my groups": ("GET", "/groups", {}),
    "new group": ("GET", "/groups/new", {}),
    "start group": ("POST", "/groups/new", {"name": "Bakery", "slug": "bakery", "visibility": "public"}),
}

# The member's own membership is the target of "change role", "set capacity" and "remove member":
# a member may set their own capacity, nothing else. "add member" and "join" are for working
# groups only (403 on a co-op). "leave" by the last admin or by a non-member is refused with a
# message on the members page (302).
#                         anonymous  outsider  member  facilitator  admin
PRIVATE = {
    "home":                 (LOGIN, 404,      200,    200,         200),
    "members":              (LOGIN, 404,      200,    200,         200),
    "settings":             (LOGIN, 404,      403,    403,         200),
    "save settings":        (LOGIN, 404,      403,    403,         302),
    "invitations":          (LOGIN, 404,      403,    403,         200),
    "make invitation":      (LOGIN, 404,      403,    403,         200),
    "revoke invitation":    (LOGIN, 404,      403,    403,         302),
    "change role":          (LOGIN, 404,      403,    403,         302),
    "set capacity":         (LOGIN, 404,      302,    403,         302),
    "remove member":        (LOGIN, 404,      403,    403,         302),
    "add member":           (LOGIN, 404,      403,    403,         403),
    "join":                 (LOGIN, 404,      403,    403,         403),
    "leave":                (LOGIN, 404,      302,    302,         302),
    "new working group":    (LOGIN, 404,      403,    200,         200),
    "start working group":  (LOGIN, 404,      403,    302,         302),
    "my groups":            (LOGIN, 200,      200,    200,         200),
    "new group":            (LOGIN, 200,      200,    200,         200),
    "start group":          (LOGIN, 302,      302,    302,         302),
}
PUBLIC = PRIVATE | {
    "home":                 (200,   200,      200,    200,         200),
    "members":              (200,   200,      200,    200,         200),
    "settings":             (LOGIN, 403,      403,    403,         200),
    "save settings":        (LOGIN, 403,      403,    403,         302),
    "invitations":          (LOGIN, 403,      403,    403,         200),
    "make invitation":      (LOGIN, 403,      403,    403,         200),
    "revoke invitation":    (LOGIN, 403,      403,    403,         302),
    "change role":          (LOGIN, 403,      403,    403,         302),
    "set capacity":         (LOGIN, 403,      302,    403,         302),
    "remove member":        (LOGIN, 403,      403,    403,         302),
    "add member":           (LOGIN, 403,      403,    403,         403),
    "join":                 (LOGIN, 403,      403,    403,         403),
    "leave":                (LOGIN, 302,      302,    302,         302),
    "new working group":    (LOGIN, 403,      403,    200,         200),
    "start working group":  (LOGIN, 403,      403,    302,         302),
}
CASES = [
    pytest.param(visibility, route, role, table[route][i], id=f"{visibility}-{route}-{role}")
    for visibility, table in (("private", PRIVATE), ("public", PUBLIC))
    for route in ROUTES
    for i, role in enumerate(ROLES)
]


def ids_for(app, cast) -> dict:
    """The ids the routes need: an invitation of the cast's group, the member's membership, the outsider."""
    with app.test_request_context():
        real = db.session.get(Group, cast.group.id)
        invitation, _ = services.create_invitation(db.session.get(User, cast.admin.id), real, "member", 7, None)
        return {
            "slug": real.slug,
            "invitation": invitation.id,
            "outsider": cast.outsider.id,
            "membership": db.session.scalar(
                select(Membership.id).where(Membership.group_id == real.id, Membership.user_id == cast.member.id)
            ),
        }


def request_for(route, ids, **changes):
    """(method, path, data) of a route with its ids filled in."""
    ids = ids | changes
    method, path, data = ROUTES[route]
    return method, path.format(**ids), {key: value.format(**ids) for key, value in data.items()}


def state(app):
    """What a refused request must leave untouched."""
    with app.app_context():
        return count(Event), count(Membership, Membership.left_at.is_(None)), count(Group), count(Invitation)


def login_next(response) -> list[str] | None:
    """The `next` of a redirect to the login page ([] when it has none), or None if it isn't one."""
    parts = urlsplit(response.headers.get("Location", ""))
    if response.status_code != 302 or parts.path != "/login":
        return None
    return parse_qs(parts.query).get("next", [])


def page_of(response) -> str:
    """The body, less its CSRF tokens: signed with the time, they change from one second to the next."""
    return CSRF_TOKEN.sub("token", response.get_data(as_text=True))


CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")


def assert_answer(response, expected, method="GET", path=""):
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        # Back to the page asked for; a form sent from nowhere (no Referer) has no page to return to.
        assert login_next(response) == ([path] if method == "GET" else [])
    else:
        assert response.status_code == expected
        if expected == 302:
            assert "/login" not in location


@pytest.mark.parametrize("visibility, route, role, expected", CASES)
def test_group_route_permissions(app, client, auth, make_cast, visibility, route, role, expected):
    cast = make_cast("coop", visibility)
    method, path, data = request_for(route, ids_for(app, cast))
    if role != "anonymous":
        auth.login(cast.person(role))
    before = state(app)
    response = client.open(path, method=method, data=data)
    assert_answer(response, expected, method, path)
    if expected in (LOGIN, 403, 404):
        assert state(app) == before
    if expected == 404:
        assert "Coop Co-op" not in response.get_data(as_text=True)


SLUG_ROUTES = [route for route, (_, path, _) in ROUTES.items() if "{slug}" in path]


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
@pytest.mark.parametrize("route", SLUG_ROUTES)
def test_a_private_group_answers_exactly_like_a_missing_one(app, client, auth, make_cast, route, role):
    cast = make_cast("coop", "private")
    if role != "anonymous":
        auth.login(cast.outsider)
    ids = ids_for(app, cast)
    method, path, data = request_for(route, ids)
    private = client.open(path, method=method, data=data)
    method, path, data = request_for(route, ids, slug="no-such-group")
    missing = client.open(path, method=method, data=data)
    assert private.status_code == missing.status_code
    assert private.headers.get("Location", "").replace("/coop", "/no-such-group") == missing.headers.get("Location", "")
    assert page_of(private).replace("/coop", "/no-such-group") == page_of(missing)
    if role == "anonymous":
        assert login_next(private) is not None, "an anonymous visitor is sent to log in"


@pytest.mark.parametrize("visibility", ["private", "public"])
def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_after_login(app, client, make_cast, visibility):
    """Not to the address the form posts to: that one answers a GET with 405."""
    cast = make_cast("coop", visibility)
    method, path, data = request_for("make invitation", ids_for(app, cast))
    response = client.post(path, data=data, headers={"Referer": "http://localhost/g/coop/invitations?x=1"})
    assert login_next(response) == ["/g/coop/invitations?x=1"]
    elsewhere = client.post(path, data=data, headers={"Referer": "https://evil.example//evil.example/x"})
    assert login_next(elsewhere) == []


# ---------------------------------------------------------------- working groups


@pytest.fixture
def private_circle(app, make_cast):
    """A private working group in a private co-op: the facilitator started it, nobody else is in it."""
    cast = make_cast("coop", "private")
    with app.test_request_context():
        services.create_group(db.session.get(User, cast.facilitator.id), "Care circle", "care", "", "private", group("coop"))
    return cast


@pytest.mark.parametrize("path", ["/g/care", "/g/care/members"])
@pytest.mark.parametrize("role, expected", [("anonymous", LOGIN), ("outsider", 404), ("member", 404), ("facilitator", 200), ("admin", 200)])
def test_private_working_group_is_seen_only_by_its_members_and_the_co_op_admins(client, auth, private_circle, path, role, expected):
    if role != "anonymous":
        auth.login(private_circle.person(role))
    assert_answer(client.get(path), expected, "GET", path)


@pytest.mark.parametrize("role, listed", [("member", False), ("facilitator", True), ("admin", True)])
def test_co_op_home_lists_a_private_working_group_only_to_those_who_may_see_it(client, auth, private_circle, role, listed):
    auth.login(private_circle.person(role))
    assert ("Care circle" in client.get("/g/coop").get_data(as_text=True)) is listed


@pytest.mark.parametrize("route", ["join", "leave", "settings", "invitations", "add member"])
def test_co_op_member_outside_a_private_working_group_gets_404_on_its_routes(app, client, auth, private_circle, route):
    auth.login(private_circle.member)
    method, path, data = ROUTES[route]
    assert client.open(path.format(slug="care"), method=method, data={"user_id": "1"}).status_code == 404


def test_co_op_admin_manages_a_private_working_group_they_are_not_in(client, auth, private_circle):
    auth.login(private_circle.admin)
    assert client.get("/g/care/settings").status_code == 200
    assert client.get("/g/care/invitations").status_code == 200


def test_public_working_group_in_a_private_co_op_stays_hidden_from_outsiders(app, client, auth, make_cast):
    cast = make_cast("coop", "private")
    with app.test_request_context():
        services.create_group(db.session.get(User, cast.admin.id), "Kitchen", "kitchen", "", "public", group("coop"))
    assert login_next(client.get("/g/kitchen")) == ["/g/kitchen"]
    auth.login(cast.outsider)
    assert client.get("/g/kitchen").status_code == 404
    assert client.post("/g/kitchen/join").status_code == 404
    auth.logout()
    auth.login(cast.member)
    assert client.get("/g/kitchen").status_code == 200


@pytest.mark.parametrize("route, data", [("change role", {"role": "nonsense"}), ("set capacity", {"capacity_percent": "x"}),
                                         ("add member", {"user_id": "x"})])
def test_someone_who_may_not_is_refused_before_the_form_is_read(app, client, auth, make_cast, route, data):
    """The route asks the policy first: a broken form from a member is 403, not a message about the form."""
    cast = make_cast("coop", "public")
    method, path, _ = request_for(route, ids_for(app, cast))
    auth.login(cast.facilitator)
    before = state(app)
    assert client.open(path, method=method, data=data).status_code == 403
    assert state(app) == before
