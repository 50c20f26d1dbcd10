"""The archive: the group timeline, threads with nested comments, documents, reactions, reading.

Every change checks permission here, says what happened (`core.events.happened`: the Event
and whoever listens) in the same transaction, and renders markdown once, at write time.
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.archive import files, policy
from app.archive.models import (
    REACTIONS,
    Attachment,
    Comment,
    Document,
    Mention,
    Reaction,
    ReadState,
    Tag,
    Thread,
    document_tags,
    thread_tags,
)
from app.core.database import utcnow
from app.core.errors import Refused
from app.core.events import Event, happened, type_name
from app.core.extensions import db
from app.core.revisions import revise
from app.core.text import check_text, check_title
from app.groups.mentions import render_in
from app.groups.models import Group

# ---------------------------------------------------------------- the timeline


EVENT_CATEGORIES = ("group", "member", "invitation", "thread", "comment", "document", "care")


@dataclass
class TimelineFilter:
    category: str | None = None
    person_id: int | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Working groups the viewer can't read: their start stays out of the co-op's timeline.
    hidden_groups: tuple[int, ...] = ()


def timeline(group_ids: list[int], limit: int = 30, before_id: int | None = None,
             where: TimelineFilter | None = None) -> list[Event]:
    """The newest events of these groups (filtered), with actors loaded in the same round trip."""
    query = (
        select(Event)
        .where(Event.group_id.in_(group_ids))
        .options(selectinload(Event.actor), selectinload(Event.group))
        .order_by(Event.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Event.id < before_id)
    if where is not None:
        query = _filtered(query, where)
    return list(db.session.scalars(query))


def _filtered(query, where: TimelineFilter):
    if where.hidden_groups:
        query = query.where(~and_(Event.target_type == "group", Event.target_id.in_(where.hidden_groups)))
    if where.category in EVENT_CATEGORIES:
        query = query.where(Event.kind.startswith(where.category + "."))
    if where.person_id:
        query = query.where(Event.actor_id == where.person_id)
    if where.since:
        query = query.where(Event.created_at >= where.since)
    if where.until:
        query = query.where(Event.created_at < where.until)
    if where.tag:
        tagged_threads = select(thread_tags.c.thread_id).join(Tag).where(Tag.name == where.tag.lower())
        tagged_documents = select(document_tags.c.document_id).join(Tag).where(Tag.name == where.tag.lower())
        tagged_comments = select(Comment.id).where(Comment.thread_id.in_(tagged_threads))
        query = query.where(
            or_(
                and_(Event.target_type == "thread", Event.target_id.in_(tagged_threads)),
                and_(Event.target_type == "document", Event.target_id.in_(tagged_documents)),
                and_(Event.target_type == "comment", Event.target_id.in_(tagged_comments)),
            )
        )
    return query


# ---------------------------------------------------------------- shared helpers


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _mention_once(author, group, target, people: list[User], title: str, thread_id: int) -> None:
    """Tell people mentioned here for the first time ("mentioned"); an edit never tells anyone twice."""
    kind = type_name(target)
    already = set(
        db.session.scalars(select(Mention.user_id).where(Mention.target_type == kind, Mention.target_id == target.id))
    )
    new = [p for p in people if p.id not in already and p.id != author.id]
    for person in new:
        db.session.add(Mention(target_type=kind, target_id=target.id, user_id=person.id))
    happened("mentioned", group, author, target, record=False, extra={"people": [p.id for p in new]},
             title=title, thread_id=thread_id)


def _tags(group: Group, names: list[str]) -> list[Tag]:
    """Tags by name for this group, made on first use. Names are lower-case, 1–40 characters."""
    wanted = sorted({n.strip().lower().lstrip("#") for n in names if n and n.strip().lstrip("#")})
    if any(len(n) > 40 for n in wanted):
        raise Refused(_l("A tag is at most 40 characters."), "tags")
    if len(wanted) > 10:
        raise Refused(_l("Use at most 10 tags."), "tags")
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.group_id == group.id, Tag.name.in_(wanted)))}
    tags = []
    for name in wanted:
        tag = existing.get(name) or Tag(group_id=group.id, name=name)
        db.session.add(tag)
        tags.append(tag)
    return tags


def thread_ids_tagged(tag: str):
    """A SELECT of the ids of the threads carrying this tag (any group: callers narrow it)."""
    return select(thread_tags.c.thread_id).join(Tag).where(Tag.name == tag.lower())


def parse_tags(text: str | None) -> list[str]:
    return [part for part in (text or "").replace("#", " ").replace(",", " ").split() if part]


def group_tags(group: Group) -> list[Tag]:
    return list(db.session.scalars(select(Tag).where(Tag.group_id == group.id).order_by(Tag.name)))


# ---------------------------------------------------------------- threads


def thread_for(user, thread_id: int) -> Thread:
    """A thread this person may read (deleted ones included, shown as deleted); else 404."""
    thread = db.session.scalar(
        select(Thread)
        .where(Thread.id == thread_id)
        .options(selectinload(Thread.group).selectinload(Group.parent), selectinload(Thread.author), selectinload(Thread.tags))
    )
    if thread is None or not policy.can_read(user, thread.group):
        raise NotFound()
    return thread


def start_thread(user, group: Group, title: str, body: str, tags: list[str] | None = None,
                 commit: bool = True) -> Thread:
    """A member starts a thread; it is their first revision, and mentions notify once.

    `commit=False` lets a caller (a proposal) make the thread part of its own transaction.
    """
    _require(policy.can_post(user, group))
    title, body = check_title(title), check_text(body)
    html, mentioned = render_in(group, body)
    thread = Thread(group=group, author_id=user.id, title=title, body_md=body, body_html=html,
                    tags=_tags(group, tags or []))
    db.session.add(thread)
    db.session.flush()
    revise(thread, user, body, title)
    _mention_once(user, group, thread, mentioned, title, thread.id)
    happened("thread.started", group, user, thread, title=title)
    mark_read(user, thread)
    if commit:
        db.session.commit()
    return thread


def edit_thread(user, thread: Thread, title: str, body: str, tags: list[str] | None = None) -> Thread:
    """The author edits; the old words stay as a revision and the thread shows "edited"."""
    _require(policy.can_edit(user, thread))
    title, body = check_title(title), check_text(body)
    new_tags = _tags(thread.group, tags) if tags is not None else thread.tags
    if title == thread.title and body == thread.body_md and new_tags == thread.tags:
        return thread
    html, mentioned = render_in(thread.group, body)
    thread.title, thread.body_md, thread.body_html, thread.tags = title, body, html, new_tags
    thread.edited_at = utcnow()
    revise(thread, user, body, title)
    _mention_once(user, thread.group, thread, mentioned, title, thread.id)
    db.session.commit()
    return thread


def set_closed(user, thread: Thread, closed: bool) -> None:
    """Closed threads take no new comments. The author or a facilitator closes and reopens."""
    _require(thread.deleted_at is None and policy.can_close(user, thread))
    if thread.closed != closed:
        thread.closed = closed
        happened("thread.closed" if closed else "thread.reopened", thread.group, user, thread, title=thread.title)
        db.session.commit()


def set_pinned(user, thread: Thread, pinned: bool) -> None:
    _require(thread.deleted_at is None and policy.can_moderate(user, thread.group))
    if thread.pinned != pinned:
        thread.pinned = pinned
        happened("thread.pinned" if pinned else "thread.unpinned", thread.group, user, thread, title=thread.title)
        db.session.commit()


def delete_thread(user, thread: Thread) -> None:
    """Soft delete by the author or an admin: gone from lists, kept for the record."""
    _require(thread.deleted_at is None and policy.can_delete(user, thread))
    thread.deleted_at = utcnow()
    happened("thread.deleted", thread.group, user, thread, title=thread.title)
    db.session.commit()


PER_PAGE = 25


@dataclass
class ThreadRow:
    thread: Thread
    unread: int  # comments not yet seen; -1 when the whole thread is new to this person


def thread_list(user, group: Group, tag: str | None = None, author_id: int | None = None,
                page: int = 1) -> tuple[list[ThreadRow], bool]:
    """Pinned first, then by last activity; with unread counts, in a fixed number of queries."""
    query = (
        select(Thread)
        .where(Thread.group_id == group.id, Thread.deleted_at.is_(None))
        .options(selectinload(Thread.author), selectinload(Thread.tags))
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    if tag:
        query = query.where(Thread.tags.any(Tag.name == tag.lower()))
    if author_id:
        query = query.where(Thread.author_id == author_id)
    threads = list(db.session.scalars(query))
    more = len(threads) > PER_PAGE
    threads = threads[:PER_PAGE]
    # Only members keep read state (see `visit`): a visitor would see every thread "new" forever.
    unread = _unread_counts(user, [t.id for t in threads]) if policy.can_post(user, group) else {}
    return [ThreadRow(t, unread.get(t.id, 0)) for t in threads], more


def _unread_counts(user, thread_ids: list[int]) -> dict[int, int]:
    if not thread_ids or not getattr(user, "is_authenticated", False):
        return {}
    seen = dict(
        db.session.execute(
            select(ReadState.thread_id, ReadState.last_seen_comment_id).where(
                ReadState.user_id == user.id, ReadState.thread_id.in_(thread_ids)
            )
        ).all()
    )
    counts = dict(
        db.session.execute(
            select(Comment.thread_id, func.count())
            .outerjoin(ReadState, and_(ReadState.thread_id == Comment.thread_id, ReadState.user_id == user.id))
            .where(
                Comment.thread_id.in_(thread_ids),
                Comment.deleted_at.is_(None),
                Comment.id > func.coalesce(ReadState.last_seen_comment_id, 0),
            )
            .group_by(Comment.thread_id)
        ).all()
    )
    return {tid: (counts.get(tid, 0) if tid in seen else -1) for tid in thread_ids}


def mark_read(user, thread: Thread) -> None:
    """Remember that this person has seen the thread up to its newest comment (no commit)."""
    if not getattr(user, "is_authenticated", False):
        return
    state = db.session.scalar(select(ReadState).where(ReadState.user_id == user.id, ReadState.thread_id == thread.id))
    newest = thread.last_comment_id or 0
    if state is None:
        db.session.add(ReadState(user_id=user.id, thread_id=thread.id, last_seen_comment_id=newest))
    elif state.last_seen_comment_id < newest:
        state.last_seen_comment_id = newest
        state.seen_at = utcnow()


def last_seen(user, thread: Thread) -> int | None:
    """The newest comment id this person had seen before this visit; None if never here."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(ReadState.last_seen_comment_id).where(ReadState.user_id == user.id, ReadState.thread_id == thread.id)
    )


