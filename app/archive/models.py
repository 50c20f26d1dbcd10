"""The archive's tables: threads, comments, documents, tags, mentions, reactions, read state, files.

The group's history (`Event`) and saved versions (`Revision`) live in `app.core`: other features write them too.
"""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db
from app.core.text import TITLE_MAX


REACTIONS = ("thanks", "agree", "heart", "celebrate", "thinking")
TAG_MAX = 40  # characters in a tag
FOLDER_MAX = 80  # characters in a document's folder path


thread_tags = db.Table(
    "thread_tags",
    db.Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)
document_tags = db.Table(
    "document_tags",
    db.Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    name: Mapped[str] = mapped_column(String(TAG_MAX))

    __table_args__ = (UniqueConstraint("group_id", "name", name="uq_tags_group_name"),)


class Thread(db.Model):
    """A conversation. Closed threads take no new comments; deleted ones stay for the record."""

    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Cached so lists don't count rows per thread; kept in step by the comment services.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    last_comment_id: Mapped[int | None] = mapped_column(Integer)

    group: Mapped["Group"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship()  # noqa: F821
    tags: Mapped[list[Tag]] = relationship(secondary=thread_tags, order_by=Tag.name)

    __table_args__ = (Index("ix_threads_group_activity", "group_id", "pinned", "last_activity_at"),)


class Comment(db.Model):
    """A reply to a thread or to another comment (`parent_id`), nested without limit."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship()
    author: Mapped["User | None"] = relationship()  # noqa: F821


class Mention(db.Model):
    """Who a piece of text has mentioned, so an edit never notifies them twice."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("target_type", "target_id", "user_id", name="uq_mentions_once"),)


class Reaction(db.Model):
    __tablename__ = "reactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "user_id", "kind", name="uq_reactions_one_each"),
        Index("ix_reactions_target", "target_type", "target_id"),
    )


class ReadState(db.Model):
    """How far a person has read a thread: the newest comment they have seen."""

    __tablename__ = "read_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    last_seen_comment_id: Mapped[int] = mapped_column(Integer, default=0)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "thread_id", name="uq_read_states_user_thread"),)


class Document(db.Model):
    """A living page — minutes, a policy, the handbook — kept in a folder, with every version."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    folder: Mapped[str] = mapped_column(String(FOLDER_MAX), default="")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped["Group"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    updated_by: Mapped["User | None"] = relationship(foreign_keys=[updated_by_id])  # noqa: F821
    tags: Mapped[list[Tag]] = relationship(secondary=document_tags, order_by=Tag.name)


class Attachment(db.Model):
    """A file on a thread, comment or document, stored once per content hash."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped["Group"] = relationship()  # noqa: F821
    uploader: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (Index("ix_attachments_target", "target_type", "target_id"),)
