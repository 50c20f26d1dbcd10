"""What the archive tests share.

An `ArchiveScene` is a scene (tests/scene.py) plus archive content made through the services.
"""
import html as htmllib
import re

import pytest
from sqlalchemy import func, select

from app.archive import comments, documents, reactions, threads
from app.archive.models import Comment, Document, Mention, Reaction, ReadState, Thread
from app.core.events import Event
from app.core.revisions import Revision
from app.core.extensions import db
from app.notifications.models import Notification
from tests.conftest import ROLES
from tests.scene import GroupScene

HX = {"HX-Request": "true"}

# Every table a write in the archive can touch: a refused request leaves all of them as they were.
WRITTEN = (Thread, Comment, Revision, Notification, Event, Mention, Reaction, Document)


class ArchiveScene(GroupScene):
    """A scene with helpers to fill its archive through the services."""

    # ------------------------------------------------------------ content, made through the services

    def thread(self, author="member", title="Kitchen rota", body="Who cleans the kitchen this week?", tags=()):
        with self.ctx():
            return threads.start_thread(self.user(author), self.group(), title, body, list(tags)).id

    def comment(self, thread_id, author="member", body="I can do Monday.", parent=None) -> int:
        with self.ctx():
            thread = db.session.get(Thread, thread_id)
            return comments.add_comment(self.user(author), thread, body, parent).id

    def document(self, author="member", title="Handbook", body="# Welcome\n\nHow we work.", folder="", tags=()):
        with self.ctx():
            return documents.write_document(self.user(author), self.group(), title, body, folder, list(tags)).id

    def edit_thread(self, thread_id, body, author="member", title=None, tags=None):
        with self.ctx():
            thread = db.session.get(Thread, thread_id)
            threads.edit_thread(self.user(author), thread, title or thread.title, body, tags)

    def edit_comment(self, comment_id, body, author="member"):
        with self.ctx():
            comments.edit_comment(self.user(author), db.session.get(Comment, comment_id), body)

    def edit_document(self, document_id, body, author="member", title=None, folder=None, tags=None):
        with self.ctx():
            document = db.session.get(Document, document_id)
            documents.edit_document(self.user(author), document, title or document.title, body,
                                   document.folder if folder is None else folder, tags)

    def delete_comment(self, comment_id, author="member"):
        with self.ctx():
            comments.delete_comment(self.user(author), db.session.get(Comment, comment_id))

    def delete_thread(self, thread_id, author="member"):
        with self.ctx():
            threads.delete_thread(self.user(author), db.session.get(Thread, thread_id))

    def close(self, thread_id, closed=True, by="facilitator"):
        with self.ctx():
            threads.set_closed(self.user(by), db.session.get(Thread, thread_id), closed)

    def pin(self, thread_id, pinned=True, by="facilitator"):
        with self.ctx():
            threads.set_pinned(self.user(by), db.session.get(Thread, thread_id), pinned)

    def react(self, target_type, target_id, kind="thanks", by="member"):
        model = Thread if target_type == "thread" else Comment
        with self.ctx():
            return reactions.toggle_reaction(self.user(by), db.session.get(model, target_id), kind)

    def chain(self, thread_id, length, author="member"):
        """`length` comments, each replying to the one before. Returns their ids, top first."""
        ids, parent = [], None
        for i in range(length):
            parent = self.comment(thread_id, author, f"Reply level {i + 1}", parent)
            ids.append(parent)
        return ids

    # ------------------------------------------------------------ looking

    def count(self, model, *criteria) -> int:
        with self.ctx():
            return db.session.scalar(select(func.count()).select_from(model).where(*criteria))

    def counts(self) -> dict:
        """Rows in every table the archive writes: compare before and after a refused request."""
        return {model.__name__: self.count(model) for model in WRITTEN}

    def get(self, model, id_, *attrs):
        """Attribute values of one row, read in a context of their own."""
        with self.ctx():
            row = db.session.get(model, id_)
            return tuple(getattr(row, a) for a in attrs) if len(attrs) != 1 else getattr(row, attrs[0])

    def notifications(self, who) -> list[tuple[str, str, int]]:
        """(kind, target type, target id) of each notification this person has, oldest first."""
        with self.ctx():
            rows = db.session.execute(
                select(Notification.kind, Notification.target_type, Notification.target_id)
                .where(Notification.user_id == self.user(who).id)
                .order_by(Notification.id)
            ).all()
            return [tuple(r) for r in rows]

    def event_kinds(self) -> list[str]:
        with self.ctx():
            return list(db.session.scalars(select(Event.kind).where(Event.group_id == self.group_id).order_by(Event.id)))


def read_state(scene, who, thread_id):
    with scene.ctx():
        return db.session.scalar(
            select(ReadState.last_seen_comment_id).where(
                ReadState.user_id == scene.user(who).id, ReadState.thread_id == thread_id
            )
        )


@pytest.fixture
def private(app, make_cast):
    """A private co-op, "coop", with its people."""
    return ArchiveScene(app, make_cast("coop", "private"))


@pytest.fixture
def public(app, make_cast):
    """A public group, "town": anyone reads, members write."""
    return ArchiveScene(app, make_cast("town", "public"))


