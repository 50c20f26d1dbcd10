from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import UTCDateTime, utcnow
from app.extensions import db


class Event(db.Model):
    """One fact in a group's history: who did what to which object, when.

    Written by services in the same transaction as the change it records. The timeline,
    notifications and the search index all read this one stream.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)

    group: Mapped["Group"] = relationship()  # noqa: F821
    actor: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (Index("ix_events_group_time", "group_id", "created_at"),)
