"""A personal iCalendar feed of one's care work, at a secret address.

The address carries a token. The database keeps only the token's SHA-256, so a copy of the
database opens nobody's feed. The token itself is an HMAC of the app's secret key, the person and
the moment the link was made: the settings page can show the address again whenever it is
opened (as calendar apps expect) without it ever being stored. Resetting the link changes that
moment, so the old token's hash matches nothing and its address answers 404.
"""
import base64
import hashlib
import hmac
from datetime import timedelta

from flask import current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.database import utcnow
from app.core.errors import Missing
from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group
from app.labour import reasons
from app.labour.models import Assignment, CalendarToken, Rota
from app.labour.periods import PERIOD_DAYS, period_start
from app.labour.queries import names_of

PAST_DAYS = 8 * 7  # how far back the feed reaches: enough for a calendar's recent history


def _token(user_id: int, made_at) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"canoe-calendar:{user_id}:{made_at.isoformat()}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token(user) -> str | None:
    """The person's current feed token, or None if they have none (or the secret key changed since)."""
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        return None
    token = _token(user.id, row.created_at)
    return token if hmac.compare_digest(_hash(token), row.token_hash) else None


def reset_token(user) -> str:
    """Make a new feed address; the old one, if any, stops working at once."""
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        row = CalendarToken(user_id=user.id)
        db.session.add(row)
    row.created_at = utcnow()
    token = _token(user.id, row.created_at)
    row.token_hash = _hash(token)
    db.session.commit()
    return token


def owner_of(token: str) -> User:
    """Whose feed this is; an unknown or reset token does not exist (404)."""
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.token_hash == _hash(token or "")))
    if row is None:
        raise Missing()
    user = db.session.get(User, row.user_id)
    if user is None:
        raise Missing()
    return user


def feed(user) -> bytes:
    """My assignments (to do and done) in every group I belong to, each an all-day event over its week.
    Texts are in my own language: a calendar app has no session to choose one from."""
    groups = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(group_queries.group_ids_of(user.id))))}
    rotas = {r.group_id: r for r in db.session.scalars(select(Rota).where(Rota.group_id.in_(list(groups))))}
    slots = list(db.session.scalars(
        select(Assignment).where(Assignment.user_id == user.id, Assignment.group_id.in_(list(rotas)),
                                 Assignment.status.in_(("assigned", "done")))
        .options(selectinload(Assignment.task)).order_by(Assignment.period, Assignment.id)
    ))
    mentioned = set()
    for a in slots:
        mentioned |= reasons.member_ids(a.reason)
    names = names_of(mentioned)
    since = utcnow().date() - timedelta(days=PAST_DAYS)
    host = request.host.split(":")[0]
    cal = Calendar()
    cal.add("prodid", "-//Canoe//Care work//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    with force_locale(user.locale or current_app.config["CANOE_DEFAULT_LOCALE"]):
        cal.add("x-wr-calname", _("My care work · Canoe"))
        for a in slots:
            group, r = groups[a.group_id], rotas[a.group_id]
            starts = period_start(r, a.period)
            if starts + timedelta(days=PERIOD_DAYS) < since:
                continue
            event = Event()
            event.add("uid", f"care-assignment-{a.id}@{host}")
            event.add("dtstamp", a.updated_at or a.created_at)
            event.add("dtstart", starts)
            event.add("dtend", starts + timedelta(days=PERIOD_DAYS))
            summary = _("%(task)s (%(pts)s) · %(group)s", task=a.task.name, pts=reasons.effort_label(a.effort),
                        group=group.name)
            if a.status == "done":
                summary = _("✓ Done: %(summary)s", summary=summary)
            event.add("summary", summary)
            event.add("description", reasons.reason_sentence(a, names))
            event.add("url", url_for("labour.index", slug=group.slug, _external=True))
            event.add("transp", "TRANSPARENT")  # care work doesn't make anyone "busy" all week
            cal.add_component(event)
    return cal.to_ical()
