"""What the index holds: one entry per searchable item, built from the database.

The database is the truth; an entry is a copy. `build` turns item keys into entries (or
into "gone" for what must leave the index) in one query per kind, whatever their number.
Never indexed: drafts (their author's alone), votes and their reasons (anonymous or not,
and results hidden until close), deleted items and the comments of a deleted thread.
"""
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.archive.models import Comment, Document, Thread
from app.decisions.models import Proposal
from app.groups.models import Group
from app.labour.models import CareTask
from app.core.markdown import plain_text
from app.search.analyzer import normalise

KINDS = ("thread", "comment", "document", "proposal", "care_task")
Key = tuple[str, int]


@dataclass(frozen=True)
class Entry:
    kind: str
    item_id: int
    group_id: int
    author_id: int | None
    title: str
    body: str
    url: str
    created_at: datetime

    @property
    def key(self) -> Key:
        return self.kind, self.item_id

    @property
    def signature(self) -> str:
        """Changes whenever anything shown or filtered on changes: how `check` finds stale entries."""
        parts = (self.group_id, self.author_id, self.title, self.body, self.url, self.created_at.isoformat())
        return hashlib.sha1(repr(parts).encode()).hexdigest()


def key_text(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def parse_key(text: str) -> Key:
    kind, _, item_id = text.partition(":")
    return kind, int(item_id)


def _path(endpoint: str, **values) -> str:
    """A link that works from any page, built without a request (the CLI reindexes too)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    anchor = values.pop("_anchor", None)
    return adapter.build(endpoint, values) + (f"#{anchor}" if anchor else "")


def _text(*parts: str) -> str:
    return normalise("\n".join(p for p in parts if p))


def _threads(session, ids) -> Iterator[Entry]:
    for t in session.scalars(select(Thread).where(Thread.id.in_(ids), Thread.deleted_at.is_(None))):
        yield Entry("thread", t.id, t.group_id, t.author_id, normalise(t.title), _text(plain_text(t.body_html)),
                    _path("archive.thread", thread_id=t.id), t.created_at)


def _comments(session, ids) -> Iterator[Entry]:
    rows = session.execute(
        select(Comment, Thread.group_id, Thread.title)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Comment.id.in_(ids), Comment.deleted_at.is_(None), Thread.deleted_at.is_(None))
    )
    for c, group_id, thread_title in rows:
        yield Entry("comment", c.id, group_id, c.author_id, normalise(thread_title), _text(plain_text(c.body_html)),
                    _path("archive.thread", thread_id=c.thread_id, _anchor=f"comment-{c.id}"), c.created_at)


def _documents(session, ids) -> Iterator[Entry]:
    for d in session.scalars(select(Document).where(Document.id.in_(ids), Document.deleted_at.is_(None))):
        yield Entry("document", d.id, d.group_id, d.author_id, normalise(d.title),
                    _text(d.folder, plain_text(d.body_html)), _path("archive.document", document_id=d.id), d.created_at)


def _proposals(session, ids) -> Iterator[Entry]:
    query = (
        select(Proposal)
        .where(Proposal.id.in_(ids), Proposal.status != "draft")
        .options(selectinload(Proposal.options), selectinload(Proposal.outcome))
    )
    for p in session.scalars(query):
        outcome = plain_text(p.outcome.statement_html) if p.outcome else ""
        options = "\n".join(o.label for o in p.options)
        yield Entry("proposal", p.id, p.group_id, p.author_id, normalise(p.title),
                    _text(plain_text(p.body_html), options, outcome), _path("decisions.show", proposal_id=p.id),
                    p.opened_at or p.created_at)


def _care_tasks(session, ids) -> Iterator[Entry]:
    rows = session.execute(select(CareTask, Group.slug).join(Group, CareTask.group_id == Group.id).where(CareTask.id.in_(ids)))
    for task, slug in rows:
        yield Entry("care_task", task.id, task.group_id, None, normalise(task.name), _text(task.description),
                    _path("labour.tasks", slug=slug, _anchor=f"task-{task.id}"), task.created_at)


_BUILDERS = {"thread": _threads, "comment": _comments, "document": _documents, "proposal": _proposals, "care_task": _care_tasks}
_MODELS = {"thread": Thread, "comment": Comment, "document": Document, "proposal": Proposal, "care_task": CareTask}


def build(keys, session) -> tuple[list[Entry], list[Key]]:
    """(entries to write, keys to remove) for these items, as the database has them now."""
    wanted: dict[str, set[int]] = {}
    for kind, item_id in keys:
        wanted.setdefault(kind, set()).add(item_id)
    entries: list[Entry] = []
    for kind, ids in wanted.items():
        for chunk in _chunks(sorted(ids), 500):
            entries += _BUILDERS[kind](session, chunk)
    found = {e.key for e in entries}
    gone = [(kind, i) for kind, ids in wanted.items() for i in sorted(ids) if (kind, i) not in found]
    return entries, gone


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def all_keys(session, batch: int = 1000, resume: tuple[str, int] | None = None) -> Iterator[list[Key]]:
    """Every item that could be in the index, in batches (reindex and check walk these), in
    a fixed order: kind by kind, by id. `resume` is the last key already done."""
    kinds = list(_MODELS)
    start = kinds.index(resume[0]) if resume else 0
    for kind in kinds[start:]:
        model = _MODELS[kind]
        last = resume[1] if resume and kind == resume[0] else 0
        while True:
            ids = list(session.scalars(select(model.id).where(model.id > last).order_by(model.id).limit(batch)))
            if not ids:
                break
            yield [(kind, i) for i in ids]
            last = ids[-1]


def count_items(session) -> int:
    return sum(session.scalar(select(func.count()).select_from(model)) for model in _MODELS.values())
