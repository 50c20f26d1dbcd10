"""Time-based notifications, made by `flask notify due` (cron, e.g. every 15 minutes).

Each is unique per (person, kind, target, occasion) — the occasion being the closing time,
the week, the due date — so running it twice, or twice at once, tells nobody twice.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.core.database import utcnow
from app.decisions.models import Action, Outcome, Participation, Proposal
from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group
from app.core.i18n import zone_info
from app.labour import periods as care_periods
from app.labour.models import Assignment, Rota
from app.notifications.services import notify

CLOSING_WINDOW = timedelta(hours=24)


@dataclass
class DueReport:
    made: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, notes) -> None:
        self.made[kind] = self.made.get(kind, 0) + len(notes)

    @property
    def total(self) -> int:
        return sum(self.made.values())


def _today(group: Group, now: datetime) -> date:
    return now.astimezone(zone_info(group.timezone)).date()


def closing_soon(now: datetime, report: DueReport) -> None:
    """Members who haven't voted on a proposal that closes within 24 hours. On an anonymous proposal too:
    only the member themselves learns they haven't voted, and nothing names a voter."""
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.status == "open", Proposal.closes_at > now,
                               Proposal.closes_at <= now + CLOSING_WINDOW)
        .options(selectinload(Proposal.group)).order_by(Proposal.id)
    ).all()
    voted = _pairs(select(Participation.proposal_id, Participation.user_id)
                   .where(Participation.proposal_id.in_([p.id for p in proposals])))
    members = group_queries.members_by_group({p.group_id for p in proposals})
    for proposal in proposals:
        report.add("closing", notify(members[proposal.group_id] - voted[proposal.id], "closing", None, proposal.group,
                                     proposal, occasion=proposal.closes_at.isoformat(), title=proposal.title))


def _pairs(query) -> defaultdict[int, set[int]]:
    found: defaultdict[int, set[int]] = defaultdict(set)
    for key, user_id in db.session.execute(query):
        found[key].add(user_id)
    return found


def care_tasks(now: datetime, report: DueReport) -> None:
    """Care tasks held this week or next ("care_assigned"), and the day before a week starts, its reminder."""
    rotas = db.session.scalars(select(Rota)).all()
    groups = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_([r.group_id for r in rotas])))}
    for r in rotas:
        group = groups[r.group_id]
        today = _today(group, now)
        current = care_periods.period_of(r, today)
        slots = db.session.scalars(
            select(Assignment).where(Assignment.group_id == group.id, Assignment.status == "assigned",
                                     Assignment.user_id.is_not(None), Assignment.period.in_((current, current + 1)))
            .options(selectinload(Assignment.task)).order_by(Assignment.id)
        ).all()
        for a in slots:
            week = care_periods.period_start(r, a.period)
            occasion = f"p{a.period}s{a.slot}"
            report.add("care_assigned", notify([a.user_id], "care_assigned", None, group, a.task, occasion=occasion,
                                               title=a.task.name, week=week.isoformat()))
            if week == today + timedelta(days=1):
                report.add("care_reminder", notify([a.user_id], "care_reminder", None, group, a.task,
                                                   occasion=occasion, title=a.task.name, week=week.isoformat()))


def actions_due(now: datetime, report: DueReport) -> None:
    """An action not yet done, due tomorrow or earlier: its owner, once per due date."""
    actions = db.session.scalars(
        select(Action).join(Outcome).where(Action.done_at.is_(None), Action.due_on.is_not(None),
                                           Action.owner_id.is_not(None), Action.due_on <= (now + timedelta(days=2)).date())
        .options(selectinload(Action.outcome).selectinload(Outcome.group),
                 selectinload(Action.outcome).selectinload(Outcome.proposal))
        .order_by(Action.id)
    ).all()
    for action in actions:
        group = action.outcome.group
        if action.due_on > _today(group, now) + timedelta(days=1):
            continue
        report.add("action_due", notify([action.owner_id], "action_due", None, group, action,
                                        occasion=action.due_on.isoformat(), title=action.description,
                                        proposal_id=action.outcome.proposal_id, due=action.due_on.isoformat()))


def reviews_due(now: datetime, report: DueReport) -> None:
    """A decision whose review date has come: the group's facilitators and admins, once per review date."""
    outcomes = db.session.scalars(
        select(Outcome).where(Outcome.review_on.is_not(None), Outcome.review_on <= (now + timedelta(days=1)).date())
        .options(selectinload(Outcome.group), selectinload(Outcome.proposal)).order_by(Outcome.id)
    ).all()
    for outcome in outcomes:
        if outcome.review_on > _today(outcome.group, now):
            continue
        people = group_queries.role_holders(outcome.group_id, ("facilitator", "admin"))
        report.add("review_due", notify(people, "review_due", None, outcome.group, outcome.proposal,
                                        occasion=outcome.review_on.isoformat(), title=outcome.proposal.title))


def due(now: datetime | None = None) -> DueReport:
    """Make every reminder whose time has come. Cron-safe: idempotent, and safe to run twice at once."""
    now = now or utcnow()
    for attempt in range(2):
        report = DueReport()
        try:
            closing_soon(now, report)
            care_tasks(now, report)
            actions_due(now, report)
            reviews_due(now, report)
            db.session.commit()
            return report
        except IntegrityError:
            # Another run made some of these at the same moment: start again, it skips them now.
            db.session.rollback()
            if attempt:
                raise
    return report

