"""A group's whole archive as one zip, written while it downloads.

    README.txt                        what is where, in the exporting admin's language
    data/export.json                  format, version, when, which group, rows per table
    data/<table>.json                 every record of the group, enough to restore it
    files/<sha256>                    the attached files' bytes, once per content
    markdown/threads/<id>-<title>.md  one readable file per thread, replies nested as quotes
    markdown/documents/<folder>/<id>-<title>.md

The zip is written into a pipe that is emptied at every yield, table rows are read in
batches and file bytes in chunks: memory stays flat whatever the size of the group. Nothing
here changes anything, so nothing here writes an event.
"""
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.sql import Select

from app.accounts.models import User
from app.archive import files
from app.archive.models import (
    Attachment,
    Comment,
    Document,
    Mention,
    Reaction,
    Tag,
    Thread,
    document_tags,
    thread_tags,
)
from app.archive.comments import comment_tree, in_reading_order
from app.core.events import Event
from app.core.extensions import db
from app.core.revisions import Revision
from app.groups.models import Group, Invitation, Membership

FORMAT_VERSION = 1
BATCH = 500  # rows read from the database at a time
THREAD_BATCH = 50  # threads (with all their replies) turned into markdown at a time
FLUSH_AT = 64 * 1024  # bytes gathered before they are handed to the client

# Fields never exported, per table: secrets, contact details and anything that must stay
# anonymous. A value is a set of column names, or a function of the row giving that set —
# e.g. a table of votes can leave out `user_id` where its query says the proposal is anonymous.
LEAVE_OUT: dict[str, set[str] | Callable[[dict], set[str]]] = {
    "people": {"email", "password_hash", "locale", "timezone"},
    "invitations": {"token_hash"},
}


# ---------------------------------------------------------------- what is exported


def _on_posts(target_type, target_id, group_id: int):
    """Rows (revisions, reactions, mentions) that belong to this group's threads, comments or documents."""
    threads = select(Thread.id).where(Thread.group_id == group_id)
    comments = select(Comment.id).where(Comment.thread_id.in_(threads))
    documents = select(Document.id).where(Document.group_id == group_id)
    return or_(
        and_(target_type == "thread", target_id.in_(threads)),
        and_(target_type == "comment", target_id.in_(comments)),
        and_(target_type == "document", target_id.in_(documents)),
    )


def _people(group_id: int) -> Select:
    """Everyone who appears in the group's records: members past and present, authors, actors."""
    threads = select(Thread.id).where(Thread.group_id == group_id)
    on_posts = lambda model: _on_posts(model.target_type, model.target_id, group_id)  # noqa: E731
    ids = union(
        select(Membership.user_id).where(Membership.group_id == group_id),
        select(Thread.author_id).where(Thread.group_id == group_id),
        select(Comment.author_id).where(Comment.thread_id.in_(threads)),
        select(Document.author_id).where(Document.group_id == group_id),
        select(Document.updated_by_id).where(Document.group_id == group_id),
        select(Event.actor_id).where(Event.group_id == group_id),
        select(Attachment.uploader_id).where(Attachment.group_id == group_id),
        select(Invitation.created_by_id).where(Invitation.group_id == group_id),
        select(Revision.author_id).where(on_posts(Revision)),
        select(Reaction.user_id).where(on_posts(Reaction)),
        select(Mention.user_id).where(on_posts(Mention)),
    )
    return select(User.__table__).where(User.id.in_(ids)).order_by(User.id)


def _members(group_id: int) -> Select:
    return (
        select(Membership.__table__, User.display_name, User.handle)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id == group_id)
        .order_by(Membership.id)
    )


def _of_group(model) -> Callable[[int], Select]:
    return lambda group_id: select(model.__table__).where(model.group_id == group_id).order_by(model.id)


def _comments(group_id: int) -> Select:
    threads = select(Thread.id).where(Thread.group_id == group_id)
    return select(Comment.__table__).where(Comment.thread_id.in_(threads)).order_by(Comment.id)


def _on_group_posts(model) -> Callable[[int], Select]:
    return lambda group_id: (
        select(model.__table__).where(_on_posts(model.target_type, model.target_id, group_id)).order_by(model.id)
    )


def _thread_tags(group_id: int) -> Select:
    threads = select(Thread.id).where(Thread.group_id == group_id)
    return select(thread_tags).where(thread_tags.c.thread_id.in_(threads)).order_by(*thread_tags.c)


def _document_tags(group_id: int) -> Select:
    documents = select(Document.id).where(Document.group_id == group_id)
    return select(document_tags).where(document_tags.c.document_id.in_(documents)).order_by(*document_tags.c)


