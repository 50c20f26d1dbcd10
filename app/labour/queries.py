"""What the "My care work" page and the rota grid show, read in a fixed number of queries however
many members, tasks or weeks there are. Nothing here writes. (The fairness dashboard's reads are
in `dashboard`.)

Balances come from the ledger (`book`, exact Fractions); everything derived from them (earned,
owed) is exact too, and only rounded when it is displayed.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group, Membership
from app.labour import book, ledger, reasons
from app.labour.models import Absence, Assignment, CareTask, LoggedCare, Rota, Swap, Thanks, Willingness
from app.labour.periods import PERIOD_DAYS, current_period, period_start, rota_of, tasks_of, today_in

RECENT_PERIODS = 4  # how far back "recently" reaches: thanks, history, the grid's past rows
RECENT_DAYS = 7 * RECENT_PERIODS


@dataclass
class Week:
    period: int
    starts: date
    ends: date
    current: bool


def week(r: Rota, period: int, now: int) -> Week:
    starts = period_start(r, period)
    return Week(period, starts, starts + timedelta(days=PERIOD_DAYS - 1), period == now)


def names_of(ids) -> dict[int, str]:
    """Display names of these people, in one query (empty or not)."""
    ids = sorted({i for i in ids if i is not None})
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def open_swaps(group: Group) -> list[Swap]:
    """The group's open swap requests and offers, by week, with their slots and people loaded."""
    return list(db.session.scalars(
        select(Swap).join(Assignment, Assignment.id == Swap.assignment_id)
        .where(Assignment.group_id == group.id, Swap.status == "open")
        .options(selectinload(Swap.assignment).selectinload(Assignment.task), selectinload(Swap.from_user),
                 selectinload(Swap.to_user))
        .order_by(Assignment.period, Swap.id)
    ))


@dataclass
class Totals:
    """Per current member: earned (work done, exact) and owed (earned − balance)."""

    earned: dict[int, Fraction]
    owed: dict[int, Fraction]


def totals(entries: list[ledger.Entry], balances: dict[int, Fraction]) -> Totals:
    """Earned since each member's (latest) join, walking the ledger as the Replay does."""
    replay = ledger.Replay(entries)
    earned: dict[int, Fraction] = defaultdict(Fraction)
    for period in replay.periods():
        replay.apply(period)
        for e in replay.by_period[period]:
            if e.kind == "leave" and e.user_id not in replay.balances:
                earned.pop(e.user_id, None)
        for e in replay.by_period[period]:
            if e.kind in ("done", "logged_care") and e.user_id in replay.balances:
                earned[e.user_id] += e.effort
    return Totals(
        earned={m: earned.get(m, Fraction(0)) for m in balances},
        owed={m: earned.get(m, Fraction(0)) - b for m, b in balances.items()},
    )


def absences_of(group: Group, user) -> list[Absence]:
    """This person's time away that still stands, soonest first."""
    return list(db.session.scalars(
        select(Absence).where(Absence.group_id == group.id, Absence.user_id == user.id,
                              Absence.cancelled_at.is_(None)).order_by(Absence.starts_on)
    ))


def _mine(user) -> list[int]:
    """The viewer's id as a list, empty for an anonymous visitor: every "mine" filter matches nothing then."""
    return [user.id] if getattr(user, "is_authenticated", False) else []


# ---------------------------------------------------------------- My care work: my slots and swaps


@dataclass
class MySlots:
    """What "Yours this week and ahead" shows (the page's `mine` block, which htmx swaps after each
    action on a slot or a request): my slots with why they are mine, where I stand, open requests."""

    rota: Rota
    now: int
    weeks: dict[int, Week]
    upcoming: list[Assignment]
    reasons: dict[int, str]  # assignment id → sentence
    ranked: dict[int, list[reasons.Ranked]]
    members: list[Membership]
    balance: Fraction | None
    earned: Fraction | None
    owed: Fraction | None
    swaps_to_me: list[Swap]
    my_requests: list[Swap]
    offers: list[Swap]


def my_slots(user, group: Group) -> MySlots | None:
    """My slots from this week on, my balance, and the open requests I can answer; None until the
    group has a rota."""
    r = rota_of(group)
    if r is None:
        return None
    now = current_period(r, group)
    mine = _mine(user)
    me = mine[0] if mine else None
    upcoming = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.user_id.in_(mine),
                                 Assignment.period >= now)
        .options(selectinload(Assignment.task)).order_by(Assignment.period, Assignment.effort.desc(), Assignment.id)
    ))
    mentioned = set()
    for a in upcoming:
        mentioned |= reasons.member_ids(a.reason)
    names = names_of(mentioned)
    entries = book.ledger_entries(group)
    balances = ledger.balances(entries)
    sums = totals(entries, balances)
    swaps = open_swaps(group)
    return MySlots(
        rota=r, now=now,
        weeks={p: week(r, p, now) for p in {a.period for a in upcoming} | {s.assignment.period for s in swaps}},
        upcoming=upcoming,
        reasons={a.id: reasons.reason_sentence(a, names) for a in upcoming},
        ranked={a.id: reasons.ranked(a.reason, names) for a in upcoming},
        members=group_queries.current_members(group),
        balance=balances.get(me), earned=sums.earned.get(me), owed=sums.owed.get(me),
        swaps_to_me=[s for s in swaps if s.kind == "swap" and s.to_user_id == me],
        my_requests=[s for s in swaps if s.from_user_id == me and s.assignment.user_id == me],
        offers=[s for s in swaps if s.kind == "offer" and not (s.from_user_id == me and s.assignment.user_id == me)],
    )


