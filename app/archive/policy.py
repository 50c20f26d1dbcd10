"""Who may do what with threads, comments, documents and files: the one place that decides.

Reading follows the group's rules (`app.groups.policy`). Nothing deleted may be changed again.
"""
from app.groups import policy as groups


def can_read(user, group) -> bool:
    return groups.can_read(user, group)


def can_post(user, group) -> bool:
    """Members start threads, comment, react, write documents and upload files."""
    return groups.can_write(user, group)


def _group_of(item):
    return item.thread.group if hasattr(item, "thread") else item.group


def editable(user, group, items) -> set[int]:
    """The ids of these threads, comments or documents (of one kind, all of `group`) this person may edit.

    Authors edit their own words while they are members; documents are edited by any member.
    Nothing deleted. One membership read for a page of them.
    """
    if not groups.can_write(user, group):
        return set()
    me = getattr(user, "id", None)
    return {i.id for i in items if i.deleted_at is None and (type(i).__name__ == "Document" or i.author_id == me)}


def can_edit(user, item) -> bool:
    return item.id in editable(user, _group_of(item), [item])


def deletable(user, group, items) -> set[int]:
    """The ids of these threads, comments or documents (of one kind, all of `group`) this person may
    delete: the author while a member, or an admin of the group. Nothing is deleted twice."""
    admin = groups.can_admin(user, group)
    author = getattr(user, "id", None) if groups.can_write(user, group) else None
    return {i.id for i in items if i.deleted_at is None and (admin or (author is not None and i.author_id == author))}


def can_delete(user, item) -> bool:
    return item.id in deletable(user, _group_of(item), [item])


def can_comment(user, thread) -> bool:
    """Members reply while the thread is open (and not deleted)."""
    return thread.deleted_at is None and not thread.closed and can_post(user, thread.group)


def can_moderate(user, group) -> bool:
    """Pin, close and reopen threads: facilitators and admins."""
    return groups.can_facilitate(user, group)


def can_close(user, thread) -> bool:
    """Close and reopen a thread that is not deleted: its author may, as well as facilitators."""
    if thread.deleted_at is not None:
        return False
    return can_moderate(user, thread.group) or (
        thread.author_id == getattr(user, "id", None) and groups.can_write(user, thread.group)
    )


def can_pin(user, thread) -> bool:
    """Pin and unpin a thread that is not deleted: facilitators and admins."""
    return thread.deleted_at is None and can_moderate(user, thread.group)


def can_export(user, group) -> bool:
    return groups.can_admin(user, group)


def can_download(user, group, attachment, target) -> bool:
    """A file is read like the post it hangs on: readers of the group, while neither is deleted.

    `target` is the thread, comment or document (a comment's thread counts too).
    """
    if attachment.deleted_at is not None or target is None or getattr(target, "deleted_at", None) is not None:
        return False
    thread = getattr(target, "thread", None)
    if thread is not None and thread.deleted_at is not None:
        return False
    return can_read(user, group)


def removable(user, group, attachments) -> set[int]:
    """The ids of these files (of `group`) this person may remove: the member who uploaded one, or an
    admin of the group, while it is not removed yet."""
    admin = groups.can_admin(user, group)
    uploader = getattr(user, "id", None) if groups.can_write(user, group) else None
    return {a.id for a in attachments
            if a.deleted_at is None and (admin or (uploader is not None and a.uploader_id == uploader))}


def can_remove_attachment(user, group, attachment) -> bool:
    return attachment.id in removable(user, group, [attachment])