def visit(user, thread: Thread) -> None:
    """Reading a thread marks it read. Bookkeeping of the reader's own view, so a GET may do it."""
    if policy.can_post(user, thread.group):
        mark_read(user, thread)
        db.session.commit()


def mark_all_read(user, group: Group) -> None:
    _require(policy.can_post(user, group))
    threads = db.session.scalars(select(Thread).where(Thread.group_id == group.id, Thread.deleted_at.is_(None)))
    for thread in threads:
        mark_read(user, thread)
    db.session.commit()


# ---------------------------------------------------------------- comments


def comment_for(user, comment_id: int) -> Comment:
    comment = db.session.scalar(
        select(Comment).where(Comment.id == comment_id).options(selectinload(Comment.thread).selectinload(Thread.group))
    )
    if comment is None or not policy.can_read(user, comment.thread.group) or comment.thread.deleted_at is not None:
        raise NotFound()
    return comment


def add_comment(user, thread: Thread, body: str, parent_id: int | None = None) -> Comment:
    """A member replies to the thread or to a comment in it, while the thread is open."""
    _require(policy.can_post(user, thread.group))
    if thread.deleted_at is not None:
        raise NotFound()
    if thread.closed:
        raise Refused(_l("This thread is closed: it takes no new replies."))
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.thread_id != thread.id:
            raise Refused(_l("You can only reply to a comment in this thread."))
        if parent.deleted_at is not None:
            raise Refused(_l("That comment was deleted; reply to the thread instead."))
    body = check_text(body)
    html, mentioned = render_in(thread.group, body)
    comment = Comment(thread=thread, parent_id=parent_id, author_id=user.id, body_md=body, body_html=html)
    db.session.add(comment)
    db.session.flush()
    thread.comment_count += 1
    thread.last_comment_id = comment.id
    thread.last_activity_at = comment.created_at
    revise(comment, user, body)
    _mention_once(user, thread.group, comment, mentioned, thread.title, thread.id)
    replied_to = parent.author_id if parent is not None else thread.author_id
    happened("comment.added", thread.group, user, comment, title=thread.title, thread_id=thread.id,
             extra={"replied_to": replied_to, "mentioned": [m.id for m in mentioned]})
    mark_read(user, thread)
    db.session.commit()
    return comment


