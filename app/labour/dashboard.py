"""The fairness dashboard: earned against owed for every member, unfairness now, as planned and
over time, the alarm, who hasn't done what lately, open swaps, missed work, what each override did,
and (for facilitators) who held which task — read in a fixed number of queries however many
members, tasks or weeks there are.

Everything is exact (Fractions from the ledger); it is rounded only when displayed.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group
from app.labour import ledger
from app.labour import rota as rota_algo
from app.labour.models import CATEGORIES, Assignment, CareTask, LedgerEntry, LoggedCare, Rota, Swap
from app.labour.periods import current_period, period_of, period_start, rota_of, tasks_of
from app.labour.queries import Week, names_of, open_swaps, totals, week


@dataclass
class MemberRow:
    user_id: int
    name: str
    earned: Fraction
    owed: Fraction
    balance: Fraction


@dataclass
class Point:
    period: int
    starts: date
    unfairness: Fraction


@dataclass
class OverrideEffect:
    entry_id: int
    period: int
    task: str
    by: str
    from_name: str
    to_name: str
    reason: str
    before: Fraction
    after: Fraction


@dataclass
class Fairness:
    rota: Rota
    now: int
    rows: list[MemberRow]
    w_max: int
    bound: Fraction
    unfairness: Fraction
    planned_unfairness: Fraction
    history: list[Point]
    categories: list[str]
    last_done: dict[tuple[int, str], int]
    weeks: dict[int, Week]
    swaps: list[Swap]
    missed: list[Assignment]
    overrides: list[OverrideEffect]
    tasks: list[CareTask]
    matrix: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def alarm(self) -> bool:
        return self.unfairness > self.bound

    @property
    def planned_alarm(self) -> bool:
        return not self.alarm and self.planned_unfairness > self.bound

    def in_tasks(self, value: Fraction) -> Fraction:
        return value / self.w_max if self.w_max else Fraction(0)


def _entry(row) -> ledger.Entry:
    return ledger.Entry(row.kind, row.user_id, row.period, row.effort, row.capacity, row.until, row.ref_id)


def fairness(group: Group, with_matrix: bool = False) -> Fairness | None:
    """The dashboard: earned vs owed, U now and over time, the alarm, who hasn't done what lately,
    open swaps, missed tasks, what each override did to U, and (for facilitators) the rotation matrix."""
    r = rota_of(group)
    if r is None:
        return None
    now = current_period(r, group)
    rows = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.user_id, LedgerEntry.period, LedgerEntry.effort,
               LedgerEntry.capacity, LedgerEntry.until, LedgerEntry.ref_id, LedgerEntry.actor_id, LedgerEntry.note)
        .where(LedgerEntry.group_id == group.id).order_by(LedgerEntry.id)
    ).all()
    entries = [_entry(row) for row in rows]
    balances = ledger.balances(entries)
    sums = totals(entries, balances)
    members = group_queries.current_members(group)
    tasks = tasks_of(group)
    active = [t for t in tasks if t.active]
    w_max = max((t.effort for t in active), default=0)
    n = len(balances)
    bound = Fraction(max(n - 1, 0), 2) * w_max
    planned = db.session.execute(
        select(Assignment.user_id, Assignment.period, Assignment.effort)
        .where(Assignment.group_id == group.id, Assignment.status == "assigned", Assignment.user_id.is_not(None))
    ).all()
    as_planned = ledger.balances(entries + [ledger.Entry("done", uid, p, w) for uid, p, w in planned])

    picked, slots = _overridden(rows)
    previous = _previous_holders(rows, slots)
    names = {m.user_id: m.user.display_name for m in members}
    others = {row.user_id for row in picked} | {row.actor_id for row in picked} | set(previous.values())
    names.update(names_of(others - set(names)))
    effects = _effects(picked, slots, previous, rows, names)

    categories = [c for c in CATEGORIES if c in {t.category for t in active}]
    last_done: dict[tuple[int, str], int] = {}
    for uid, category, period in db.session.execute(
        select(Assignment.done_by_id, CareTask.category, func.max(Assignment.period))
        .join(CareTask, CareTask.id == Assignment.task_id)
        .where(Assignment.group_id == group.id, Assignment.status == "done")
        .group_by(Assignment.done_by_id, CareTask.category)
    ).all():
        last_done[(uid, category)] = period
    for uid, category, day in db.session.execute(
        select(LoggedCare.user_id, LoggedCare.category, func.max(LoggedCare.done_on))
        .where(LoggedCare.group_id == group.id, LoggedCare.confirmed_at.is_not(None))
        .group_by(LoggedCare.user_id, LoggedCare.category)
    ).all():
        period = period_of(r, day)
        if period > last_done.get((uid, category), -10**9):
            last_done[(uid, category)] = period
        if category not in categories:
            categories.append(category)

    matrix = {}
    if with_matrix:
        matrix = {
            (uid, tid): count for uid, tid, count in db.session.execute(
                select(Assignment.user_id, Assignment.task_id, func.count())
                .where(Assignment.group_id == group.id, Assignment.status.in_(("assigned", "done")),
                       Assignment.user_id.is_not(None), Assignment.period <= now)
                .group_by(Assignment.user_id, Assignment.task_id)
            ).all()
        }
    missed = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.status == "missed")
        .options(selectinload(Assignment.task), selectinload(Assignment.user))
        .order_by(Assignment.period.desc(), Assignment.id.desc()).limit(20)
    ))
    snapshots = ledger.history(entries)
    periods = set(last_done.values()) | {a.period for a in missed} | {e.period for e in effects}
    return Fairness(
        rota=r, now=now,
        rows=[MemberRow(m.user_id, m.user.display_name, sums.earned.get(m.user_id, Fraction(0)),
                        sums.owed.get(m.user_id, Fraction(0)), balances.get(m.user_id, Fraction(0)))
              for m in sorted(members, key=lambda m: m.user.display_name.casefold())],
        w_max=w_max, bound=bound,
        unfairness=rota_algo.unfairness(balances),
        planned_unfairness=rota_algo.unfairness(as_planned),
        history=[Point(s.period, period_start(r, s.period), rota_algo.unfairness(s.balances))
                 for s in snapshots],
        categories=categories, last_done=last_done,
        weeks={p: week(r, p, now) for p in periods},
        swaps=open_swaps(group),
        missed=missed, overrides=effects, tasks=[t for t in tasks if t.active or any(k[1] == t.id for k in matrix)],
        matrix=matrix,
    )


MAX_OVERRIDES = 20


def _overridden(rows):
    """The latest overrides, and every slot of the weeks they touched (one query, even when there are none)."""
    picked = [row for row in rows if row.kind == "override"][-MAX_OVERRIDES:]
    ids = [row.ref_id for row in picked]
    weeks = select(Assignment.period).where(Assignment.id.in_(ids)).scalar_subquery()
    group_of = select(Assignment.group_id).where(Assignment.id.in_(ids)).limit(1).scalar_subquery()
    slots = {
        a.id: a for a in db.session.scalars(
            select(Assignment).where(Assignment.group_id == group_of, Assignment.period.in_(weeks))
            .options(selectinload(Assignment.task)))
    }
    return picked, slots


class _Holders:
    """Who held each slot, and whether it was done, missed or skipped, as of any ledger entry."""

    MOVES = ("swap", "offer", "override")
    ENDS = ("done", "miss", "skip")

    def __init__(self, rows, slots: dict[int, Assignment]):
        self.slots = slots
        self.moves: dict[int, list] = defaultdict(list)  # slot → [(entry id, new holder)]
        self.ended: dict[int, tuple[int, str]] = {}  # slot → (entry id, kind)
        for row in rows:
            if row.ref_id in slots and row.kind in self.MOVES:
                self.moves[row.ref_id].append((row.id, row.user_id))
            elif row.ref_id in slots and row.kind in self.ENDS:
                self.ended.setdefault(row.ref_id, (row.id, row.kind))

    def holder(self, slot_id: int, before: int) -> int | None:
        """Who held it just before entry `before`: the last move, else the member the rota chose."""
        moved = [uid for entry_id, uid in self.moves[slot_id] if entry_id < before]
        if moved:
            return moved[-1]
        ranked = (self.slots[slot_id].reason or {}).get("ranked") or [{}]
        return ranked[0].get("member_id")

    def planned(self, slot_id: int, at: int) -> bool:
        """Still to do as of entry `at` (work already done is in the ledger by then)."""
        ended = self.ended.get(slot_id)
        return ended is None or ended[0] > at


def _previous_holders(rows, slots: dict[int, Assignment]) -> dict[int, int]:
    """Who held each overridden slot just before its override (by override entry id)."""
    holders = _Holders(rows, slots)
    found = {}
    for row in rows:
        if row.kind == "override" and row.ref_id in slots:
            was = holders.holder(row.ref_id, row.id)
            if was is not None:
                found[row.id] = was
    return found


def _effects(picked, slots, previous, rows, names) -> list[OverrideEffect]:
    """U before and after each override: the ledger replayed up to and including it, with that week's
    work still to do counted as planned at that moment, and the overridden slot's work credited to the
    one who held it before — or to the one it was given to. Newest first."""
    holders = _Holders(rows, slots)
    effects = []
    for row in picked:
        a = slots.get(row.ref_id)
        if a is None:
            continue
        upto = [_entry(r) for r in rows if r.id <= row.id]
        week = []
        for other in slots.values():
            if other.period != a.period or other.id == a.id or not holders.planned(other.id, row.id):
                continue
            holder = holders.holder(other.id, row.id + 1)
            if holder is not None:
                week.append(ledger.Entry("done", holder, other.period, other.effort))
        was = previous.get(row.id)
        before = ledger.balances(upto + week + ([ledger.Entry("done", was, a.period, a.effort)] if was else []))
        after = ledger.balances(upto + week + [ledger.Entry("done", row.user_id, a.period, a.effort)])
        effects.append(OverrideEffect(
            entry_id=row.id, period=a.period, task=a.task.name, by=names.get(row.actor_id, ""),
            from_name=names.get(was, "") if was and was != row.user_id else "", to_name=names.get(row.user_id, ""),
            reason=row.note, before=rota_algo.unfairness(before), after=rota_algo.unfairness(after),
        ))
    effects.reverse()
    return effects
