"""The digest: one email a day or a week, in the member's own time zone, of what happened in their groups.

New threads, outcomes recorded (in the period), proposals open now (marked when I haven't voted),
and my care tasks this week and next. Always about a period that has ended, recorded by its key
(`daily:2026-11-21`, `weekly:2026-11-16` — the Monday), so `flask mail digest` never sends one twice.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.archive.models import Thread
from app.core.database import utcnow
from app.decisions.models import Outcome, Participation, Proposal
from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group
from app.core.i18n import zone_info
from app.labour import periods as care_periods
from app.labour.models import Assignment, Rota
from app.notifications import mail, preferences
from app.notifications.models import OutboxMessage

PER_LIST = 20


@dataclass
class Period:
    key: str
    starts: datetime  # UTC
    ends: datetime
    first_day: date
    last_day: date


def last_period(rhythm: str, now: datetime, zone: str) -> Period:
    """The most recent whole day (daily) or Monday-to-Sunday week (weekly) in this zone."""
    tz = zone_info(zone)
    today = now.astimezone(tz).date()
    if rhythm == "daily":
        first = today - timedelta(days=1)
        last = first
    else:
        first = today - timedelta(days=today.weekday() + 7)
        last = first + timedelta(days=6)
    starts = datetime.combine(first, time(), tz).astimezone(ZoneInfo("UTC"))
    ends = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(ZoneInfo("UTC"))
    return Period(f"{rhythm}:{first.isoformat()}", starts, ends, first, last)


@dataclass
class Contents:
    threads: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    proposals: list = field(default_factory=list)  # (proposal, voted)
    care: list = field(default_factory=list)  # (assignment, group, week start)

    def __bool__(self) -> bool:
        return bool(self.threads or self.outcomes or self.proposals or self.care)


def contents(user: User, period: Period, now: datetime) -> Contents:
    """What this member's digest holds, from the groups they belong to now: a fixed number of queries."""
    mine = group_queries.group_ids_of(user.id)
    found = Contents()
    found.threads = list(db.session.scalars(
        select(Thread).where(Thread.group_id.in_(mine), Thread.deleted_at.is_(None),
                             Thread.created_at >= period.starts, Thread.created_at < period.ends)
        .options(selectinload(Thread.group)).order_by(Thread.created_at).limit(PER_LIST)))
    found.outcomes = list(db.session.scalars(
        select(Outcome).where(Outcome.group_id.in_(mine), Outcome.recorded_at >= period.starts,
                              Outcome.recorded_at < period.ends)
        .options(selectinload(Outcome.proposal), selectinload(Outcome.group)).order_by(Outcome.recorded_at)
        .limit(PER_LIST)))
    voted = set(db.session.scalars(select(Participation.proposal_id).where(Participation.user_id == user.id)))
    found.proposals = [(p, p.id in voted) for p in db.session.scalars(
        select(Proposal).where(Proposal.group_id.in_(mine), Proposal.status == "open", Proposal.closes_at > now)
        .options(selectinload(Proposal.group)).order_by(Proposal.closes_at).limit(PER_LIST))]
    rotas = list(db.session.scalars(select(Rota).where(Rota.group_id.in_(mine))))
    if rotas:
        groups = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_([r.group_id for r in rotas])))}
        periods = {r.group_id: (r, care_periods.current_period(r, groups[r.group_id])) for r in rotas}
        for a in db.session.scalars(
            select(Assignment).where(Assignment.group_id.in_(list(periods)), Assignment.user_id == user.id,
                                     Assignment.status == "assigned")
            .options(selectinload(Assignment.task)).order_by(Assignment.period, Assignment.id)
        ):
            r, current = periods[a.group_id]
            if a.period in (current, current + 1):
                found.care.append((a, groups[a.group_id], care_periods.period_start(r, a.period)))
    return found


def render(user: User, period: Period, found: Contents) -> tuple[str, str, str]:
    with mail.as_reader(user):
        token = mail.settings_token(user.id, None, "digest")
        context = {
            "user": user, "period": period, "found": found, "group": None,
            "base": url_for("groups.mine", _external=True),
            "unsubscribe_url": url_for("notification_settings.mail_link", token=token, _external=True),
            "settings_url": url_for("notification_settings.settings", _external=True),
            "daily": period.key.startswith("daily"),
        }
        subject = (_("Canoe: your day in your groups") if context["daily"]
                   else _("Canoe: your week in your groups"))
        return subject, render_template("mail/digest.txt", **context), render_template("mail/digest.html", **context)


@dataclass
class DigestReport:
    queued: int = 0
    empty: int = 0
    already: int = 0


def queue_digests(now: datetime | None = None) -> DigestReport:
    """Queue each member's digest for their last whole day or week. Idempotent: the period's key is unique."""
    now = now or utcnow()
    report = DigestReport()
    people = db.session.scalars(
        select(User).where(User.id.in_(group_queries.people_in_any_group()))
        .order_by(User.id)
    ).all()
    chosen = preferences.digest_choices([p.id for p in people])
    for person in people:
        settings = chosen.get(person.id)
        rhythm = settings.digest if settings else "weekly"
        if rhythm == "off" or (settings and settings.email_off):
            continue
        period = last_period(rhythm, now, mail.reader_timezone(person))
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.user_id == person.id,
                                                            OutboxMessage.digest_key == period.key)):
            report.already += 1
            continue
        found = contents(person, period, now)
        if not found:
            report.empty += 1
            continue
        subject, text, html = render(person, period, found)
        db.session.add(OutboxMessage(user_id=person.id, digest_key=period.key, subject=subject[:300],
                                     text_body=text, html_body=html))
        try:
            db.session.commit()
        except IntegrityError:  # another run queued it a moment ago
            db.session.rollback()
            report.already += 1
        else:
            report.queued += 1
    return report
