"""Files attached to threads, comments and documents: added with a post, downloaded, removed.

Files ride along with a post: every chosen file is checked before anything is written, so
a refused file leaves neither the post nor any file behind. The bytes are stored (once per
content hash, see `files`) before the post is saved; if saving fails, bytes that were new are
taken back.
"""
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.archive import files, policy
from app.archive.comments import add_comment
from app.archive.documents import edit_document, write_document
from app.archive.models import Attachment, Comment, Document, Thread
from app.archive.threads import edit_thread, start_thread
from app.core.database import utcnow
from app.core.errors import Missing, require
from app.core.extensions import db
from app.groups.models import Group


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


def _with_files(user, group: Group, uploads, write: Callable[[], object]):
    """`write()` the post, then attach the checked files to it: all of it, or none of it."""
    checked = files.check_all(uploads)
    with _files_kept(checked):
        target = write()
        if checked:
            db.session.add_all(
                Attachment(group_id=group.id, target_type=type(target).__name__.lower(), target_id=target.id,
                           uploader_id=user.id, filename=u.filename, content_type=u.content_type, size=u.size,
                           sha256=u.sha256)
                for u in checked
            )
        db.session.commit()  # `start_thread(commit=False)` leaves the thread itself to this commit
    return target


def start_thread_with_files(user, group: Group, title: str, body: str, tags: list[str] | None = None,
                            uploads=()) -> Thread:
    """start_thread, with files attached to the new thread; a refused file saves nothing."""
    require(policy.can_post(user, group))
    return _with_files(user, group, uploads, lambda: start_thread(user, group, title, body, tags, commit=False))


def edit_thread_with_files(user, thread: Thread, title: str, body: str, tags: list[str] | None = None,
                           uploads=()) -> Thread:
    """edit_thread, adding files to the thread; a refused file changes nothing."""
    require(policy.can_edit(user, thread))
    return _with_files(user, thread.group, uploads, lambda: edit_thread(user, thread, title, body, tags))


def add_comment_with_files(user, thread: Thread, body: str, parent_id: int | None = None, uploads=()) -> Comment:
    """add_comment, with files attached to the new comment; a refused file saves nothing."""
    require(policy.can_post(user, thread.group))
    return _with_files(user, thread.group, uploads, lambda: add_comment(user, thread, body, parent_id))


def write_document_with_files(user, group: Group, title: str, body: str, folder: str = "",
                              tags: list[str] | None = None, uploads=()) -> Document:
    """write_document, with files attached to the new page; a refused file saves nothing."""
    require(policy.can_post(user, group))
    return _with_files(user, group, uploads, lambda: write_document(user, group, title, body, folder, tags))


def edit_document_with_files(user, document: Document, title: str, body: str, folder: str = "",
                             tags: list[str] | None = None, uploads=()) -> Document:
    """edit_document, adding files to the page; a refused file changes nothing."""
    require(policy.can_edit(user, document))
    return _with_files(user, document.group, uploads,
                       lambda: edit_document(user, document, title, body, folder, tags))


def _attachment_target(attachment: Attachment):
    """The thread, comment (with its thread) or document a file hangs on; None if it is gone."""
    if attachment.target_type == "comment":
        return db.session.scalar(
            select(Comment).where(Comment.id == attachment.target_id).options(selectinload(Comment.thread))
        )
    model = {"thread": Thread, "document": Document}.get(attachment.target_type)
    return db.session.get(model, attachment.target_id) if model is not None else None


def attachment_for(user, attachment_id: int) -> tuple[Attachment, object]:
    """A file this person may download, and what it hangs on. Else Missing: outsiders of a private
    group, removed files and files of deleted posts all look like nothing at all."""
    attachment = db.session.scalar(
        select(Attachment)
        .where(Attachment.id == attachment_id)
        .options(selectinload(Attachment.group).selectinload(Group.parent))
    )
    if attachment is None:
        raise Missing()
    target = _attachment_target(attachment)
    if not policy.can_download(user, attachment.group, attachment, target):
        raise Missing()
    return attachment, target


def remove_attachment(user, attachment: Attachment) -> None:
    """The uploader or an admin removes a file: it disappears from the post and stops being served.

    A soft delete: the row stays for the record; the bytes stay too, since other posts may
    share them (they are stored once per content).
    """
    require(policy.can_remove_attachment(user, attachment.group, attachment))
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