# data/<name>.json, in this order. A feature with records of its own adds its tables here.
TABLES: list[tuple[str, Callable[[int], Select]]] = [
    ("people", _people),
    ("members", _members),
    ("invitations", _of_group(Invitation)),
    ("events", _of_group(Event)),
    ("tags", _of_group(Tag)),
    ("threads", _of_group(Thread)),
    ("thread_tags", _thread_tags),
    ("comments", _comments),
    ("documents", _of_group(Document)),
    ("document_tags", _document_tags),
    ("revisions", _on_group_posts(Revision)),
    ("reactions", _on_group_posts(Reaction)),
    ("mentions", _on_group_posts(Mention)),
    ("attachments", _of_group(Attachment)),
]


def record(table: str, row) -> dict:
    """A row as the JSON object we export: every column, less what LEAVE_OUT keeps back."""
    data = dict(row._mapping)
    leave_out = LEAVE_OUT.get(table, set())
    if callable(leave_out):
        leave_out = leave_out(data)
    for name in leave_out:
        data.pop(name, None)
    return data


def _json_value(value):
    if isinstance(value, date):  # datetimes too: stored in UTC, written with their +00:00
        return value.isoformat()
    raise TypeError(f"can't export {type(value).__name__}")


def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_value, sort_keys=True).encode()


# ---------------------------------------------------------------- the zip, streamed


class _Pipe:
    """A write-only, unseekable file for ZipFile: bytes gather here until the next yield."""

    def __init__(self):
        self._chunks: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.size = 0
        return data


def archive_name(group: Group, today: date | None = None) -> str:
    today = today or datetime.now(ZoneInfo(group.timezone or "UTC")).date()
    return f"{group.slug}-archive-{today.isoformat()}.zip"


def stream(group: Group) -> Iterator[bytes]:
    """The zip, in chunks, as it is written. Run it inside the request (stream_with_context)."""
    pipe = _Pipe()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(group))
        group_row = db.session.execute(select(Group.__table__).where(Group.id == group.id)).one()
        archive.writestr("data/group.json", _dumps(record("group", group_row)))
        for name, query in TABLES:
            with archive.open(f"data/{name}.json", "w") as out:
                counts[name] = 0
                out.write(b"[")
                rows = db.session.execute(query(group.id).execution_options(yield_per=BATCH))
                for row in rows:
                    out.write(b"\n" if counts[name] == 0 else b",\n")
                    out.write(_dumps(record(name, row)))
                    counts[name] += 1
                    if pipe.size >= FLUSH_AT:
                        yield pipe.take()
                out.write(b"\n]\n")
        yield from _files(archive, pipe, group)
        people = _names(group.id)
        yield from _thread_pages(archive, pipe, group, people)
        yield from _document_pages(archive, pipe, group, people)
        manifest = {
            "format": "canoe-archive",
            "version": FORMAT_VERSION,
            "exported_at": datetime.now(timezone.utc),
            "group": {"id": group.id, "slug": group.slug, "name": group.name},
            "rows": counts,
        }
        archive.writestr("data/export.json", _dumps(manifest))
    yield pipe.take()


def _files(archive: zipfile.ZipFile, pipe: _Pipe, group: Group) -> Iterator[bytes]:
    """files/<sha256>: each kept file's bytes, once, read in chunks. Removed files are left out."""
    hashes = db.session.scalars(
        select(Attachment.sha256)
        .where(Attachment.group_id == group.id, Attachment.deleted_at.is_(None))
        .group_by(Attachment.sha256)
        .order_by(Attachment.sha256)
        .execution_options(yield_per=BATCH)
    )
    for sha256 in hashes:
        path = files.path_for(sha256)
        if not path.is_file():
            current_app.logger.warning("export of %s: file %s is missing on disk", group.slug, sha256)
            continue
        with path.open("rb") as source, archive.open(f"files/{sha256}", "w") as out:
            while chunk := source.read(files.CHUNK):
                out.write(chunk)
                if pipe.size >= FLUSH_AT:
                    yield pipe.take()


# ---------------------------------------------------------------- markdown, for people


@dataclass
class _Person:
    name: str
    handle: str

    def __str__(self) -> str:
        return f"{self.name} (@{self.handle})"


def _names(group_id: int) -> dict[int, _Person]:
    """Who wrote what, by id: the people of this group (a few hundred at most)."""
    return {row.id: _Person(row.display_name, row.handle) for row in db.session.execute(_people(group_id))}


def _who(people: dict[int, _Person], user_id: int | None) -> str:
    person = people.get(user_id) if user_id is not None else None
    return str(person) if person else _("Someone")


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def slug(title: str, fallback: str) -> str:
    """A title as a file name: lower-case words (Hangul kept) joined by hyphens."""
    words = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", title or "").lower()).strip("-")
    return words[:60].strip("-") or fallback


