"""Crawl and replay: every page a member reaches in a private co-op, asked for again by someone
who may not read it, shows none of its private words.

The world (tests/security/world.py) plants a canary word in every kind of private content. The
co-op's admin and a plain member crawl the site from the group's home, breadth-first, following
same-site links and htmx `hx-get` addresses. Every address found is then asked for by an
outsider, a former member (who took part, then left) and an anonymous visitor, plain and as
htmx: no canary may appear, and a page of the group answers 404, exactly as a missing one
would; an anonymous visitor is sent to log in and back to that very address, whether it
exists or not. A new page or fragment is covered
as soon as a member can reach it by a link.
"""
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlsplit

import pytest
from sqlalchemy import select

from app.archive.models import Attachment, Comment, Document, Thread
from app.decisions.models import Proposal
from app.core.extensions import db
from app.groups.models import Group
from tests.security.crawl import HX, crawl, endpoint_of
from tests.security.visitors import log_in
from tests.security.world import ANY_CANARY, CANARIES, PUBLIC_MARK

# Addresses that are secrets of their own: whoever holds one may use it, by design.
CAPABILITIES = {"labour.feed", "notification_settings.mail_link", "groups.accept"}
# Pages about a person, not a group: public profiles (they show only what the viewer shares).
PERSONAL = {"accounts.person"}
# Plain words that sit beside canaries (a search page repeats its query, so the query is not one).
SEARCHES = ["Kitchen", "Monday", "Handbook", "ballot", "Consent", "plants", "door", "Garden", "Seeds"]
REPLAYERS = ["outsider", "former", "anonymous"]


def _start(world) -> list[str]:
    return ["/g/coop", "/", "/groups", "/notifications", "/needs-me", "/g/coop-garden",
            *(f"/search?q={word}" for word in SEARCHES), *(f"/search?q={word}&group={world.ids['group']}"
                                                           for word in SEARCHES[:2])]


@pytest.fixture(scope="module")
def crawled(world):
    """{path: endpoint} of every page the admin or the member reached, and the text they read."""
    pages, texts = {}, []
    for role in ("admin", "member"):
        found = crawl(world.app, log_in(world.app, world.emails[role]).client(), _start(world), limit=450,
                      per_endpoint=14)
        for path, (status, body, _mimetype) in found.pages.items():
            texts.append(body)
            if status == 200:
                pages.setdefault(path, endpoint_of(world.app, path)[0])
    return pages, "\n".join(texts)


# How a page's address names the group it belongs to: by its slug, or by a row that has a group.
ROWS = {"thread_id": Thread, "document_id": Document, "proposal_id": Proposal, "attachment_id": Attachment}


def _coop_of(app, path: str) -> str | None:
    """The slug of the co-op a page belongs to (a working group's page: its parent's), or None
    for a page of no group (a profile, a secret link, the home page)."""
    endpoint, args = endpoint_of(app, path)
    if endpoint in PERSONAL or endpoint in CAPABILITIES:
        return None
    with app.app_context():
        group = None
        if "slug" in args:
            group = db.session.scalar(select(Group).where(Group.slug == args["slug"]))
        elif "comment_id" in args:
            group = db.session.get(Comment, args["comment_id"]).thread.group
        else:
            for name, model in ROWS.items():
                if name in args:
                    group = db.session.get(Group, db.session.get(model, args[name]).group_id)
        assert group or not set(args) - {"filename"}, f"{path}: say in ROWS which group <{', '.join(args)}> is in"
        return None if group is None else (group.parent or group).slug


def _leaks(path: str, response) -> list[str]:
    """The canaries a response shows, in its body or its headers, beyond those in its own address
    (a file's name, a tag filter: the asker knows those, and pages repeat the address in their
    links). Where it sends the visitor aside is judged by `_sent_to_login`."""
    asked = unquote(path).lower()
    text = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/")) else ""
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items() if k not in ("Location", "HX-Redirect"))
    shown = (text + headers).lower()
    kinds = [kind for kind, word in CANARIES.items() if word.lower() in shown and word.lower() not in asked]
    unknown = {w for w in ANY_CANARY.findall(shown)} - {w.lower() for w in CANARIES.values()}
    return kinds + [f"an unknown canary {w}" for w in sorted(unknown) if w not in asked]


def _sent_to_login(response, path: str) -> bool:
    """Sent to log in, to come back to `path` afterwards: the answer names nothing but the
    address asked for, so a private page and a missing one get the same."""
    where = urlsplit(response.headers.get("HX-Redirect") or response.headers.get("Location") or "")
    return (where.path == "/login" and parse_qs(where.query).get("next") == [path]
            and response.status_code in (200, 302, 303))


def test_the_members_crawl_reaches_every_kind_of_private_content(crawled):
    """Otherwise the replay would prove nothing about what it didn't reach."""
    pages, text = crawled
    assert len(pages) > 60
    missing = [kind for kind, word in CANARIES.items() if word.lower() not in text.lower()]
    assert not missing, f"no page a member reached shows: {missing}"


