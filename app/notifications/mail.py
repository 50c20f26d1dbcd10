"""Email: rendering in the reader's language and zone, signed settings links, and the outbox.

Nothing is sent inside a request. A change that wants an email writes an `OutboxMessage` in its
own transaction; `flask mail send-queued` (cron) sends what is due, one SMTP connection per run.
Each message is claimed before sending and marked sent right after, one commit each, so two runs
at once, or a run after a crash, never send one twice. When the SMTP server can't be reached the
messages stay queued and are retried with back-off: 1, 2, 4 … minutes, at most 6 hours apart.
"""
import smtplib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import force_locale, refresh
from flask_mail import Message
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from app.core.database import utcnow
from app.core.extensions import db, mail
from app.core.i18n import LOCALES, usable_zone
from app.notifications import kinds, preferences
from app.notifications.links import link_for
from app.notifications.models import Notification, OutboxMessage

TOKEN_SALT = "canoe.mail-settings"
STALE_CLAIM = timedelta(hours=1)  # a run that died mid-send: its claims are free again after this
MAX_BACKOFF = timedelta(hours=6)


# ---------------------------------------------------------------- signed links


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def settings_token(user_id: int, group_id: int | None, kind: str) -> str:
    """A link that changes one person's email settings without a login: which kind, in which group."""
    return _serializer().dumps([user_id, group_id or 0, kind])


class BadLink(Exception):
    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_token(token: str) -> tuple[int, int | None, str]:
    """(user id, group id, kind) from a link made in the last CANOE_MAIL_LINK_DAYS days."""
    max_age = int(current_app.config["CANOE_MAIL_LINK_DAYS"]) * 86400
    try:
        user_id, group_id, kind = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadLink(expired=True) from None
    except (BadSignature, ValueError, TypeError):
        raise BadLink(expired=False) from None
    if not isinstance(user_id, int) or not isinstance(group_id, int) or not isinstance(kind, str):
        raise BadLink(expired=False)
    return user_id, group_id or None, kind


# ---------------------------------------------------------------- rendering


def reader_locale(user, group=None) -> str:
    if user.locale in LOCALES:
        return user.locale
    if group is not None and group.locale in LOCALES:
        return group.locale
    return current_app.config["CANOE_DEFAULT_LOCALE"]


def reader_timezone(user, group=None) -> str:
    return usable_zone(user.timezone, getattr(group, "timezone", None))


@contextmanager
def as_reader(user, group=None):
    """Render as this person reads: their language and time zone, links absolute to CANOE_BASE_URL."""
    base = current_app.config["CANOE_BASE_URL"].rstrip("/")
    parts = urlsplit(base)
    with current_app.test_request_context("/", base_url=f"{parts.scheme}://{parts.netloc}{parts.path}"):
        refresh()
        with force_locale(reader_locale(user, group)):
            from flask_babel import _get_current_context

            _get_current_context().babel_tzinfo = ZoneInfo(reader_timezone(user, group))
            try:
                yield
            finally:
                refresh()


def _headers(token_url: str, message_id: str) -> dict:
    return {
        "List-Unsubscribe": f"<{token_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "X-Canoe-Message": message_id,
    }


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    unsubscribe_url: str


def render_notification(note: Notification) -> Rendered:
    """The email for one notification: what happened, a link to it, and how to hear less."""
    user = note.user
    with as_reader(user, note.group):
        token = settings_token(user.id, note.group_id, note.kind)
        context = {
            "note": note,
            "sentence": kinds.describe(note),
            "item_url": _absolute(link_for(note)),
            "unsubscribe_url": url_for("notification_settings.mail_link", token=token, _external=True),
            "settings_url": url_for("notification_settings.group_settings", slug=note.group.slug, _external=True)
            if note.group is not None else url_for("notification_settings.settings", _external=True),
            "kind_label": kinds.label(note.kind),
            "group": note.group,
            "user": user,
        }
        subject = context["sentence"]
        if note.group is not None:
            subject = f"[{note.group.name}] {subject}"
        return Rendered(subject[:300], render_template("mail/notification.txt", **context),
                        render_template("mail/notification.html", **context), context["unsubscribe_url"])