def edit_comment(user, comment: Comment, body: str) -> Comment:
    _require(policy.can_edit(user, comment))
    body = check_text(body)
    if body == comment.body_md:
        return comment
    group = comment.thread.group
    html, mentioned = render_in(group, body)
    comment.body_md, comment.body_html, comment.edited_at = body, html, utcnow()
    revise(comment, user, body)
    _mention_once(user, group, comment, mentioned, comment.thread.title, comment.thread_id)
    db.session.commit()
    return comment


def delete_comment(user, comment: Comment) -> None:
    """Soft delete; a comment with replies stays in the tree as "deleted" so the replies keep their place."""
    _require(comment.deleted_at is None and policy.can_delete(user, comment))
    comment.deleted_at = utcnow()
    comment.thread.comment_count -= 1
    happened("comment.deleted", comment.thread.group, user, comment, title=comment.thread.title,
             thread_id=comment.thread_id)
    db.session.commit()


# ---------------------------------------------------------------- the thread page

SHOWN_DEPTH = 3  # deeper replies are shown at this depth, "replying to @name"
FOLD_AFTER = 3  # replies shown under a comment before the rest fold away


@dataclass
class Node:
    comment: Comment
    depth: int
    replying_to: User | None = None  # set when shown shallower than it really is
    children: list["Node"] = field(default_factory=list)
    unread: bool = False
    has_replies: bool = False  # a reply that is itself shown hangs under it

    @property
    def visible(self) -> bool:
        """A deleted comment shows (as "deleted") only while replies hang under it."""
        return self.comment.deleted_at is None or self.has_replies


