"""Who may do what with proposals: every decisions route × every role × private and public groups.

Private groups don't exist for outsiders (404, never 403); an anonymous visitor is sent to log in,
as for a proposal that doesn't exist. Public groups are readable by anyone;
only members write; closing, reopening and outcomes need a facilitator; a draft is its author's.
"""
import pytest
from sqlalchemy import select

from app.decisions.models import Action, Proposal, Vote
from app.core.extensions import db
from tests.conftest import ROLES
from tests.decisions.helpers import LOGIN, REASON, DecisionScene, tomorrow

SAID_NO = "said no"  # redirected back with a message; nothing changed

ROUTES = {
    "decisions": ("GET", "/g/{slug}/decisions", {}),
    "new form": ("GET", "/g/{slug}/decisions/new", {}),
    "propose": ("POST", "/g/{slug}/decisions/new", {"title": "Paint the door", "body": "Blue.", "days": "3"}),
    "proposal": ("GET", "/p/{open}", {}),
    "history": ("GET", "/p/{open}/history", {}),
    "vote": ("POST", "/p/{open}/vote", {"choice": "consent"}),
    "objection": ("POST", "/p/{open}/objection", {"state": "resolved"}),
    "amend form": ("GET", "/p/{open}/amend", {}),
    "amend": ("POST", "/p/{open}/amend", {"title": "Buy two cargo bikes", "body": "Two."}),
    "open draft": ("POST", "/p/{draft}/open", {"days": "3"}),
    "close": ("POST", "/p/{open}/close", {}),
    "reopen": ("POST", "/p/{closed}/reopen", {"days": "3"}),
    "withdraw": ("POST", "/p/{open}/withdraw", {}),
    "outcome form": ("GET", "/p/{closed}/outcome", {}),
    "record outcome": ("POST", "/p/{closed}/outcome", {"statement": "We bought it.", "result": "adopted"}),
    "action done": ("POST", "/actions/{action}/done", {"done": "1"}),
    "register": ("GET", "/g/{slug}/register", {}),
    "register csv": ("GET", "/g/{slug}/register.csv", {}),
    "needs me": ("GET", "/needs-me", {}),
}

# The member wrote the open proposal (and objected to it), the draft and the closed one, and owns
# the action. "objection" by someone without an objection is refused with a message (SAID_NO).
#                       anonymous  outsider  member  facilitator  admin
PRIVATE = {
    "decisions":        (LOGIN, 404,      200,    200,         200),
    "new form":         (LOGIN, 404,      200,    200,         200),
    "propose":          (LOGIN, 404,      302,    302,         302),
    "proposal":         (LOGIN, 404,      200,    200,         200),
    "history":          (LOGIN, 404,      200,    200,         200),
    "vote":             (LOGIN, 404,      302,    302,         302),
    "objection":        (LOGIN, 404,      302,    SAID_NO,     SAID_NO),
    "amend form":       (LOGIN, 404,      200,    403,         403),
    "amend":            (LOGIN, 404,      302,    403,         403),
    "open draft":       (LOGIN, 404,      302,    404,         404),
    "close":            (LOGIN, 404,      403,    302,         302),
    "reopen":           (LOGIN, 404,      403,    302,         302),
    "withdraw":         (LOGIN, 404,      302,    302,         302),
    "outcome form":     (LOGIN, 404,      403,    200,         200),
    "record outcome":   (LOGIN, 404,      403,    302,         302),
    "action done":      (LOGIN, 404,      302,    302,         302),
    "register":         (LOGIN, 404,      200,    200,         200),
    "register csv":     (LOGIN, 404,      200,    200,         200),
    "needs me":         (LOGIN, 200,      200,    200,         200),
}
PUBLIC = PRIVATE | {
    "decisions":        (200,   200,      200,    200,         200),
    "new form":         (LOGIN, 403,      200,    200,         200),
    "propose":          (LOGIN, 403,      302,    302,         302),
    "proposal":         (200,   200,      200,    200,         200),
    "history":          (200,   200,      200,    200,         200),
    "vote":             (LOGIN, 403,      302,    302,         302),
    "objection":        (LOGIN, 403,      302,    SAID_NO,     SAID_NO),
    "amend form":       (LOGIN, 403,      200,    403,         403),
    "amend":            (LOGIN, 403,      302,    403,         403),
    "open draft":       (LOGIN, 404,      302,    404,         404),
    "close":            (LOGIN, 403,      403,    302,         302),
    "reopen":           (LOGIN, 403,      403,    302,         302),
    "withdraw":         (LOGIN, 403,      302,    302,         302),
    "outcome form":     (LOGIN, 403,      403,    200,         200),
    "record outcome":   (LOGIN, 403,      403,    302,         302),
    "action done":      (LOGIN, 403,      302,    302,         302),
    "register":         (200,   200,      200,    200,         200),
    "register csv":     (200,   200,      200,    200,         200),
}
CASES = [
    pytest.param(visibility, route, role, table[route][i], id=f"{visibility}-{route}-{role}")
    for visibility, table in (("private", PRIVATE), ("public", PUBLIC))
    for route in ROUTES
    for i, role in enumerate(ROLES)
]


def setting(scene) -> dict:
    """The ids the routes need: an open proposal, a draft, a closed one and an action, all the member's."""
    open_ = scene.propose("member", title="Buy a shared cargo bike")
    scene.vote(open_, "member", "object", REASON)
    draft = scene.propose("member", title="A quiet draft", draft=True)
    closed = scene.propose("member", title="Paint the door")
    scene.close(closed)
    scene.decided(title="Fix the roof", actions=[("Call the roofer", "member", tomorrow())])
    with scene.ctx():
        action = db.session.scalar(select(Action.id))
    return {"slug": scene.slug, "open": open_, "draft": draft, "closed": closed, "action": action}