# ---------------------------------------------------------------- counting SQL

from tests.sql import counting_queries  # noqa: E402,F401  (re-exported for the test modules)




# ---------------------------------------------------------------- reading pages


def user_regions(page: str) -> list[str]:
    """The inner HTML of every element marked `data-hx-disable`: where user-written HTML sits."""
    regions = []
    for match in re.finditer(r"<(\w+)\b[^>]*\sdata-hx-disable\b[^>]*>", page):
        name, start, depth = match.group(1), match.end(), 1
        for tag in re.finditer(rf"<(/?){name}\b[^>]*>", page[start:]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                regions.append(page[start:start + tag.start()])
                break
    return regions


ALLOWED_USER_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
}
BAD_URL = re.compile(r"^(javascript|vbscript|data|file):", re.IGNORECASE)


def as_browser_reads_url(value: str) -> str:
    """What a browser makes of an attribute's URL: C0 controls and spaces trimmed from the ends,
    tabs and newlines removed everywhere (the WHATWG URL parser), so `java\tscript:` counts."""
    return re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21)))))


def inert_problems(fragment: str) -> list[str]:
    """What is wrong with a piece of sanitised user HTML; an empty list when it is inert.

    Text is escaped (a literal `<` in it is `&lt;`), so every `<` starts a real tag: checking
    the tags checks everything a browser would act on.
    """
    problems = []
    if re.search(r"<\s*script", fragment, re.IGNORECASE):
        problems.append("a <script> tag")
    for tag in re.findall(r"<[^>]*>", fragment):
        name = re.match(r"</?\s*([\w:-]*)", tag).group(1).lower()
        if name not in ALLOWED_USER_TAGS:
            problems.append(f"tag {name!r}: {tag}")
        attrs = re.findall(r"""\s([^\s=/>"']+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""", tag[len(name) + 1:])
        for attr, value in attrs:
            attr = attr.lower()
            if attr.startswith("on") or attr.startswith(("hx-", "data-")) or attr == "style":
                problems.append(f"attribute {attr!r}: {tag}")
            if attr in {"href", "src"} and BAD_URL.search(as_browser_reads_url(htmllib.unescape(value.strip("\"'")))):
                problems.append(f"dangerous URL in {attr!r}: {tag}")
            if attr not in {"href", "src", "alt", "title", "align", "start", "class", "rel"}:
                problems.append(f"attribute {attr!r} not on the allow-list: {tag}")
        # The markup itself, quoted values aside (a title may say anything; its quotes are escaped).
        markup = re.sub(r"\"[^\"]*\"|'[^']*'", '""', tag)
        if re.search(r"\son\w+\s*=", markup, re.IGNORECASE):
            problems.append(f"event handler: {tag}")
        if re.search(r"javascript:|hx-|data-|style\s*=", markup, re.IGNORECASE):
            problems.append(f"script, htmx, data or style in the markup: {tag}")
        if tag.startswith("<a ") and "href=" in tag and 'rel="noopener noreferrer nofollow"' not in tag:
            problems.append(f"link without rel=noopener noreferrer nofollow: {tag}")
    return problems


def page_problems(page: str) -> list[str]:
    """The template's own markup is trusted; what users wrote must sit inert inside data-hx-disable.

    Outside those regions the page may hold only our own script files (app/static/js) and no
    event handlers.
    """
    problems = []
    for region in user_regions(page):
        problems += inert_problems(region)
    for script in re.findall(r"<\s*script\b[^>]*>", page, re.IGNORECASE):
        if not re.fullmatch(r'<script src="/static/js/(htmx\.min|canoe|compose|invite)\.js[^"]*" defer>', script):
            problems.append(f"foreign script: {script}")
    for tag in re.findall(r"<[a-zA-Z][^>]*>", page):
        markup = re.sub(r"\"[^\"]*\"|'[^']*'", '""', tag)  # a quoted value may say anything
        if re.search(r"\son\w+\s*=", markup, re.IGNORECASE):
            problems.append(f"event handler in page: {tag}")
        if re.search(r"(href|src|action)\s*=\s*[\"']?\s*(javascript|vbscript|data):", htmllib.unescape(tag), re.IGNORECASE):
            problems.append(f"dangerous URL in page: {tag}")
    return problems


def comment_ids_on(page: str) -> list[int]:
    """Ids of the comments shown on a thread page, in page order."""
    return [int(i) for i in re.findall(r'<li class="comment[^"]*" id="comment-(\d+)"', page)]


def depth_of(page: str, comment_id: int) -> int:
    match = re.search(rf'<li class="comment depth-(\d)[^"]*" id="comment-{comment_id}"', page)
    assert match, f"comment {comment_id} is not on the page"
    return int(match.group(1))


def comment_block(page: str, comment_id: int) -> str:
    """The comment's own <article> (its text and actions, not its replies)."""
    start = page.index(f'id="comment-{comment_id}"')
    return page[start:page.index("</article>", start)]


__all__ = [
    "HX", "ROLES", "ArchiveScene", "WRITTEN", "comment_block", "comment_ids_on", "counting_queries", "depth_of",
    "inert_problems", "page_problems", "private", "public", "read_state", "user_regions",
]