def comment_tree(comments: list[Comment], last_seen_id: int | None = None) -> list[Node]:
    """Top-level nodes with their replies, built in one pass over the comments: O(n).

    Replies deeper than SHOWN_DEPTH join the replies of their depth-2 ancestor, in order,
    each saying whom it replies to.
    """
    nodes: dict[int, Node] = {}
    holder: dict[int, Node | None] = {}  # whose `children` a comment's node sits in
    real_depth: dict[int, int] = {}
    authors = {c.id: c.author for c in comments}
    roots: list[Node] = []
    ordered = sorted(comments, key=lambda c: c.id)  # a parent always has a smaller id
    for c in ordered:
        parent = nodes.get(c.parent_id) if c.parent_id else None
        depth = real_depth[c.parent_id] + 1 if parent is not None else 1
        real_depth[c.id] = depth
        unread = last_seen_id is not None and c.id > last_seen_id
        if parent is None:
            node, holder[c.id] = Node(c, 1, unread=unread), None
            roots.append(node)
        else:
            if depth <= SHOWN_DEPTH:
                node, holder[c.id] = Node(c, depth, unread=unread), parent
            else:
                node = Node(c, SHOWN_DEPTH, replying_to=authors[c.parent_id], unread=unread)
                holder[c.id] = holder[c.parent_id]
            holder[c.id].children.append(node)
        nodes[c.id] = node
    # Newest first, so a reply's own visibility is settled before its parent asks: a deleted
    # comment stays as a placeholder only while a reply that is still shown hangs under it.
    for c in reversed(ordered):
        if c.parent_id in nodes and nodes[c.id].visible:
            nodes[c.parent_id].has_replies = True
    return roots


