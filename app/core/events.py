"""The event spine: one call says that something happened.

A service calls `happened(kind, group, actor, subject, **payload)` once per change. It writes
the `Event` row — the group's history, read by the timeline — and sends the `happening`
signal, to which other layers subscribe: notifications (who hears of it), the care ledger
(someone joined or left), anything new. Subscribers are connected by the app factory
(`app.web`), never by the feature that announces, so the one who speaks never imports who
listens. Everything runs inside the caller's transaction: its commit makes the change, the
Event and whatever the subscribers added stick together.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from blinker import Namespace
from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db


class Event(db.Model):
    """One fact in a group's history: who did what to which object, when.

    Written by `happened` in the same transaction as the change it records.
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


signals = Namespace()
# Sent once per `happened`, with the kind as sender: `happening.connect(fn, sender="member.joined")`
# hears one kind, `happening.connect(fn)` every kind. Receivers get `what=` a Happening.
happening = signals.signal("happening")


@dataclass
class Happening:
    """What a subscriber is told: the fact, and what only listeners need to know of it."""

    kind: str
    group: Any
    actor: Any
    subject: Any
    payload: dict  # kept on the Event row (when there is one)
    extra: dict = field(default_factory=dict)  # for listeners only: who was mentioned, replied to, …
    event: Event | None = None


def type_name(subject) -> str | None:
    """How an Event or a notification names the kind of thing it is about: `thread`, `proposal`, …"""
    return type(subject).__name__.lower() if subject is not None else None


def happened(kind: str, group, actor=None, subject=None, *, record: bool = True, extra: dict | None = None,
             **payload) -> Happening:
    """Say that `actor` did `kind` to `subject` in `group`; the caller's commit makes it stick.

    `record=False` for facts that don't belong on the timeline (a mention, a cancelled request):
    they are only announced. `extra` reaches the subscribers but is not stored.
    """
    event = None
    if record:
        event = Event(group=group, actor=actor, kind=kind, target_type=type_name(subject),
                      target_id=getattr(subject, "id", None), payload=payload)
        db.session.add(event)
    what = Happening(kind, group, actor, subject, payload, extra or {}, event)
    happening.send(kind, what=what)
    return what
