"""Tags on threads and documents: one set per group, made on first use."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.archive.models import TAG_MAX, Tag, document_tags, thread_tags
from app.core.errors import Refused
from app.core.extensions import db
from app.groups.models import Group

TAGS_MAX = 10  # tags on one thread or document


def make_tags(group: Group, names: list[str]) -> list[Tag]:
    """Tags by name for this group, made on first use. Names are lower-case, 1–40 characters."""
    wanted = sorted({n.strip().lower().lstrip("#") for n in names if n and n.strip().lstrip("#")})
    if any(len(n) > TAG_MAX for n in wanted):
        raise Refused(_l("A tag is at most 40 characters."), "tags")
    if len(wanted) > TAGS_MAX:
        raise Refused(_l("Use at most 10 tags."), "tags")
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.group_id == group.id, Tag.name.in_(wanted)))}
    tags = []
    for name in wanted:
        tag = existing.get(name) or Tag(group_id=group.id, name=name)
        db.session.add(tag)
        tags.append(tag)
    return tags


def parse_tags(text: str | None) -> list[str]:
    """The tag names in what someone typed: words split by spaces, commas or #."""
    return [part for part in (text or "").replace("#", " ").replace(",", " ").split() if part]


def group_tags(group: Group) -> list[Tag]:
    return list(db.session.scalars(select(Tag).where(Tag.group_id == group.id).order_by(Tag.name)))


def thread_ids_tagged(tag: str):
    """A SELECT of the ids of the threads carrying this tag (any group: callers narrow it)."""
    return select(thread_tags.c.thread_id).join(Tag).where(Tag.name == tag.lower())


def document_ids_tagged(tag: str):
    """A SELECT of the ids of the documents carrying this tag (any group: callers narrow it)."""
    return select(document_tags.c.document_id).join(Tag).where(Tag.name == tag.lower())
