"""When voting ends: closing on time or early, reopening, withdrawing — and the closing time itself."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.core.database import utcnow
from app.core.errors import Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.decisions import ballots, policy, rules
from app.decisions.models import Proposal

MAX_DAYS = 90


def closing_time(days: int | None, closes_at: datetime | None, now: datetime) -> datetime:
    """An exact closing time in the future, or `days` from now: at most MAX_DAYS away either way."""
    if closes_at is not None:
        if closes_at <= now:
            raise Refused(_l("The closing time must be in the future."), "closes_at")
        if closes_at > now + timedelta(days=MAX_DAYS):
            raise Refused(_l("A proposal stays open at most %(days)s days.", days=MAX_DAYS), "closes_at")
        return closes_at
    if days is None or not 1 <= days <= MAX_DAYS:
        raise Refused(_l("Choose between 1 and %(days)s days.", days=MAX_DAYS), "days")
    return now + timedelta(days=days)


def close_if_due(proposal: Proposal, now: datetime | None = None) -> bool:
    """Close an open proposal whose time has come. Safe to call on every read."""
    now = now or utcnow()
    if proposal.status == "open" and proposal.closes_at is not None and proposal.closes_at <= now:
        closed = _close(proposal, proposal.closes_at, None)
        db.session.commit()
        if closed and proposal.anonymous:
            ballots.scrub_log()
        return closed
    return False


def _close(proposal: Proposal, at: datetime, actor) -> bool:
    """Close it and fix its result; False if another closer got there first."""
    # Claim the row first, so two closers at once (cron and a reader) close it only once.
    claimed = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "open").values(status="closed")
    ).rowcount
    if not claimed:
        db.session.refresh(proposal)
        return False
    members = ballots.eligible_ids(proposal.group)
    eligible = len(members)
    votes = ballots.counted(proposal, ballots.current_votes(proposal), members)
    result = rules.decide(proposal.kind, ballots.ballots(votes), eligible, proposal.quorum_percent,
                          [o.id for o in proposal.options])
    proposal.status, proposal.closed_at, proposal.eligible_count = "closed", at, eligible
    proposal.result, proposal.result_detail = result.outcome, result.as_dict()
    if proposal.anonymous:
        ballots.seal(proposal, votes)
    happened("proposal.closed", proposal.group, actor, proposal, title=proposal.title,
             result=result.outcome, thread_id=proposal.thread_id)
    return True


def close(user, proposal: Proposal) -> None:
    """A facilitator closes an open proposal early."""
    require(policy.can_facilitate(user, proposal))
    close_if_due(proposal)
    if proposal.status != "open":
        raise Refused(_l("This proposal isn't open."))
    closed = _close(proposal, utcnow(), user)
    db.session.commit()
    if closed and proposal.anonymous:
        ballots.scrub_log()


def close_due(now: datetime | None = None) -> int:
    """Close every open proposal whose time has passed. Idempotent: run it from cron every minute."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Proposal).where(Proposal.status == "open", Proposal.closes_at <= now).order_by(Proposal.id)
    ).all()
    closed = 0
    for proposal in due:
        closed += close_if_due(proposal, now)
    return closed


def reopen(user, proposal: Proposal, days: int | None = None, closes_at: datetime | None = None) -> None:
    """A facilitator reopens a closed proposal with a new closing time — never an anonymous one,
    and not once its outcome is recorded."""
    require(policy.can_facilitate(user, proposal))
    if proposal.status != "closed":
        raise Refused(_l("Only a closed proposal can be reopened."))
    if proposal.anonymous:
        raise Refused(_l("Anonymous proposals can't be reopened: it could reveal who voted what."))
    if proposal.outcome is not None:
        raise Refused(_l("Its outcome is already recorded."))
    proposal.closes_at = closing_time(days, closes_at, utcnow())
    proposal.status, proposal.closed_at, proposal.result, proposal.result_detail = "open", None, None, {}
    proposal.eligible_count = None
    happened("proposal.reopened", proposal.group, user, proposal, title=proposal.title)
    db.session.commit()


def withdraw(user, proposal: Proposal) -> None:
    """The author or a facilitator withdraws a draft or open proposal; an anonymous one's ballots are
    sealed as at close."""
    require(policy.can_withdraw(user, proposal))
    was_open = proposal.status == "open"
    proposal.status = "withdrawn"
    proposal.closed_at = utcnow()
    if proposal.anonymous and was_open:
        ballots.seal(proposal, ballots.counted(proposal, ballots.current_votes(proposal),
                                               ballots.eligible_ids(proposal.group)))
    happened("proposal.withdrawn", proposal.group, user, proposal, title=proposal.title)
    db.session.commit()
    if proposal.anonymous and was_open:
        ballots.scrub_log()
