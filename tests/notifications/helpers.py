"""What the notification tests share: a scene (tests/scene.py) with threads and proposals, and a real SMTP server on loopback."""
import email
import email.policy
import socket
import threading
from datetime import datetime, timezone

from sqlalchemy import select

from app.archive.models import Comment, Thread
from app.core.extensions import db
from app.groups import services as groups
from app.notifications import preferences
from app.notifications.models import Notification, OutboxMessage
from tests.archive.archive_helpers import ArchiveScene
from tests.decisions.helpers import DecisionScene


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


class NotificationScene(DecisionScene, ArchiveScene):
    """A scene with proposals (decisions' verbs, which come first), threads (the archive's) and notification settings."""

    def prefer(self, who, **channels):
        with self.ctx():
            preferences.set_group_preferences(self.user(who), self.group(), channels)

    def thread_state(self, who, thread_id, state):
        with self.ctx():
            preferences.set_thread_state(self.user(who), db.session.get(Thread, thread_id), state)

    def mail_settings(self, who, **values):
        with self.ctx():
            preferences.set_mail_settings(self.uid(who), **values)

    def leave(self, who):
        with self.ctx():
            groups.leave(self.user(who), self.group())

    def all_notes(self, kind=None) -> list[tuple[int, str, str | None, int | None]]:
        """(user id, kind, target type, target id) of every notification, oldest first."""
        with self.ctx():
            query = select(Notification.user_id, Notification.kind, Notification.target_type, Notification.target_id)
            if kind:
                query = query.where(Notification.kind == kind)
            return [tuple(r) for r in db.session.execute(query.order_by(Notification.id))]

    def recipients(self, kind) -> list[int]:
        return sorted(uid for uid, *_rest in self.all_notes(kind))

    def ids(self, *who) -> list[int]:
        return sorted(self.uid(w) for w in who)

    def outbox(self, who=None) -> list[tuple[int, int | None, str | None]]:
        """(user id, notification id, digest key) of every queued email, oldest first."""
        with self.ctx():
            query = select(OutboxMessage.user_id, OutboxMessage.notification_id, OutboxMessage.digest_key)
            if who is not None:
                query = query.where(OutboxMessage.user_id == self.uid(who))
            return [tuple(r) for r in db.session.execute(query.order_by(OutboxMessage.id))]

    def email_kinds(self, who) -> list[str]:
        with self.ctx():
            return list(db.session.scalars(
                select(Notification.kind).join(OutboxMessage, OutboxMessage.notification_id == Notification.id)
                .where(OutboxMessage.user_id == self.uid(who)).order_by(OutboxMessage.id)))

    def last_comment(self, thread_id) -> int:
        with self.ctx():
            return db.session.scalar(select(Comment.id).where(Comment.thread_id == thread_id).order_by(Comment.id.desc()))


# ---------------------------------------------------------------- a real SMTP server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Catcher:
    """aiosmtpd handler: keeps each message it receives, parsed."""

    def __init__(self):
        self.messages: list = []
        self.envelopes: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(parsed)
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server on 127.0.0.1 that a test can stop (down) and start again (back up)."""

    def __init__(self):
        self.port = free_port()
        self.catcher = Catcher()
        self.controller = None

    @property
    def messages(self):
        return self.catcher.messages

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.catcher, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address) -> list:
        return [m for m in self.messages if m["To"] == address]


def body(message, subtype="plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""
