"""Doing the work: a slot marked done, missed or skipped; handed on by a swap, an offer or a
facilitator's override. Every change checks permission (`policy`), appends to the ledger and says
what happened, in one transaction.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.groups import policy as groups
from app.groups.models import Group
from app.labour import book, policy, rota
from app.labour.models import Assignment, Swap, Willingness
from app.labour.periods import period_start, rota_of

STATUS_WORDS = {"done": _l("done"), "missed": _l("missed"), "skipped": _l("skipped")}


def assignment_for(user, assignment_id: int) -> Assignment:
    """The slot, if the person may read its group; else it is missing."""
    a = db.session.scalar(select(Assignment).where(Assignment.id == assignment_id)
                          .options(selectinload(Assignment.task), selectinload(Assignment.user)))
    if a is None or not policy.can_read(user, a.group):
        raise Missing()
    return a


def swap_for(user, swap_id: int) -> Swap:
    """The request, if the person may read its group; else it is missing."""
    swap = db.session.scalar(select(Swap).where(Swap.id == swap_id).options(
        selectinload(Swap.assignment).selectinload(Assignment.task)))
    if swap is None or not policy.can_read(user, swap.assignment.group):
        raise Missing()
    return swap


def _open(a: Assignment) -> None:
    if a.status != "assigned":
        raise Refused(_l("This task is already marked %(status)s.", status=STATUS_WORDS.get(a.status, a.status)))


# ---------------------------------------------------------------- done, missed, skipped


def mark_done(user, a: Assignment) -> None:
    """The person holding the slot (or a facilitator for them) marks it done: they earn its effort."""
    require(policy.can_mark(user, a))
    _open(a)
    a.status, a.done_by_id, a.updated_at = "done", a.user_id, utcnow()
    book.enter(a.group, "done", a.user_id, a.period, effort=a.effort, ref_id=a.id, actor=user)
    happened("care.done", a.group, user, a, task=a.task.name, name=a.user.display_name if a.user else "")
    db.session.commit()


def mark_missed(user, a: Assignment) -> None:
    """No credit; the slot is offered to anyone; the assignee stays behind."""
    require(policy.can_mark(user, a))
    _open(a)
    missed_by = a.user_id
    a.status, a.updated_at = "missed", utcnow()
    book.enter(a.group, "miss", missed_by, a.period, ref_id=a.id, actor=user)
    # The work is still there: a fresh slot, offered up for the first taker.
    again = Assignment(group_id=a.group_id, task_id=a.task_id, period=a.period, slot=_free_slot(a), user_id=None,
                       effort=a.effort, reason={"reoffered_from": a.id})
    db.session.add(again)
    db.session.flush()
    db.session.add(Swap(assignment_id=again.id, from_user_id=missed_by, kind="offer"))
    happened("care.missed", a.group, user, a, task=a.task.name)
    db.session.commit()


def _free_slot(a: Assignment) -> int:
    used = db.session.scalar(select(func.max(Assignment.slot)).where(
        Assignment.task_id == a.task_id, Assignment.period == a.period))
    return (used or 0) + 1


def mark_skipped(user, a: Assignment) -> None:
    """The task was cancelled this period: nobody owes it, nobody earns it."""
    require(policy.can_skip(user, a))
    _open(a)
    a.status, a.updated_at = "skipped", utcnow()
    book.enter(a.group, "skip", a.user_id or user.id, a.period, ref_id=a.id, actor=user)
    happened("care.skipped", a.group, user, a, task=a.task.name)
    db.session.commit()


# ---------------------------------------------------------------- handing a slot on


def can_hold(group: Group, user_id: int, a: Assignment) -> bool:
    """Whether this member may be given this slot: still counted in the group that week (not away) and
    not having said "cannot" for its task — the same rule the plan follows, so what people agree lasts."""
    if book.capacities(book.ledger_entries(group), a.period).get(user_id, 0) <= 0:
        return False
    level = db.session.scalar(select(Willingness.level).where(Willingness.user_id == user_id,
                                                               Willingness.task_id == a.task_id))
    return level != rota.CANNOT


def open_requests(a: Assignment) -> list[Swap]:
    return list(db.session.scalars(select(Swap).where(Swap.assignment_id == a.id, Swap.status == "open")))


def request_swap(user, a: Assignment, to_user_id: int | None) -> Swap:
    """Ask a named member to take your slot (swap), or offer it to anyone (to_user_id None)."""
    group = a.group
    require(policy.can_request_swap(user, a))
    _open(a)
    if open_requests(a):
        raise Refused(_l("There is already an open request for this task."))
    if to_user_id is not None:
        if to_user_id == user.id or groups.membership(db.session.get(User, to_user_id), group) is None:
            raise Refused(_l("Choose another member of the group."), "to_user_id")
        if not can_hold(group, to_user_id, a):
            raise Refused(_l("They are away that week or said they cannot do this task: ask someone else."),
                          "to_user_id")
    swap = Swap(assignment_id=a.id, from_user_id=user.id, to_user_id=to_user_id,
                kind="swap" if to_user_id else "offer")
    db.session.add(swap)
    db.session.flush()
    happened(f"care.{swap.kind}_requested", group, user, swap, task=a.task.name)
    db.session.commit()
    return swap


def accept_swap(user, swap: Swap) -> None:
    """The named member takes the slot — or, for an offer, the first member to take it. They get the credit
    when it's done; both names stay in the ledger."""
    a = swap.assignment
    group = a.group
    require(policy.can_accept(user, swap))
    if swap.from_user_id == user.id and a.user_id is not None:
        raise Refused(_l("You can't take your own task."))
    if swap.status == "open" and not can_hold(group, user.id, a):
        raise Refused(_l("You are away that week or said you cannot do this task."))
    taken = db.session.execute(
        update(Swap).where(Swap.id == swap.id, Swap.status == "open")
        .values(status="accepted", taken_by_id=user.id, resolved_at=utcnow())
    ).rowcount
    if not taken or a.status != "assigned":
        db.session.rollback()
        raise Refused(_l("Someone else has already taken this, or it was withdrawn."))
    previous = a.user_id
    a.user_id, a.updated_at = user.id, utcnow()
    book.enter(group, "swap" if swap.kind == "swap" else "offer", user.id, a.period, ref_id=a.id, actor=user,
               note=f"from {previous}" if previous else "reoffered")
    happened("care.swap_accepted", group, user, swap, task=a.task.name)
    db.session.commit()


