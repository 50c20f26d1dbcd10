"""Documents: living pages of a group, in folders, that keep every version."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.archive import policy
from app.archive.mentions import mention_once
from app.archive.models import FOLDER_MAX, Document, Tag
from app.archive.tags import make_tags
from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.core.revisions import revise
from app.core.text import check_text, check_title
from app.groups.mentions import render_in
from app.groups.models import Group


def document_for(user, document_id: int) -> Document:
    """A document this person may read that is not deleted; else Missing."""
    document = db.session.scalar(
        select(Document)
        .where(Document.id == document_id)
        .options(selectinload(Document.group).selectinload(Group.parent), selectinload(Document.tags),
                 selectinload(Document.updated_by))
    )
    if document is None or document.deleted_at is not None or not policy.can_read(user, document.group):
        raise Missing()
    return document


def _check_folder(folder: str | None) -> str:
    folder = (folder or "").strip().strip("/")
    if len(folder) > FOLDER_MAX:
        raise Refused(_l("A folder name is at most 80 characters."), "folder")
    return folder


def write_document(user, group: Group, title: str, body: str, folder: str = "", tags: list[str] | None = None) -> Document:
    """A member starts a living page; every later edit keeps a revision."""
    require(policy.can_post(user, group))
    title, body, folder = check_title(title), check_text(body), _check_folder(folder)
    html, mentioned = render_in(group, body)
    document = Document(group=group, folder=folder, title=title, body_md=body, body_html=html,
                        author_id=user.id, updated_by_id=user.id, tags=make_tags(group, tags or []))
    db.session.add(document)
    db.session.flush()
    revise(document, user, body, title)
    mention_once(user, group, document, mentioned, title, 0)
    happened("document.created", group, user, document, title=title)
    db.session.commit()
    return document


def edit_document(user, document: Document, title: str, body: str, folder: str = "",
                  tags: list[str] | None = None) -> Document:
    """Any member edits a living page; the change is a new version."""
    require(policy.can_edit(user, document))
    title, body, folder = check_title(title), check_text(body), _check_folder(folder)
    new_tags = make_tags(document.group, tags) if tags is not None else document.tags
    if (title, body, folder) == (document.title, document.body_md, document.folder) and new_tags == document.tags:
        return document
    html, mentioned = render_in(document.group, body)
    document.title, document.body_md, document.body_html, document.folder = title, body, html, folder
    document.tags = new_tags
    document.updated_by_id, document.updated_at = user.id, utcnow()
    number = revise(document, user, body, title).number
    mention_once(user, document.group, document, mentioned, title, 0)
    happened("document.edited", document.group, user, document, title=title, version=number)
    db.session.commit()
    return document


def delete_document(user, document: Document) -> None:
    """Soft delete by the author or an admin: its history stays in the archive."""
    require(policy.can_delete(user, document))
    document.deleted_at = utcnow()
    happened("document.deleted", document.group, user, document, title=document.title)
    db.session.commit()


def document_list(group: Group, folder: str | None = None, tag: str | None = None) -> list[Document]:
    """The group's documents, by folder and title."""
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
