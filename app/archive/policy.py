"""Who may do what with threads, comments and documents. Reading follows the group's rules."""
from app.groups import policy as groups


def can_read(user, group) -> bool:
    return groups.can_read(user, group)


def can_post(user, group) -> bool:
    """Members start threads, comment, react, write documents and upload files."""
    return groups.can_write(user, group)


def can_edit(user, item) -> bool:
    """Authors edit their own words while they are members; documents are edited by any member."""
    if getattr(item, "deleted_at", None) is not None:
        return False
    group = item.thread.group if hasattr(item, "thread") else item.group
    if not groups.can_write(user, group):
        return False
    if type(item).__name__ == "Document":
        return True
    return item.author_id == getattr(user, "id", None)


def can_delete(user, item) -> bool:
    """The author, or an admin of the group."""
    group = item.thread.group if hasattr(item, "thread") else item.group
    if item.author_id == getattr(user, "id", None) and groups.can_write(user, group):
        return True
    return groups.can_admin(user, group)


def can_moderate(user, group) -> bool:
    """Pin, close and reopen threads: facilitators and admins."""
    return groups.can_facilitate(user, group)


def can_close(user, thread) -> bool:
    """A thread's author may close it too."""
    return can_moderate(user, thread.group) or (
        thread.author_id == getattr(user, "id", None) and groups.can_write(user, thread.group)
    )


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


def can_remove_attachment(user, group, attachment) -> bool:
    """The member who uploaded it, or an admin of the group."""
    if attachment.uploader_id == getattr(user, "id", None) and groups.can_write(user, group):
        return True
    return groups.can_admin(user, group)
