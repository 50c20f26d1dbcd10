from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db

CHANNELS = ("off", "app", "email")
DIGESTS = ("off", "daily", "weekly")
SUBSCRIPTIONS = ("follow", "mute")


class Notification(db.Model):
    """Something in a group that needs one person's attention: a mention, a reply to them.

    `occasion` makes the time-based ones (reminders) unique: one per person, kind, target and
    occasion (e.g. the closing time it reminds of), so a cron job run twice tells nobody twice.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    occasion: Mapped[str | None] = mapped_column(String(40))

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    actor: Mapped["User | None"] = relationship(foreign_keys=[actor_id])  # noqa: F821
    group: Mapped["Group | None"] = relationship()  # noqa: F821

    __table_args__ = (
        Index("ix_notifications_inbox", "user_id", "read_at", "created_at"),
        Index("uq_notifications_occasion", "user_id", "kind", "target_type", "target_id", "occasion", unique=True),
    )


class NotificationPreference(db.Model):
    """How one member hears about one kind of thing in one group: off, in-app, or in-app and email.

    No row: the kind's default (kinds.DEFAULTS)."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        UniqueConstraint("user_id", "group_id", "kind", name="uq_notification_preferences_once"),
        CheckConstraint("channel IN ('off', 'app', 'email')", name="channel"),
    )


class ThreadSubscription(db.Model):
    """A member follows a thread (told of every new comment) or mutes it (told of no reply or comment)."""

    __tablename__ = "thread_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    state: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped["Thread"] = relationship()  # noqa: F821

    __table_args__ = (
        UniqueConstraint("user_id", "thread_id", name="uq_thread_subscriptions_once"),
        CheckConstraint("state IN ('follow', 'mute')", name="state"),
    )


class MailSettings(db.Model):
    """A person's email rhythm, across their groups: the digest, and a switch that stops every email."""

    __tablename__ = "mail_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    digest: Mapped[str] = mapped_column(String(8), default="weekly")
    email_off: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("digest IN ('off', 'daily', 'weekly')", name="digest"),)


class OutboxMessage(db.Model):
    """An email waiting to go (or gone). Written in the transaction of the change it is about;
    `flask mail send-queued` sends it later, retrying with back-off, and marks it sent once."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # One email per notification, one per digest period: the unique keys that stop a second.
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), unique=True)
    digest_key: Mapped[str | None] = mapped_column(String(40))
    # A digest is rendered when it is made; a notification's email when it is sent.
    subject: Mapped[str] = mapped_column(String(300), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")

    notification: Mapped[Notification | None] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (
        UniqueConstraint("user_id", "digest_key", name="uq_mail_outbox_digest"),
        Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),
    )
