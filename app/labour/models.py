from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db

CATEGORIES = ("meetings", "welcome", "wellbeing", "logistics", "tidying", "other")
RECURRENCES = ("every", "every_2nd", "monthly", "once")
WILLINGNESS = ("happy", "rather_not", "cannot")
STATUSES = ("assigned", "done", "missed", "skipped")


class Rota(db.Model):
    """A group's rota rhythm: periods of a week starting on the group's chosen weekday."""

    __tablename__ = "rotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)  # the first day of period 0
    periods_ahead: Mapped[int] = mapped_column(Integer, default=8)
    seed: Mapped[str] = mapped_column(String(32))
    # Members, absences, capacities or tasks changed since the last generation.
    stale: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (CheckConstraint("periods_ahead BETWEEN 1 AND 52", name="ahead"),)


class CareTask(db.Model):
    __tablename__ = "care_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), default="other")
    effort: Mapped[int] = mapped_column(Integer, default=1)
    recurrence: Mapped[str] = mapped_column(String(12), default="every")
    people_needed: Mapped[int] = mapped_column(Integer, default=1)
    starts_period: Mapped[int] = mapped_column(Integer, default=0)  # every_2nd's phase; once's period
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("effort BETWEEN 1 AND 20", name="effort"),
        CheckConstraint("people_needed BETWEEN 1 AND 20", name="people"),
    )


class Willingness(db.Model):
    __tablename__ = "willingness"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("care_tasks.id"))
    level: Mapped[str] = mapped_column(String(12), default="happy")

    __table_args__ = (UniqueConstraint("user_id", "task_id", name="uq_willingness_user_task"),)


class Absence(db.Model):
    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821


class Assignment(db.Model):
    """A slot of a task in a period, given to a member — with the reason it went to them."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("care_tasks.id"))
    period: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="assigned")
    effort: Mapped[int] = mapped_column(Integer)  # the task's effort when assigned: later changes affect the future only
    reason: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped["Group"] = relationship()  # noqa: F821
    task: Mapped[CareTask] = relationship()
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])  # noqa: F821
    done_by: Mapped["User | None"] = relationship(foreign_keys=[done_by_id])  # noqa: F821

    __table_args__ = (
        UniqueConstraint("task_id", "period", "slot", name="uq_assignments_slot"),
        Index("ix_assignments_group_period", "group_id", "period"),
        CheckConstraint("status IN ('assigned', 'done', 'missed', 'skipped')", name="status"),
    )


class Swap(db.Model):
    """A member asks a named member to take their slot (swap), or offers it to anyone (offer)."""

    __tablename__ = "swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(8))  # swap | offer
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | accepted | declined | cancelled
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship()
    from_user: Mapped["User"] = relationship(foreign_keys=[from_user_id])  # noqa: F821
    to_user: Mapped["User | None"] = relationship(foreign_keys=[to_user_id])  # noqa: F821


class LoggedCare(db.Model):
    """Care work nobody scheduled, recorded by the one who did it; it counts once someone confirms it."""

    __tablename__ = "logged_care"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(20), default="other")
    effort: Mapped[int] = mapped_column(Integer)
    done_on: Mapped[date] = mapped_column(Date)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])  # noqa: F821

    __table_args__ = (CheckConstraint("effort BETWEEN 1 AND 20", name="effort"),)


class Thanks(db.Model):
    __tablename__ = "thanks"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    logged_care_id: Mapped[int | None] = mapped_column(ForeignKey("logged_care.id"))
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_user: Mapped["User"] = relationship(foreign_keys=[from_user_id])  # noqa: F821
    to_user: Mapped["User"] = relationship(foreign_keys=[to_user_id])  # noqa: F821
    group: Mapped["Group"] = relationship()  # noqa: F821


class LedgerEntry(db.Model):
    """The append-only fairness ledger. Rows are only ever added; balances are recomputed from them."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period: Mapped[int] = mapped_column(Integer)
    effort: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[int | None] = mapped_column(Integer)
    ref_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    __table_args__ = (Index("ix_ledger_group_period", "group_id", "period"),)


class CalendarToken(db.Model):
    """The key to a person's calendar feed. Only a hash is stored; resetting it makes the old URL 404."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
