"""Who may do what on every archive route: five people × private and public groups.

Each row of the table is one route; each cell the status a person gets:
anonymous, outsider, member, facilitator, admin (ROLES order). "login" is a redirect to the
login page. The member wrote the thread, the comment and the document; the facilitator
replied to the comment, which gave the member a notification.

Private groups answer 404 to people outside (their existence must not leak) and send an
anonymous visitor to log in, just as a missing thing does; public groups are read by anyone and
written by members (403 for others).
"""
import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.notifications.models import Notification
from tests.archive.archive_helpers import HX, ROLES, ArchiveScene
from tests.archive.archive_helpers import private as private  # noqa: F401 (fixture)


def row(*cells):
    return dict(zip(ROLES, cells))


def reads(ok=200, login="login"):
    """Anyone reads a public group; a private one is 404 to outsiders, and sends an anonymous
    visitor to log in (for htmx: `hx-login`), exactly as a missing thing would."""
    return {"private": row(login, 404, ok, ok, ok), "public": row(ok, ok, ok, ok, ok)}


def writes(ok):
    return {"private": row("login", 404, ok, ok, ok), "public": row("login", 403, ok, ok, ok)}


def by(member, facilitator, admin):
    """Login required; beyond membership, it depends on who you are."""
    return {"private": row("login", 404, member, facilitator, admin), "public": row("login", 403, member, facilitator, admin)}


def anywhere(*cells):
    """Not about one group: the same in both."""
    return {"private": row(*cells), "public": row(*cells)}