def _folder_path(folder: str) -> list[str]:
    """A document's folder as safe path parts: no empty parts, no `..`, no separators."""
    parts = []
    for part in (folder or "").replace("\\", "/").split("/"):
        part = re.sub(r'[\x00-\x1f\x7f:*?"<>|]', "", part).strip().strip(".")
        if part:
            parts.append(part[:80])
    return parts


def _quoted(text: str, depth: int) -> str:
    """Text inside `depth` levels of markdown quotes."""
    if depth == 0:
        return text
    prefix = "> " * depth
    return "\n".join((prefix + line).rstrip() for line in text.splitlines() or [""])


def _file_lines(attachments: list, up: str) -> list[str]:
    if not attachments:
        return []
    lines = [_("Files:")]
    for a in attachments:
        number, unit = files.human_size(a.size)
        lines.append(f"- [{_link_text(a.filename)}]({up}files/{a.sha256}) ({number} {unit})")
    return lines


def _link_text(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _thread_pages(archive, pipe, group: Group, people: dict[int, _Person]) -> Iterator[bytes]:
    """markdown/threads/<id>-<title>.md for every thread not deleted, a batch of threads at a time."""
    zone = ZoneInfo(group.timezone or "UTC")
    threads = db.session.execute(
        select(Thread.id, Thread.title, Thread.body_md, Thread.author_id, Thread.created_at, Thread.edited_at,
               Thread.pinned, Thread.closed)
        .where(Thread.group_id == group.id, Thread.deleted_at.is_(None))
        .order_by(Thread.id)
        .execution_options(yield_per=THREAD_BATCH)
    )
    for batch in threads.partitions():
        ids = [t.id for t in batch]
        tags = _tag_names(thread_tags.c.thread_id, thread_tags.c.tag_id, ids)
        replies: dict[int, list] = {}
        comments = db.session.execute(
            select(Comment.id, Comment.thread_id, Comment.parent_id, Comment.author_id, Comment.body_md,
                   Comment.created_at, Comment.edited_at, Comment.deleted_at)
            .where(Comment.thread_id.in_(ids))
            .order_by(Comment.id)
        )
        for c in comments:
            replies.setdefault(c.thread_id, []).append(c)
        attached = _attached(
            group.id,
            and_(Attachment.target_type == "thread", Attachment.target_id.in_(ids)),
            and_(Attachment.target_type == "comment",
                 Attachment.target_id.in_(select(Comment.id).where(Comment.thread_id.in_(ids)))),
        )
        for thread in batch:
            text = _thread_markdown(thread, replies.get(thread.id, []), tags.get(thread.id, []), attached, people, zone)
            archive.writestr(f"markdown/threads/{thread.id}-{slug(thread.title, 'thread')}.md", text)
            if pipe.size >= FLUSH_AT:
                yield pipe.take()


def _attached(group_id: int, *where) -> dict[tuple[str, int], list]:
    """{(target type, id): kept files} of a batch of posts; a subquery, not a list of every reply's id."""
    rows = db.session.execute(
        select(Attachment.target_type, Attachment.target_id, Attachment.filename, Attachment.size, Attachment.sha256)
        .where(Attachment.group_id == group_id, Attachment.deleted_at.is_(None), or_(*where))
        .order_by(Attachment.id)
    )
    found: dict[tuple[str, int], list] = {}
    for row in rows:
        found.setdefault((row.target_type, row.target_id), []).append(row)
    return found


def _tag_names(owner_column, tag_column, ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    rows = db.session.execute(select(owner_column, Tag.name).join(Tag, Tag.id == tag_column)
                              .where(owner_column.in_(ids)).order_by(Tag.name))
    for owner_id, name in rows:
        names.setdefault(owner_id, []).append(name)
    return names


def _thread_markdown(thread, comments: list, tags: list[str], attached, people, zone) -> str:
    lines = [f"# {thread.title}", ""]
    lines.append(_("Started by %(name)s, %(when)s", name=_who(people, thread.author_id),
                   when=_when(thread.created_at, zone)))
    if thread.edited_at:
        lines[-1] += " · " + _("edited %(when)s", when=_when(thread.edited_at, zone))
    notes = [_("Pinned")] if thread.pinned else []
    if thread.closed:
        notes.append(_("Closed"))
    notes += [f"#{t}" for t in tags]
    if notes:
        lines += ["", " · ".join(notes)]
    lines += ["", "---", "", thread.body_md.strip(), ""]
    file_lines = _file_lines(attached.get(("thread", thread.id), []), "../../")
    if file_lines:
        lines += file_lines + [""]
    shown = [c for c in comments if c.deleted_at is None]
    lines += ["---", "", "## " + ngettext("%(num)d reply", "%(num)d replies", len(shown)), ""]
    # The thread page's own tree: the same nesting, the same deleted placeholders, the same order.
    for node in in_reading_order(comment_tree(comments)):
        lines += [_quoted(_comment_markdown(node.comment, node.answers, attached, people, zone), node.depth), ""]
    return "\n".join(lines).rstrip() + "\n"


def _comment_markdown(comment, replying_to, attached, people, zone) -> str:
    if comment.deleted_at is not None:
        return "*" + _("This comment was deleted.") + "*"
    head = f"**{_who(people, comment.author_id)}** · {_when(comment.created_at, zone)}"
    if replying_to is not None:
        person = people.get(replying_to.author_id)
        head += " · ↪ " + _("replying to @%(handle)s", handle=person.handle if person else "?")
    if comment.edited_at:
        head += " · " + _("edited")
    lines = [head, "", comment.body_md.strip()]
    file_lines = _file_lines(attached.get(("comment", comment.id), []), "../../")
    if file_lines:
        lines += [""] + file_lines
    return "\n".join(lines)


def _document_pages(archive, pipe, group: Group, people: dict[int, _Person]) -> Iterator[bytes]:
    """markdown/documents/<folder>/<id>-<title>.md for every document not deleted."""
    zone = ZoneInfo(group.timezone or "UTC")
    documents = db.session.execute(
        select(Document.id, Document.title, Document.folder, Document.body_md, Document.author_id,
               Document.created_at, Document.updated_by_id, Document.updated_at)
        .where(Document.group_id == group.id, Document.deleted_at.is_(None))
        .order_by(Document.id)
        .execution_options(yield_per=THREAD_BATCH)
    )
    for batch in documents.partitions():
        ids = [d.id for d in batch]
        tags = _tag_names(document_tags.c.document_id, document_tags.c.tag_id, ids)
        versions = dict(db.session.execute(
            select(Revision.target_id, func.max(Revision.number))
            .where(Revision.target_type == "document", Revision.target_id.in_(ids))
            .group_by(Revision.target_id)
        ).all())
        attached = _attached(group.id, and_(Attachment.target_type == "document", Attachment.target_id.in_(ids)))
        for document in batch:
            folder = _folder_path(document.folder)
            up = "../" * (2 + len(folder))
            lines = [f"# {document.title}", ""]
            about = []
            if document.folder:
                about.append(_("Folder: %(folder)s", folder=document.folder))
            about.append(_("written by %(name)s, %(when)s", name=_who(people, document.author_id),
                           when=_when(document.created_at, zone)))
            about.append(_("last changed by %(name)s, %(when)s", name=_who(people, document.updated_by_id),
                           when=_when(document.updated_at, zone)))
            about.append(_("Version %(number)s", number=versions.get(document.id, 1)))
            lines.append(" · ".join(about))
            if tags.get(document.id):
                lines += ["", " ".join(f"#{t}" for t in tags[document.id])]
            lines += ["", "---", "", document.body_md.strip(), ""]
            lines += _file_lines(attached.get(("document", document.id), []), up)
            path = "/".join(["markdown", "documents", *folder, f"{document.id}-{slug(document.title, 'document')}.md"])
            archive.writestr(path, "\n".join(lines).rstrip() + "\n")
            if pipe.size >= FLUSH_AT:
                yield pipe.take()


# ---------------------------------------------------------------- README.txt


def readme(group: Group) -> str:
    """What the zip holds, in the exporting person's language."""
    paragraphs = [
        _("The archive of %(name)s, exported from Canoe on %(date)s.", name=group.name,
          date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        _("markdown/ holds the conversations and documents for reading: one file per thread "
          "(markdown/threads/), with its replies nested as quotes, and one file per document "
          "(markdown/documents/, in its folders). Deleted threads and documents are not there."),
        _("data/ holds every record of the group as JSON, enough to restore it: the group, people, "
          "members, invitations, events (the timeline), tags, threads, comments, documents, their "
          "revisions, reactions, mentions and attachments. Each file is a JSON array with one record "
          "per line; ids link the files together. Deleted things are included and carry their "
          "deleted_at time. Times are in UTC. data/export.json says which format this is and how many "
          "records each file holds."),
        _("files/ holds the attached files, each named by the SHA-256 hash of its content; "
          "data/attachments.json gives each one's original name and where it was attached. "
          "Files that were removed are listed there but their contents are not included."),
        _("Left out on purpose: email addresses, passwords, invitation links (only their settings), "
          "what each person has read, and their notifications. Anonymous votes are exported without "
          "their voters: who voted what in an anonymous proposal is never stored, so it cannot be exported."),
    ]
    return "\n\n".join(paragraphs) + "\n"