def decline_swap(user, swap: Swap) -> None:
    """The one asked declines, or the one who asked withdraws; the slot stays where it was."""
    require(policy.can_decline(user, swap))
    if swap.status != "open":
        raise Refused(_l("This request is no longer open."))
    swap.status = "declined" if swap.to_user_id == user.id else "cancelled"
    swap.resolved_at = utcnow()
    db.session.commit()


def cancel_requests(group: Group, requests: list[Swap]) -> None:
    """Close pending swap requests the rota no longer allows, telling both people.
    No actor: whoever caused the change is told as well, as they may not know a request hung on it."""
    r = rota_of(group)
    for s in requests:
        s.status, s.resolved_at = "cancelled", utcnow()
        a = s.assignment
        happened("care.swap_cancelled", group, None, s, record=False, title=a.task.name,
                 week=period_start(r, a.period).isoformat() if r else "")


def override(user, a: Assignment, to_user_id: int, reason: str) -> None:
    """A facilitator gives a slot to someone else, with a reason; logged, and its effect on U shown."""
    group = a.group
    require(policy.can_override(user, a))
    _open(a)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Say why: overrides are visible to everyone."), "reason")
    if len(reason) > 300:
        raise Refused(_l("Keep the reason under 300 characters."), "reason")
    person = db.session.get(User, to_user_id)
    if person is None or groups.membership(person, group) is None:
        raise Refused(_l("Choose another member of the group."), "to_user_id")
    if not can_hold(group, to_user_id, a):
        raise Refused(_l("They are away that week or said they cannot do this task: ask someone else."),
                      "to_user_id")
    if a.user_id != to_user_id:  # the slot changes hands: a request its holder made no longer stands
        cancel_requests(group, open_requests(a))
    a.user_id, a.updated_at = to_user_id, utcnow()
    a.reason = {**(a.reason or {}), "override": {"by": user.id, "reason": reason}}
    book.enter(group, "override", to_user_id, a.period, ref_id=a.id, actor=user, note=reason)
    r = rota_of(group)
    happened("care.override", group, user, a, task=a.task.name, name=person.display_name, reason=reason,
             extra={"week": period_start(r, a.period).isoformat() if r else ""})
    db.session.commit()