# name: (method, url, form data, headers, expected)
ROUTES = {
    "threads list": ("GET", "/g/{slug}/threads", None, {}, reads()),
    "new thread form": ("GET", "/g/{slug}/threads/new", None, {}, writes(200)),
    "new thread": ("POST", "/g/{slug}/threads/new", {"title": "New", "body": "Text"}, {}, writes(302)),
    "thread page": ("GET", "/t/{T}", None, {}, reads()),
    "edit thread form": ("GET", "/t/{T}/edit", None, {}, by(200, 403, 403)),
    "edit thread": ("POST", "/t/{T}/edit", {"title": "Edited", "body": "Edited"}, {}, by(302, 403, 403)),
    "close thread": ("POST", "/t/{T}/close", {}, {}, by(302, 302, 302)),  # the author or a facilitator
    "reopen thread": ("POST", "/t/{T}/reopen", {}, {}, by(302, 302, 302)),
    "pin thread": ("POST", "/t/{T}/pin", {}, {}, by(403, 302, 302)),
    "unpin thread": ("POST", "/t/{T}/unpin", {}, {}, by(403, 302, 302)),
    "delete thread": ("POST", "/t/{T}/delete", {}, {}, by(302, 403, 302)),  # the author or an admin
    "post comment": ("POST", "/t/{T}/comments", {"body": "Hello"}, {}, writes(302)),
    "post comment (htmx)": ("POST", "/t/{T}/comments", {"body": "Hello"}, HX, {
        "private": row("hx-login", 404, 200, 200, 200), "public": row("hx-login", 403, 200, 200, 200)}),
    "reply form": ("GET", "/c/{C}/reply-form", None, {}, writes(302)),
    "reply form (htmx)": ("GET", "/c/{C}/reply-form", None, HX, {
        "private": row("hx-login", 404, 200, 200, 200), "public": row("hx-login", 403, 200, 200, 200)}),
    "replies": ("GET", "/c/{C}/replies", None, {}, reads(302)),
    "replies (htmx)": ("GET", "/c/{C}/replies", None, HX, reads(200, "hx-login")),
    "edit comment form": ("GET", "/c/{C}/edit", None, {}, by(200, 403, 403)),
    "edit comment": ("POST", "/c/{C}/edit", {"body": "Edited"}, {}, by(302, 403, 403)),
    "delete comment": ("POST", "/c/{C}/delete", {}, {}, by(302, 403, 302)),
    "react to comment": ("POST", "/react/comment/{C}", {"kind": "thanks"}, {}, writes(302)),
    "react to thread": ("POST", "/react/thread/{T}", {"kind": "agree"}, {}, writes(302)),
    "react (htmx)": ("POST", "/react/comment/{C}", {"kind": "heart"}, HX, {
        "private": row("hx-login", 404, 200, 200, 200), "public": row("hx-login", 403, 200, 200, 200)}),
    "thread history": ("GET", "/t/{T}/history", None, {}, reads()),
    "comment history": ("GET", "/c/{C}/history", None, {}, reads()),
    "document history": ("GET", "/d/{D}/history", None, {}, reads()),
    "documents list": ("GET", "/g/{slug}/docs", None, {}, reads()),
    "new document form": ("GET", "/g/{slug}/docs/new", None, {}, writes(200)),
    "new document": ("POST", "/g/{slug}/docs/new", {"title": "Doc", "body": "Text", "folder": ""}, {}, writes(302)),
    "document page": ("GET", "/d/{D}", None, {}, reads()),
    "edit document form": ("GET", "/d/{D}/edit", None, {}, writes(200)),  # any member edits a living page
    "edit document": ("POST", "/d/{D}/edit", {"title": "Doc", "body": "Edited", "folder": ""}, {}, writes(302)),
    "delete document": ("POST", "/d/{D}/delete", {}, {}, by(302, 403, 302)),
    "timeline": ("GET", "/g/{slug}/timeline", None, {}, reads()),
    # Writing: a preview is allowed to whoever may save; suggestions to whoever may post there.
    "preview new thread": ("POST", "/g/{slug}/threads/new/preview", {"title": "New", "body": "Text"}, {}, writes(200)),
    "preview thread edit": ("POST", "/t/{T}/edit/preview", {"title": "Edited", "body": "Text"}, {}, by(200, 403, 403)),
    "preview new document": ("POST", "/g/{slug}/docs/new/preview", {"title": "Doc", "body": "Text"}, {}, writes(200)),
    "preview document edit": ("POST", "/d/{D}/edit/preview", {"title": "Doc", "body": "Text"}, {}, writes(200)),
    "preview comment edit": ("POST", "/c/{C}/edit/preview", {"body": "Text"}, {}, by(200, 403, 403)),
    "preview reply": ("POST", "/t/{T}/comments/preview", {"body": "Text"}, {}, writes(200)),
    "mention suggestions": ("GET", "/g/{slug}/mentions", None, {}, anywhere("login", 404, 200, 200, 200)),
    "mark all read": ("POST", "/g/{slug}/threads/read-all", {}, {}, writes(302)),
    "notifications": ("GET", "/notifications", None, {}, anywhere("login", 200, 200, 200, 200)),
    "open a notification": ("POST", "/notifications/{N}/read", {}, {}, anywhere("login", 404, 302, 404, 404)),
    "follow a notification": ("GET", "/notifications/{N}", None, {}, anywhere("login", 404, 303, 404, 404)),
    "mark notifications read": ("POST", "/notifications/read-all", {}, {}, anywhere("login", 302, 302, 302, 302)),
}


def world(scene: ArchiveScene) -> dict:
    """Fresh things to act on: each person's attempt must not see another's changes."""
    thread = scene.thread(author="member")
    comment = scene.comment(thread, "member", "A comment")
    scene.comment(thread, "facilitator", "A reply", comment)
    document = scene.document(author="member")
    with scene.ctx():
        note = db.session.scalar(
            select(Notification.id).where(Notification.user_id == scene.cast.member.id).order_by(Notification.id.desc())
        )
    return {"slug": scene.slug, "T": thread, "C": comment, "D": document, "N": note}


def outcome(response) -> int | str:
    if response.status_code == 302 and response.location.startswith("/login"):
        return "login"
    if response.headers.get("HX-Redirect", "").startswith("/login"):
        return "hx-login"
    return response.status_code


