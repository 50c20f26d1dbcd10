"""Comments in a thread, and the one tree that shows them — on the thread page and in the export.

A member replies to the thread or to a comment in it, while the thread is open. Replies nest
to SHOWN_DEPTH; deeper ones are shown at that depth, saying whom they answer. A deleted
comment stays in the tree as "deleted" only while a reply that is still shown hangs under it.
"""
from dataclasses import dataclass, field
from typing import Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.archive import policy
from app.archive.mentions import mention_once
from app.archive.models import Comment, Thread
from app.archive.read_state import mark_read
from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.core.revisions import revise
from app.core.text import check_text
from app.groups.mentions import render_in

SHOWN_DEPTH = 3  # deeper replies are shown at this depth, "replying to @name"
FOLD_AFTER = 3  # replies shown under a comment before the rest fold away


# ---------------------------------------------------------------- writing


def comment_for(user, comment_id: int) -> Comment:
    """A comment of a live thread this person may read (deleted comments included); else Missing."""
    comment = db.session.scalar(
        select(Comment).where(Comment.id == comment_id).options(selectinload(Comment.thread).selectinload(Thread.group))
    )
    if comment is None or not policy.can_read(user, comment.thread.group) or comment.thread.deleted_at is not None:
        raise Missing()
    return comment


def add_comment(user, thread: Thread, body: str, parent_id: int | None = None) -> Comment:
    """A member replies to the thread or to a comment in it, while the thread is open."""
    require(policy.can_post(user, thread.group))
    if thread.deleted_at is not None:
        raise Missing()
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
    mention_once(user, thread.group, comment, mentioned, thread.title, thread.id)
    replied_to = parent.author_id if parent is not None else thread.author_id
    happened("comment.added", thread.group, user, comment, title=thread.title, thread_id=thread.id,
             extra={"replied_to": replied_to, "mentioned": [m.id for m in mentioned]})
    mark_read(user, thread)
    db.session.commit()
    return comment


def edit_comment(user, comment: Comment, body: str) -> Comment:
    """The author edits their words; the old ones stay as a revision."""
    require(policy.can_edit(user, comment))
    body = check_text(body)
    if body == comment.body_md:
        return comment
    group = comment.thread.group
    html, mentioned = render_in(group, body)
    comment.body_md, comment.body_html, comment.edited_at = body, html, utcnow()
    revise(comment, user, body)
    mention_once(user, group, comment, mentioned, comment.thread.title, comment.thread_id)
    db.session.commit()
    return comment


def delete_comment(user, comment: Comment) -> None:
    """Soft delete; a comment with replies stays in the tree as "deleted" so the replies keep their place."""
    require(policy.can_delete(user, comment))
    comment.deleted_at = utcnow()
    comment.thread.comment_count -= 1
    happened("comment.deleted", comment.thread.group, user, comment, title=comment.thread.title,
             thread_id=comment.thread_id)
    db.session.commit()


def thread_comments(thread: Thread) -> list[Comment]:
    """Every comment of the thread with its author: two queries, whatever their number."""
    return list(
        db.session.scalars(
            select(Comment).where(Comment.thread_id == thread.id).options(selectinload(Comment.author)).order_by(Comment.id)
        )
    )


# ---------------------------------------------------------------- the tree


class Remark(Protocol):
    """What the tree reads of a comment: a Comment, or a row of the export's query."""

    id: int
    parent_id: int | None
    deleted_at: object


@dataclass
class Node:
    comment: Remark
    depth: int
    answers: Remark | None = None  # the comment it replies to, when shown shallower than it really is
    children: list["Node"] = field(default_factory=list)
    unread: bool = False
    has_replies: bool = False  # a reply that is itself shown hangs under it

    @property
    def visible(self) -> bool:
        """A deleted comment shows (as "deleted") only while replies hang under it."""
        return self.comment.deleted_at is None or self.has_replies

    @property
    def replying_to(self) -> User | None:
        """Whom it replies to, named only when it is shown shallower than it really is."""
        return self.answers.author if self.answers is not None else None


def comment_tree(comments: list[Remark], last_seen_id: int | None = None) -> list[Node]:
    """Top-level nodes with their replies, built in one pass over the comments: O(n).

    Replies deeper than SHOWN_DEPTH join the replies of their depth-2 ancestor, in order,
    each saying whom it replies to.
    """
    nodes: dict[int, Node] = {}
    holder: dict[int, Node | None] = {}  # whose `children` a comment's node sits in
    real_depth: dict[int, int] = {}
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
                node = Node(c, SHOWN_DEPTH, answers=parent.comment, unread=unread)
                holder[c.id] = holder[c.parent_id]
            holder[c.id].children.append(node)
        nodes[c.id] = node
    # Newest first, so a reply's own visibility is settled before its parent asks: a deleted
    # comment stays as a placeholder only while a reply that is still shown hangs under it.
    for c in reversed(ordered):
        if c.parent_id in nodes and nodes[c.id].visible:
            nodes[c.parent_id].has_replies = True
    return roots


def in_reading_order(roots: list[Node]):
    """Every node that shows, depth first, as the page lists them."""
    stack = [n for n in reversed(roots) if n.visible]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in reversed(node.children) if child.visible)


def unfolded(comments: list[Remark], *comment_ids: int | None) -> set[int]:
    """Comments whose folded replies should show: those asked for, and every ancestor of them."""
    parents = {c.id: c.parent_id for c in comments}
    opened: set[int] = set()
    for cid in comment_ids:
        while cid is not None and cid in parents and cid not in opened:
            opened.add(cid)
            cid = parents[cid]
    return opened


def first_unread(comments: list[Remark], last_seen_id: int | None) -> int | None:
    """The oldest comment, not deleted, newer than the last one this person saw; None if never here."""
    if last_seen_id is None:
        return None
    return next((c.id for c in comments if c.id > last_seen_id and c.deleted_at is None), None)


def find_node(roots: list[Node], comment_id: int) -> tuple[Node | None, Node | None]:
    """(the comment's node, the node whose replies list shows it — None at the top level)."""
    stack: list[tuple[Node, Node | None]] = [(root, None) for root in roots]
    while stack:
        node, holder = stack.pop()
        if node.comment.id == comment_id:
            return node, holder
        stack.extend((child, node) for child in node.children)
    return None, None


def subtree_ids(node: Node) -> list[int]:
    """The ids of a node's comment and of every reply under it."""
    ids, stack = [], [node]
    while stack:
        current = stack.pop()
        ids.append(current.comment.id)
        stack.extend(current.children)
    return ids