def unfolded(comments: list[Comment], *comment_ids: int | None) -> set[int]:
    """Comments whose folded replies should show: those asked for, and every ancestor of them."""
    parents = {c.id: c.parent_id for c in comments}
    opened: set[int] = set()
    for cid in comment_ids:
        while cid is not None and cid in parents and cid not in opened:
            opened.add(cid)
            cid = parents[cid]
    return opened


def find_node(roots: list[Node], comment_id: int) -> tuple[Node | None, Node | None]:
    """(the comment's node, the node whose replies list shows it — None at the top level)."""
    stack: list[tuple[Node, Node | None]] = [(root, None) for root in roots]
    while stack:
        node, holder = stack.pop()
        if node.comment.id == comment_id:
            return node, holder
        stack.extend((child, node) for child in node.children)
    return None, None


def thread_comments(thread: Thread) -> list[Comment]:
    """Every comment of the thread with its author: two queries, whatever their number."""
    return list(
        db.session.scalars(
            select(Comment).where(Comment.thread_id == thread.id).options(selectinload(Comment.author)).order_by(Comment.id)
        )
    )


def reactions_for(target_type: str, ids: list[int], user) -> dict[int, dict[str, tuple[int, bool]]]:
    """{target id: {kind: (count, mine?)}} for many targets in one query."""
    if not ids:
        return {}
    me = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    rows = db.session.execute(
        select(Reaction.target_id, Reaction.kind, func.count(), func.sum(case((Reaction.user_id == me, 1), else_=0)))
        .where(Reaction.target_type == target_type, Reaction.target_id.in_(ids))
        .group_by(Reaction.target_id, Reaction.kind)
    ).all()
    result: dict[int, dict[str, tuple[int, bool]]] = {}
    for target_id, kind, count, mine in rows:
        result.setdefault(target_id, {})[kind] = (count, bool(mine))
    return result


# ---------------------------------------------------------------- reactions


def toggle_reaction(user, target, kind: str) -> bool:
    """One of each reaction per person: adds it, or takes it back. Returns whether it is now on."""
    group = target.thread.group if isinstance(target, Comment) else target.group
    _require(policy.can_post(user, group))
    if kind not in REACTIONS:
        raise Refused(_l("That reaction isn't one of ours."))
    if getattr(target, "deleted_at", None) is not None:
        raise NotFound()
    target_type = type(target).__name__.lower()
    existing = db.session.scalar(
        select(Reaction).where(
            Reaction.target_type == target_type, Reaction.target_id == target.id,
            Reaction.user_id == user.id, Reaction.kind == kind,
        )
    )
    if existing is not None:
        db.session.delete(existing)
    else:
        db.session.add(Reaction(target_type=target_type, target_id=target.id, user_id=user.id, kind=kind))
    db.session.commit()
    return existing is None


# ---------------------------------------------------------------- documents


def document_for(user, document_id: int) -> Document:
    document = db.session.scalar(
        select(Document)
        .where(Document.id == document_id)
        .options(selectinload(Document.group).selectinload(Group.parent), selectinload(Document.tags),
                 selectinload(Document.updated_by))
    )
    if document is None or document.deleted_at is not None or not policy.can_read(user, document.group):
        raise NotFound()
    return document


def _check_folder(folder: str | None) -> str:
    folder = (folder or "").strip().strip("/")
    if len(folder) > 80:
        raise Refused(_l("A folder name is at most 80 characters."), "folder")
    return folder