def attempt(client, method, url, data, headers):
    if method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, data=data, headers=headers)


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_answers_each_person_as_the_rules_say(app, make_cast, visibility, route):
    method, url, data, headers, expected = ROUTES[route]
    scene = ArchiveScene(app, make_cast("coop", visibility))
    actual = {}
    for role in ROLES:
        ids = world(scene)
        actual[role] = outcome(attempt(scene.client(role), method, url.format(**ids), data, headers))
    assert actual == expected[visibility]


WITH_IDS = {name: spec for name, spec in ROUTES.items() if "{" in spec[1]}


def _nonexistent(url: str) -> str:
    return url.format(slug="no-such-group", T=987654, C=987654, D=987654, N=987654)


@pytest.mark.parametrize("route", WITH_IDS, ids=str)
def test_a_private_thing_and_a_missing_one_look_the_same_from_outside(private, route):
    """Anonymous people are sent to log in alike for both, to come back to the address they asked
    for (the same answer but for that address); outsiders get 404 for both."""
    method, url, data, headers, _ = WITH_IDS[route]
    ids = world(private)
    for role in ("anonymous", "outsider"):
        client = private.client(role)
        real_url, missing_url = url.format(**ids), _nonexistent(url)
        real = attempt(client, method, real_url, data, headers)
        missing = attempt(client, method, missing_url, data, headers)
        assert (real.status_code, outcome(real)) == (missing.status_code, outcome(missing)), role
        if role == "anonymous":
            assert outcome(real) in ("login", "hx-login"), "an anonymous visitor is sent to log in"
            where = {k: v for k, v in real.headers.items() if k in ("Location", "HX-Redirect")}
            there = {k: v for k, v in missing.headers.items() if k in ("Location", "HX-Redirect")}
            assert {k: v.replace(real_url, missing_url) for k, v in where.items()} == there
            assert real.get_data().replace(real_url.encode(), missing_url.encode()) == missing.get_data()
        if real.status_code == 404:
            assert real.text.count("<h1") == missing.text.count("<h1")


# A notification belongs to no group: its missing ids are tested with the notifications.
IN_GROUPS = {name: spec for name, spec in WITH_IDS.items() if "{N}" not in spec[1]}


@pytest.mark.parametrize("route", IN_GROUPS, ids=str)
def test_missing_things_are_404_for_members(private, route):
    method, url, data, headers, _ = IN_GROUPS[route]
    response = attempt(private.client("member"), method, _nonexistent(url), data, headers)
    assert response.status_code == 404


@pytest.mark.parametrize("huge", ["3000000000", "99999999999999999999"])  # past PostgreSQL's INTEGER; past 64 bits
def test_a_huge_id_is_a_missing_thing_not_an_error(private, huge):
    client = private.client("member")
    for name, (method, url, data, headers, _) in WITH_IDS.items():
        if "{slug}" in url:
            continue
        target = url.format(T=huge, C=huge, D=huge, N=huge)
        assert attempt(client, method, target, data, headers).status_code == 404, name
    for query in (f"/g/{private.slug}/threads?author={huge}", f"/g/{private.slug}/threads?page={huge}",
                  f"/g/{private.slug}/timeline?person={huge}", f"/g/{private.slug}/timeline?before={huge}",
                  f"/t/1/history?a={huge}", f"/notifications?page={huge}"):
        assert client.get(query).status_code in (200, 404), query
    assert client.get(f"/g/{private.slug}/threads").status_code == 200, "the session recovers"


def test_the_table_has_a_row_for_every_archive_route(app):
    """A new route without a row here is a permission nobody checked."""
    urls = app.url_map.bind("localhost")
    covered = set()
    for method, url, *_ in ROUTES.values():
        endpoint, _ = urls.match(url.format(slug="coop", T=1, C=1, D=1, N=1), method=method)
        covered.add(endpoint)
    routes = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("archive.", "notifications."))
        # Files and the export have their own tables (test_attachments.py, test_export.py).
        and not any(word in rule.endpoint for word in ("attachment", "export", "file"))
    }
    assert routes - covered == set()