def _absolute(path: str) -> str:
    """A path from url_for (it already carries any prefix of CANOE_BASE_URL) made absolute."""
    if path.startswith(("http://", "https://")):
        return path
    return request.host_url.rstrip("/") + path


# ---------------------------------------------------------------- sending


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    dropped: int = 0


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(now: datetime, limit: int) -> list[int]:
    """Take the due messages for this run; another run at the same time gets the others."""
    due = list(db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - STALE_CLAIM))
        .order_by(OutboxMessage.id).limit(limit)
    ))
    mine = []
    for message_id in due:
        got = db.session.execute(
            update(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - STALE_CLAIM))
            .values(claimed_at=now)
        ).rowcount
        if got:
            mine.append(message_id)
    db.session.commit()
    return mine


def _retry_later(ids: list[int], now: datetime, error: str) -> None:
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
        message.attempts += 1
        message.claimed_at = None
        message.next_attempt_at = now + backoff(message.attempts)
        message.last_error = error[:300]
    db.session.commit()


def _message(row: OutboxMessage) -> Message | None:
    """The Flask-Mail message for an outbox row; None if it should no longer go."""
    if row.notification_id is not None:
        note = row.notification
        if preferences.email_off([row.user_id]):
            return None
        rendered = render_notification(note)
        row.subject, row.text_body, row.html_body = rendered.subject, rendered.text, rendered.html
        unsubscribe = rendered.unsubscribe_url
    else:
        if preferences.email_off([row.user_id]):
            return None
        with as_reader(row.user):
            unsubscribe = url_for("notification_settings.mail_link", token=settings_token(row.user_id, None, "digest"),
                                  _external=True)
    host = urlsplit(current_app.config["CANOE_BASE_URL"]).hostname or "canoe"
    message_id = f"<canoe-{row.id}@{host}>"
    msg = Message(subject=row.subject, recipients=[row.user.email], body=row.text_body, html=row.html_body,
                  extra_headers=_headers(unsubscribe, str(row.id)), charset="utf-8")
    # The same id every time: if a message ever did go twice, mail clients would show it once.
    msg.msgId = message_id
    return msg


def send_queued(now: datetime | None = None, limit: int | None = None) -> SendReport:
    """Send every due message in the outbox. Safe to run every minute, and twice at once."""
    now = now or utcnow()
    report = SendReport()
    ids = _claim(now, limit or int(current_app.config["CANOE_MAIL_BATCH"]))
    if not ids:
        return report
    try:
        connection = mail.connect().__enter__()
    except (OSError, smtplib.SMTPException) as error:
        _retry_later(ids, now, f"connect: {error}")
        report.retrying = len(ids)
        return report
    try:
        for position, message_id in enumerate(ids):
            row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id).options(
                selectinload(OutboxMessage.user), selectinload(OutboxMessage.notification).selectinload(Notification.group),
                selectinload(OutboxMessage.notification).selectinload(Notification.actor)))
            msg = _message(row)
            if msg is None:
                row.failed_at, row.claimed_at, row.last_error = utcnow(), None, "email switched off"
                db.session.commit()
                report.dropped += 1
                continue
            try:
                connection.send(msg)
            except smtplib.SMTPRecipientsRefused as error:
                row.failed_at, row.claimed_at, row.last_error = utcnow(), None, f"refused: {error}"[:300]
                db.session.commit()
                report.dropped += 1
                continue
            except (OSError, smtplib.SMTPException) as error:
                db.session.commit()  # keep what was rendered
                rest = ids[position:]
                _retry_later(rest, now, f"send: {error}")
                report.retrying += len(rest)
                return report
            row.sent_at, row.claimed_at = utcnow(), None
            db.session.commit()
            report.sent += 1
    finally:
        try:
            connection.__exit__(None, None, None)
        except (OSError, smtplib.SMTPException):
            pass
    return report


def queue_status() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))).all()
    return {
        "waiting": sum(1 for unsent, ok in rows if unsent and ok),
        "sent": sum(1 for unsent, _ok in rows if not unsent),
        "dropped": sum(1 for unsent, ok in rows if unsent and not ok),
    }