def write_document(user, group: Group, title: str, body: str, folder: str = "", tags: list[str] | None = None) -> Document:
    """A member starts a living page; every later edit keeps a revision."""
    _require(policy.can_post(user, group))
    title, body, folder = check_title(title), check_text(body), _check_folder(folder)
    html, mentioned = render_in(group, body)
    document = Document(group=group, folder=folder, title=title, body_md=body, body_html=html,
                        author_id=user.id, updated_by_id=user.id, tags=_tags(group, tags or []))
    db.session.add(document)
    db.session.flush()
    revise(document, user, body, title)
    _mention_once(user, group, document, mentioned, title, 0)
    happened("document.created", group, user, document, title=title)
    db.session.commit()
    return document


def edit_document(user, document: Document, title: str, body: str, folder: str = "",
                  tags: list[str] | None = None) -> Document:
    _require(policy.can_edit(user, document))
    title, body, folder = check_title(title), check_text(body), _check_folder(folder)
    new_tags = _tags(document.group, tags) if tags is not None else document.tags
    if (title, body, folder) == (document.title, document.body_md, document.folder) and new_tags == document.tags:
        return document
    html, mentioned = render_in(document.group, body)
    document.title, document.body_md, document.body_html, document.folder = title, body, html, folder
    document.tags = new_tags
    document.updated_by_id, document.updated_at = user.id, utcnow()
    number = revise(document, user, body, title).number
    _mention_once(user, document.group, document, mentioned, title, 0)
    happened("document.edited", document.group, user, document, title=title, version=number)
    db.session.commit()
    return document


def delete_document(user, document: Document) -> None:
    _require(document.deleted_at is None and policy.can_delete(user, document))
    document.deleted_at = utcnow()
    happened("document.deleted", document.group, user, document, title=document.title)
    db.session.commit()


def document_list(group: Group, folder: str | None = None, tag: str | None = None) -> list[Document]:
    query = (
        select(Document)
        .where(Document.group_id == group.id, Document.deleted_at.is_(None))
        .options(selectinload(Document.tags), selectinload(Document.updated_by))
        .order_by(Document.folder, func.lower(Document.title))
    )
    if folder is not None:
        query = query.where(Document.folder == folder)
    if tag:
        query = query.where(Document.tags.any(Tag.name == tag.lower()))
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- attachments
#
# Files ride along with a post: every chosen file is checked before anything is written, so
# a refused file leaves neither the post nor any file behind. The bytes are stored (once per
# content hash) before the post is saved; if saving fails, bytes that were new are taken back.


def _target_type(target) -> str:
    return type(target).__name__.lower()


@contextmanager
def _files_kept(checked: list[files.Upload]):
    """Store the files' bytes for the body of the `with`; if the body fails, remove the new ones."""
    written: list[str] = []
    try:
        for upload in checked:
            if files.store(upload):
                written.append(upload.sha256)
        yield
    except BaseException:
        db.session.rollback()
        for sha256 in written:
            if not db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.sha256 == sha256)):
                files.discard(sha256)
        raise


def _add_attachments(user, group: Group, target, checked: list[files.Upload]) -> list[Attachment]:
    rows = [
        Attachment(group_id=group.id, target_type=_target_type(target), target_id=target.id, uploader_id=user.id,
                   filename=u.filename, content_type=u.content_type, size=u.size, sha256=u.sha256)
        for u in checked
    ]
    db.session.add_all(rows)
    return rows


def start_thread_with_files(user, group: Group, title: str, body: str, tags: list[str] | None = None,
                            uploads=()) -> Thread:
    """start_thread, with files attached to the new thread; a refused file saves nothing."""
    _require(policy.can_post(user, group))
    checked = files.check_all(uploads)
    with _files_kept(checked):
        thread = start_thread(user, group, title, body, tags, commit=False)
        _add_attachments(user, group, thread, checked)
        db.session.commit()
    return thread


