"""What the thread page and each of its htmx blocks show: one small builder per block.

htmx swaps a named block of `archive/thread.html` (`reactions`, `reply_form`, `replies`),
rendered with `render_block` from the block's own builder here, which reads only what that
block shows. The whole page's builder, `thread_page_context`, composes them.
"""
from app.archive import comments, policy
from app.archive.attachments import attachments_for
from app.archive.comments import comment_tree, find_node, first_unread, subtree_ids, thread_comments, unfolded
from app.archive.forms import CommentForm
from app.archive.models import Comment, Thread
from app.archive.reactions import reactions_for
from app.archive.read_state import last_seen
from app.core.errors import Missing
from app.core.slots import Slot

# The proposals made in a thread, shown at its top. Decisions owns proposals; app.web fills this.
proposals_in_thread = Slot("archive.proposals_in_thread", default=lambda thread: [])


def reactions_context(user, target_type: str, target) -> dict:
    """The `reactions` block: one thread's or comment's reactions, and whether this person may react."""
    group = target.thread.group if target_type == "comment" else target.group
    return dict(
        target_type=target_type, target=target, can_react=policy.can_post(user, group),
        counts=reactions_for(target_type, [target.id], user).get(target.id, {}),
    )


def reply_form_context(thread: Thread, form=None, parent_id: int | None = None, posted=None) -> dict:
    """The `reply_form` block: the reply box (to the thread, or under a comment).

    After a post (`posted`, the new comment's node), an empty box where the form was, and the
    new comment added out of band to the list it belongs in.
    """
    return dict(thread=thread, form=form or CommentForm(formdata=None), parent_id=parent_id, posted=posted)


def comments_context(user, thread: Thread, shown: list[Comment], expanded=frozenset(), reply_to: int | None = None,
                     form=None) -> dict:
    """What showing these comments of the thread needs: their reactions and files (the thread's
    files come in the same query), what this person may do to each, and how the tree folds."""
    ids = [c.id for c in shown]
    files = attachments_for({"thread": [thread.id], "comment": ids})
    return dict(
        thread=thread,
        reactions=reactions_for("comment", ids, user),
        attachments=files,
        editable=policy.editable(user, thread.group, shown),
        deletable=policy.deletable(user, thread.group, shown),
        removable=policy.removable(user, thread.group, [a for kept in files.values() for a in kept]),
        can_post=policy.can_comment(user, thread),
        can_react=policy.can_post(user, thread.group),
        expanded=expanded,
        reply_to=reply_to,
        form=form or CommentForm(formdata=None),
        fold_after=comments.FOLD_AFTER,
        shown_depth=comments.SHOWN_DEPTH,
        node=None,
    )


def replies_context(user, comment: Comment) -> dict:
    """The `replies` block for one comment: every reply under it, unfolded."""
    thread = comment.thread
    everything = thread_comments(thread)
    seen = last_seen(user, thread)
    node, _holder = find_node(comment_tree(everything, seen), comment.id)
    if node is None:  # a deleted comment without replies is not shown, nor are its replies
        raise Missing()
    under = set(subtree_ids(node))
    context = comments_context(user, thread, [c for c in everything if c.id in under],
                               expanded=unfolded(everything, comment.id, first_unread(everything, seen)))
    context["node"] = node
    return context


def new_comment_context(user, thread: Thread, comment: Comment) -> dict:
    """The `reply_form` block after a post: the box emptied, and the new comment in its list.

    The new comment is read, so nothing in it is unread; the tree places it (depth, list,
    whom it answers).
    """
    node, holder = find_node(comment_tree(thread_comments(thread)), comment.id)
    context = comments_context(user, thread, [node.comment])
    context.update(reply_form_context(thread, None, comment.parent_id, posted=node),
                   list_id=f"replies-{holder.comment.id}" if holder else "comments")
    return context


def thread_page_context(user, thread: Thread, form=None, show: int | None = None, expand: int | None = None,
                        reply_to: int | None = None) -> dict:
    """The whole thread page, in a fixed number of queries: the thread, its actions and every block."""
    everything = thread_comments(thread)
    seen = last_seen(user, thread)
    first = first_unread(everything, seen)
    context = comments_context(user, thread, everything, unfolded(everything, show, expand, first), reply_to, form)
    context.update(reactions_context(user, "thread", thread))
    context.update(reply_form_context(thread, context["form"]))
    context.update(
        group=thread.group,
        proposals=proposals_in_thread(thread),
        roots=comment_tree(everything, seen),
        first_unread=first,
        can_edit=policy.can_edit(user, thread),
        can_close=policy.can_close(user, thread),
        can_pin=policy.can_pin(user, thread),
        can_delete=policy.can_delete(user, thread),
    )
    return context
