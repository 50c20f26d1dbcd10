"""The search tables: the postgres backend's entries and the retry queue both backends share."""
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db


class SearchEntry(db.Model):
    """One indexed item for the postgres backend: a copy of its plain text and its tokens.

    `terms` holds the shared analyzer's tokens with their positions, so PostgreSQL never
    splits Korean text itself (its parsers keep particles attached).
    """

    __tablename__ = "search_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int] = mapped_column(Integer, index=True)
    author_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(String(40))
    terms = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))

    __table_args__ = (
        UniqueConstraint("kind", "item_id", name="uq_search_entries_item"),
        Index("ix_search_entries_terms", "terms", postgresql_using="gin"),
    )


class SearchBacklog(db.Model):
    """The search outbox: every item a commit changed, written in that commit's transaction,
    deleted once the item is indexed. A row that stays is an item still to index (a held
    lock, a full disk, a process killed right after its commit); `changes` counts the commits
    that touched the item since the row was written, so an indexer deletes only what it saw."""

    __tablename__ = "search_backlog"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (UniqueConstraint("kind", "item_id", name="uq_search_backlog_item"),)