def test_the_replay_would_see_a_leak(world, crawled):
    """Replayed as the member who crawled, the same checks flag nearly every private page: the
    test can fail, and will, on the day an outsider is shown what a member sees."""
    pages, _text = crawled
    client = log_in(world.app, world.emails["member"]).client()
    private = [path for path in sorted(pages) if _coop_of(world.app, path) == "coop"][:40]
    shown, not_hidden = [], []
    for path in private:
        response = client.get(path)
        shown += [path] if _leaks(path, response) else []
        not_hidden += [path] if response.status_code != 404 else []
        response.close()
    assert len(private) == 40 and not_hidden == private
    assert len(shown) > len(private) // 2, shown


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", REPLAYERS)
def test_no_page_a_member_reached_shows_anything_private_to_someone_outside(world, crawled, who, htmx):
    pages, _text = crawled
    client = log_in(world.app, world.emails.get(who)).client()
    # The co-op's pages, and its working groups' (public ones too: they are for its members).
    private = {path for path in pages if _coop_of(world.app, path) == "coop"}
    problems = []
    for path, endpoint in sorted(pages.items()):
        if endpoint in CAPABILITIES:
            continue
        response = client.get(path, headers=HX if htmx else {})
        leaks = _leaks(path, response)
        if response.status_code >= 500 or leaks:
            problems.append(f"{path} ({endpoint}) → {response.status_code}, shows {leaks}")
        elif path in private and who == "anonymous":
            if not _sent_to_login(response, path):
                problems.append(f"{path} ({endpoint}) → {response.status_code}, not sent to log in and back")
        elif path in private and response.status_code != 404:
            problems.append(f"{path} ({endpoint}) → {response.status_code}, not 404")
        response.close()
    assert not problems, f"{len(problems)} of {len(pages)} pages:\n" + "\n".join(problems[:40])


# Pages of a public group where an anonymous visitor must be able to read what its members wrote.
PUBLIC_PAGES = {"groups.home", "archive.threads", "archive.thread", "archive.documents", "archive.document",
                "archive.timeline", "decisions.index", "decisions.show"}


def test_a_public_groups_pages_are_readable_by_anyone(world):
    """The counterpart, so that hiding everything from everyone can't pass: an anonymous visitor
    crawling the public group reads its pages, and nothing of the private co-op next door."""
    found = crawl(world.app, log_in(world.app, None).client(), ["/g/town"], limit=120, per_endpoint=6)
    read, problems = set(), []
    for path, (status, body, _mimetype) in found.pages.items():
        if ANY_CANARY.search(body) or status >= 500:
            problems.append(f"{path} → {status}")
        if status == 200 and PUBLIC_MARK in body:
            read.add(endpoint_of(world.app, path)[0])
    assert not problems, problems
    assert PUBLIC_PAGES <= read, f"not read: {sorted(PUBLIC_PAGES - read)}"


# Query-string values a form never sends but an address can carry (by hand, or an old link).
ODD_QUERY_VALUES = ["\x00", "%FF", "99999999999999999999", "-1", "abc", "0001-01-01", "9999-12-31", "x" * 5000]
# Names pages read from the query string, besides those seen in the links the crawl followed.
QUERY_NAMES = {"page", "q", "tag", "kind", "author", "group", "thread", "sort", "from", "to", "before", "after", "next"}


def _odd_addresses(pages: dict) -> list[str]:
    """Each page reached (one per endpoint), with every query name seen for it or commonly read
    given odd values in turn: every name gets three of them, each value used somewhere."""
    names_of, path_of = {}, {}
    for path, endpoint in sorted(pages.items()):
        base, _, query = path.partition("?")
        path_of.setdefault(endpoint, base)
        names_of.setdefault(endpoint, set(QUERY_NAMES)).update(k for k, _ in parse_qsl(query))
    addresses, turn = [], 0
    for endpoint, base in sorted(path_of.items()):
        for name in sorted(names_of[endpoint]):
            for _ in range(3):
                value = ODD_QUERY_VALUES[turn % len(ODD_QUERY_VALUES)]
                turn += 1
                encoded = value if value == "%FF" else quote(value)
                addresses.append(f"{base}?{quote(name)}={encoded}")
    return addresses


def test_odd_query_strings_on_every_page_never_break_it(world, crawled):
    """A page answers an address with a NUL, bytes that aren't UTF-8, a number no column holds or
    a date at the calendar's edge in its query string with a page or a 4xx, never a 5xx."""
    pages, _text = crawled
    client = log_in(world.app, world.emails["member"]).client()
    problems = []
    for address in _odd_addresses(pages):
        response = client.get(address)
        if response.status_code >= 500:
            problems.append(f"{address[:120]} → {response.status_code}")
        response.close()
    assert not problems, f"{len(problems)} addresses:\n" + "\n".join(problems[:40])