# ---------------------------------------------------------------- My care work: the rest of the page


@dataclass
class MyCare:
    """The rest of "My care work": thanks to give and received, earlier weeks, time away, willingness,
    and logged care."""

    weeks: dict[int, Week]
    history: list[Assignment]
    absences: list
    tasks: list[CareTask]
    willingness: dict[int, str]
    to_confirm: list[LoggedCare]
    my_logged: list[LoggedCare]
    to_thank_done: list[Assignment]
    to_thank_care: list[LoggedCare]
    thanked: set[tuple[str, int]]
    received: list[Thanks]


def my_care(user, group: Group, slots: MySlots) -> MyCare:
    """Everything else "My care work" shows, for the rota, week and members `slots` was read with."""
    r, now = slots.rota, slots.now
    today = today_in(group)
    mine = _mine(user)
    me = mine[0] if mine else None
    history = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.period < now,
                                 or_(Assignment.user_id.in_(mine), Assignment.done_by_id.in_(mine)))
        .options(selectinload(Assignment.task)).order_by(Assignment.period.desc(), Assignment.id.desc()).limit(12)
    ))
    to_thank_done = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.status == "done",
                                 Assignment.done_by_id.is_not(None), Assignment.done_by_id.not_in(mine),
                                 Assignment.period >= now - RECENT_PERIODS)
        .options(selectinload(Assignment.task), selectinload(Assignment.done_by))
        .order_by(Assignment.period.desc(), Assignment.id.desc()).limit(30)
    ))
    logged = list(db.session.scalars(
        select(LoggedCare).where(LoggedCare.group_id == group.id,
                                 or_(LoggedCare.confirmed_at.is_(None),
                                     LoggedCare.done_on >= today - timedelta(RECENT_DAYS)))
        .options(selectinload(LoggedCare.user)).order_by(LoggedCare.done_on.desc(), LoggedCare.id.desc()).limit(60)
    ))
    present = {m.user_id for m in slots.members}  # thanks go to current members only
    thanked = {
        ("assignment" if a_id else "care", a_id or c_id)
        for a_id, c_id in db.session.execute(
            select(Thanks.assignment_id, Thanks.logged_care_id)
            .where(Thanks.group_id == group.id, Thanks.from_user_id.in_(mine))
        ).all()
    }
    return MyCare(
        weeks={p: week(r, p, now) for p in {a.period for a in history + to_thank_done}},
        history=history,
        absences=absences_of(group, user) if me else [],
        tasks=tasks_of(group, active_only=True),
        willingness=dict(db.session.execute(
            select(Willingness.task_id, Willingness.level)
            .where(Willingness.group_id == group.id, Willingness.user_id.in_(mine))).all()),
        to_confirm=[c for c in logged if c.confirmed_at is None and c.user_id != me],
        my_logged=[c for c in logged if c.confirmed_at is None and c.user_id == me],
        to_thank_done=[a for a in to_thank_done if a.done_by_id in present],
        to_thank_care=[c for c in logged if c.confirmed_at is not None and c.user_id != me and c.user_id in present],
        thanked=thanked,
        received=list(db.session.scalars(
            select(Thanks).where(Thanks.group_id == group.id, Thanks.to_user_id.in_(mine))
            .options(selectinload(Thanks.from_user)).order_by(Thanks.id.desc()).limit(20)
        )),
    )


# ---------------------------------------------------------------- the rota grid


@dataclass
class Grid:
    rota: Rota
    now: int
    weeks: list[Week]
    tasks: list[CareTask]
    cells: dict[tuple[int, int], list[Assignment]]
    members: list[Membership]


def rota_grid(group: Group) -> Grid | None:
    """Periods (rows) × tasks (columns): a few weeks back, the current one, and the planned ones."""
    r = rota_of(group)
    if r is None:
        return None
    now = current_period(r, group)
    first, last = max(0, now - RECENT_PERIODS), max(now, 0) + r.periods_ahead
    slots = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.period.between(first, last))
        .options(selectinload(Assignment.user), selectinload(Assignment.done_by))
        .order_by(Assignment.period, Assignment.task_id, Assignment.slot)
    ))
    cells: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for a in slots:
        cells[(a.period, a.task_id)].append(a)
    used = {a.task_id for a in slots}
    tasks = [t for t in tasks_of(group) if t.active or t.id in used]
    tasks.sort(key=lambda t: (-t.effort, t.name))
    return Grid(r, now, [week(r, p, now) for p in range(first, last + 1)], tasks, cells,
                group_queries.current_members(group))