def edit_thread_with_files(user, thread: Thread, title: str, body: str, tags: list[str] | None = None,
                           uploads=()) -> Thread:
    """edit_thread, adding files to the thread; a refused file changes nothing."""
    _require(policy.can_edit(user, thread))
    checked = files.check_all(uploads)
    with _files_kept(checked):
        edit_thread(user, thread, title, body, tags)
        if checked:
            _add_attachments(user, thread.group, thread, checked)
            db.session.commit()
    return thread


def add_comment_with_files(user, thread: Thread, body: str, parent_id: int | None = None, uploads=()) -> Comment:
    """add_comment, with files attached to the new comment; a refused file saves nothing."""
    _require(policy.can_post(user, thread.group))
    checked = files.check_all(uploads)
    with _files_kept(checked):
        comment = add_comment(user, thread, body, parent_id)
        if checked:
            _add_attachments(user, thread.group, comment, checked)
            db.session.commit()
    return comment


def write_document_with_files(user, group: Group, title: str, body: str, folder: str = "",
                              tags: list[str] | None = None, uploads=()) -> Document:
    """write_document, with files attached to the new page; a refused file saves nothing."""
    _require(policy.can_post(user, group))
    checked = files.check_all(uploads)
    with _files_kept(checked):
        document = write_document(user, group, title, body, folder, tags)
        if checked:
            _add_attachments(user, group, document, checked)
            db.session.commit()
    return document


def edit_document_with_files(user, document: Document, title: str, body: str, folder: str = "",
                             tags: list[str] | None = None, uploads=()) -> Document:
    """edit_document, adding files to the page; a refused file changes nothing."""
    _require(policy.can_edit(user, document))
    checked = files.check_all(uploads)
    with _files_kept(checked):
        edit_document(user, document, title, body, folder, tags)
        if checked:
            _add_attachments(user, document.group, document, checked)
            db.session.commit()
    return document


def _attachment_target(attachment: Attachment):
    """The thread, comment (with its thread) or document a file hangs on; None if it is gone."""
    if attachment.target_type == "comment":
        return db.session.scalar(
            select(Comment).where(Comment.id == attachment.target_id).options(selectinload(Comment.thread))
        )
    model = {"thread": Thread, "document": Document}.get(attachment.target_type)
    return db.session.get(model, attachment.target_id) if model is not None else None


def attachment_for(user, attachment_id: int) -> tuple[Attachment, object]:
    """A file this person may download, and what it hangs on. Else 404: outsiders of a private
    group, removed files and files of deleted posts all look like nothing at all."""
    attachment = db.session.scalar(
        select(Attachment)
        .where(Attachment.id == attachment_id)
        .options(selectinload(Attachment.group).selectinload(Group.parent))
    )
    if attachment is None:
        raise NotFound()
    target = _attachment_target(attachment)
    if not policy.can_download(user, attachment.group, attachment, target):
        raise NotFound()
    return attachment, target


def remove_attachment(user, attachment: Attachment) -> None:
    """The uploader or an admin removes a file: it disappears from the post and stops being served.

    A soft delete: the row stays for the record; the bytes stay too, since other posts may
    share them (they are stored once per content).
    """
    _require(attachment.deleted_at is None and policy.can_remove_attachment(user, attachment.group, attachment))
    attachment.deleted_at = utcnow()
    db.session.commit()


def attachments_for(targets: dict[str, list[int]]) -> dict[tuple[str, int], list[Attachment]]:
    """{(target type, id): its files, oldest first} for many posts in one query."""
    wanted = [and_(Attachment.target_type == kind, Attachment.target_id.in_(ids)) for kind, ids in targets.items() if ids]
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(Attachment).where(Attachment.deleted_at.is_(None), or_(*wanted)).order_by(Attachment.id)
    )
    result: dict[tuple[str, int], list[Attachment]] = {}
    for attachment in rows:
        result.setdefault((attachment.target_type, attachment.target_id), []).append(attachment)
    return result