def state(scene):
    """Everything a decisions route could change."""
    with scene.ctx():
        proposals = db.session.execute(select(
            Proposal.id, Proposal.status, Proposal.version, Proposal.title, Proposal.closes_at).order_by(Proposal.id)).all()
        votes = db.session.execute(select(Vote.id, Vote.is_current, Vote.objection_state).order_by(Vote.id)).all()
        actions = db.session.execute(select(Action.id, Action.done_at).order_by(Action.id)).all()
    return scene.counts(), proposals, votes, actions


def request_for(route, ids):
    method, path, data = ROUTES[route]
    return method, path.format(**ids), data


def assert_answer(response, expected):
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        # Back to the page asked for; a form sent without a Referer has no page to come back to.
        asked = response.request
        back = f"/login?next={asked.path}" if asked.method == "GET" else "/login"
        assert response.status_code == 302 and location == back
    elif expected == SAID_NO:
        assert response.status_code == 302 and "/login" not in location
    else:
        assert response.status_code == expected
        if expected == 302:
            assert "/login" not in location


@pytest.mark.parametrize("visibility, route, role, expected", CASES)
def test_decisions_route_permissions(app, make_cast, visibility, route, role, expected):
    scene = DecisionScene(app, make_cast("coop", visibility))
    ids = setting(scene)
    client = scene.client(role)
    before = state(scene)
    method, path, data = request_for(route, ids)
    response = client.open(path, method=method, data=data)
    assert_answer(response, expected)
    if expected == 302 and method == "POST":
        assert state(scene) != before, "the request was answered as done but changed nothing"
    else:
        assert state(scene) == before
    if expected == 404:
        body = response.get_data(as_text=True)
        assert "cargo bike" not in body and "quiet draft" not in body
        if role in ("anonymous", "outsider"):
            assert "Coop Co-op" not in body


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("path", ["/p/{draft}", "/p/{draft}/history", "/p/{draft}/amend"])
@pytest.mark.parametrize("role, expected", [("anonymous", LOGIN), ("outsider", 404), ("member", 200),
                                            ("facilitator", 404), ("admin", 404)])
def test_a_draft_is_seen_only_by_its_author(app, make_cast, visibility, path, role, expected):
    scene = DecisionScene(app, make_cast("coop", visibility))
    draft = scene.propose("member", title="A quiet draft", draft=True)
    client = scene.client(role)
    response = client.get(path.format(draft=draft))
    assert_answer(response, expected)
    if expected == 404:
        assert "quiet draft" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
@pytest.mark.parametrize("route", [r for r, (_, path, _) in ROUTES.items() if "{open}" in path or "{closed}" in path])
def test_a_private_proposal_answers_exactly_like_a_missing_one(app, make_cast, route, role):
    scene = DecisionScene(app, make_cast("coop", "private"))
    ids = setting(scene)
    client = scene.client(role)
    method, path, data = request_for(route, ids)
    private = client.open(path, method=method, data=data)
    method, path, data = request_for(route, ids | {"open": 999_999, "closed": 999_999})
    missing = client.open(path, method=method, data=data)
    assert private.status_code == missing.status_code
    assert private.headers.get("Location", "").replace(str(ids["open"]), "999999").replace(
        str(ids["closed"]), "999999") == missing.headers.get("Location", "")


def test_a_member_of_another_group_cannot_vote(app, make_cast):
    """Private: it isn't there (404). Public: it is, but only its members vote (403)."""
    for visibility, expected in (("private", 404), ("public", 403)):
        scene = DecisionScene(app, make_cast(f"g{visibility}", visibility))
        other = DecisionScene(app, make_cast(f"o{visibility}", "private"))
        pid = scene.propose("member")
        response = other.client("member").post(f"/p/{pid}/vote", data={"choice": "consent"})
        assert response.status_code == expected
        assert scene.votes(pid) == []


def test_the_co_op_register_hides_a_private_working_groups_decisions_from_members_outside_it(app, make_cast):
    from app.groups import services as groups
    from app.groups.models import Group

    scene = DecisionScene(app, make_cast("coop", "private"))
    with scene.ctx():
        care = groups.create_group(scene.user("facilitator"), "Care circle", "care", "", "private", scene.group()).id
    circle = DecisionScene(app, scene.cast)
    circle.group_id, circle.slug = care, "care"
    pid = circle.propose("facilitator", title="Secret rota")
    circle.close(pid)
    circle.outcome(pid)
    scene.decided(title="Paint the door")
    for role, sees in (("member", False), ("facilitator", True), ("admin", True)):
        client = scene.client(role)
        for path in ("/g/coop/register", "/g/coop/register.csv"):
            body = client.get(path).get_data(as_text=True)
            assert "Paint the door" in body
            assert ("Secret rota" in body) is sees, (role, path)
    with scene.ctx():
        assert db.session.get(Group, care).parent_id == scene.group_id


def test_a_visitor_is_refused_before_the_vote_is_read(town):
    """The route asks the policy first: an empty vote, or one on a closed proposal, from a visitor of a
    public group is 403 — not a message about the form or the closing."""
    open_ = town.propose("member")
    closed = town.propose("member", title="Paint the door")
    town.close(closed)
    client = town.client("outsider")
    before = town.counts()
    assert client.post(f"/p/{open_}/vote", data={}).status_code == 403
    assert client.post(f"/p/{closed}/vote", data={"choice": "consent"}).status_code == 403
    assert client.post(f"/p/{closed}/objection", data={"state": "nonsense"}).status_code == 403
    assert town.counts() == before
