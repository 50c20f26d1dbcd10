"""Starting the rota and planning its future (see docs/ROTA.md for the rules): largest deficit first,
keeping what people agreed while it can, and never failing on what they did with their slots.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.database import utcnow
from app.core.errors import Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group
from app.labour import book, ledger, policy, rota
from app.labour.assignments import cancel_requests
from app.labour.models import Assignment, CareTask, Rota, Swap, Willingness
from app.labour.periods import current_period, occurs, rota_of, tasks_of

STARTER_TASKS = {
    "en": [
        ("Host the meeting", "meetings", 3, "Open the room, keep time, make sure every voice is heard."),
        ("Take notes", "meetings", 2, "Write the minutes and share them within two days."),
        ("Welcome newcomers", "welcome", 2, "Greet new members, show them around, answer questions."),
        ("Check in on members", "wellbeing", 2, "Reach out to someone who has gone quiet."),
        ("Tidy up", "tidying", 1, "Leave the space as we would like to find it."),
    ],
    "ko": [
        ("회의 진행", "meetings", 3, "공간을 열고 시간을 지키며 모든 목소리가 들리게 합니다."),
        ("회의록 작성", "meetings", 2, "회의록을 쓰고 이틀 안에 공유합니다."),
        ("새 조합원 맞이", "welcome", 2, "새 조합원을 반기고 안내하며 질문에 답합니다."),
        ("안부 묻기", "wellbeing", 2, "한동안 조용했던 분께 먼저 연락합니다."),
        ("정리", "tidying", 1, "우리가 쓰고 싶은 모습으로 공간을 정리합니다."),
    ],
}


def set_up(user, group: Group, starts_on: date, periods_ahead: int = 8, starter: bool = True) -> Rota:
    """A facilitator starts the group's rota; current members join the ledger with their capacity."""
    require(policy.can_plan(user, group))
    if rota_of(group) is not None:
        raise Refused(_l("This group already has a rota."))
    if not 1 <= periods_ahead <= 52:
        raise Refused(_l("Plan between 1 and 52 weeks ahead."), "periods_ahead")
    r = Rota(group_id=group.id, starts_on=starts_on, periods_ahead=periods_ahead, seed=secrets.token_hex(8))
    db.session.add(r)
    db.session.flush()
    now = max(current_period(r, group), 0)
    for m in group_queries.current_members(group, by_name=False):
        book.enter(group, "join", m.user_id, now, capacity=m.capacity_percent, actor=user)
    if starter:
        for name, category, effort, description in STARTER_TASKS.get(group.locale, STARTER_TASKS["en"]):
            db.session.add(CareTask(group_id=group.id, name=name, category=category, effort=effort,
                                    description=description, starts_period=now))
    happened("care.rota_started", group, user, r)
    db.session.commit()
    return r


class Outdated(Refused):
    """The re-plan a facilitator confirmed is no longer the one that would happen."""


def generate(user, group: Group, confirmed: str | None = None) -> int:
    """A facilitator regenerates the future of the rota by hand. With `confirmed` (the fingerprint of
    the preview they were shown), only if that is still exactly what would happen: otherwise nothing
    changes and `Outdated` says so, so they can look again."""
    require(policy.can_plan(user, group))
    if confirmed is not None:
        shown = preview(user, group)
        if shown is None or shown.fingerprint != confirmed:
            raise Outdated(_l("The rota changed since you looked at what re-planning would do. "
                              "Here is what it would do now."))
    made = regenerate(group)
    happened("care.rota_generated", group, user, None, count=len(made))
    db.session.commit()
    return len(made)


# ---------------------------------------------------------------- re-planning the future


def _willingness(group: Group) -> dict[tuple[int, int], str]:
    return {(w.user_id, w.task_id): w.level for w in db.session.scalars(
        select(Willingness).where(Willingness.group_id == group.id))}


def _is_agreement(a: Assignment, swaps: list[Swap]) -> bool:
    """An override, an accepted swap or a taken offer: people agreed that its holder holds this slot.
    (A re-plan that had to move the slot on replaces the override in its reason; an old acceptance by
    someone else no longer counts.)"""
    return bool((a.reason or {}).get("override")) or any(
        s.status == "accepted" and s.taken_by_id == a.user_id for s in swaps)


@dataclass
class _Future:
    """The future slots as they stand before a re-plan, sorted by what may happen to them."""

    kept: list[Assignment]  # agreements that still hold: they stay as agreed
    settled: list[Assignment]  # done, missed or skipped ahead, or open to anyone: left alone
    replanned: list[Assignment]  # planned afresh; their rows are reused so swaps stay attached


def _sort_future(rows, swaps, capacity, willing, occurring) -> _Future:
    """An agreement holds while its holder is a member available that week who hasn't since said
    "cannot", and its task still occurs then; otherwise the slot is planned again like any other."""
    future = _Future([], [], [])
    for a in rows:
        if a.status == "skipped" and (a.reason or {}).get("dropped"):
            future.replanned.append(a)  # a slot an earlier re-plan dropped: it may be needed again
        elif a.status != "assigned" or a.user_id is None:
            future.settled.append(a)
        elif (_is_agreement(a, swaps.get(a.id, ())) and capacity.get(a.period, {}).get(a.user_id, 0) > 0
              and willing.get((a.user_id, a.task_id)) != rota.CANNOT and a.task_id in occurring.get(a.period, {})):
            future.kept.append(a)
        else:
            future.replanned.append(a)
    return future


@dataclass
class _Replan:
    """A re-plan worked out but not yet written: what `regenerate` stores and `preview` describes."""

    rota: Rota
    first: int
    last: int
    rows: list[Assignment]  # every slot from the current period on
    swaps: dict[int, list[Swap]]
    capacity: dict
    willing: dict[tuple[int, int], str]
    occurring: dict[int, dict[int, CareTask]]
    future: _Future
    picks: list[tuple[int, rota.Pick]]


def _replan(group: Group) -> _Replan | None:
    """Work out the re-plan of the future from what is stored; reads only."""
    r = rota_of(group)
    if r is None:
        return None
    now = max(current_period(r, group), 0)
    has_current = db.session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.group_id == group.id, Assignment.period == now)
    )
    first, last = (now + 1 if has_current else now), now + r.periods_ahead
    # This week's slots too: they are never re-planned, but a request on one may no longer be possible.
    rows = list(db.session.scalars(select(Assignment).where(Assignment.group_id == group.id, Assignment.period >= now)
                                   .options(selectinload(Assignment.task)).order_by(Assignment.id)))
    ahead = [a for a in rows if a.period >= first]
    swaps = _swaps_of(rows)
    entries = book.ledger_entries(group)
    horizon = max([last] + [a.period for a in rows])
    capacity = book.capacities_by_period(entries, now, horizon)
    tasks = tasks_of(group, active_only=True)
    occurring = {p: {t.id: t for t in tasks if occurs(t, r, p)} for p in range(first, horizon + 1)}
    willing = _willingness(group)
    future = _sort_future(ahead, swaps, capacity, willing, occurring)
    periods = [_period(p, capacity[p], occurring[p], future) for p in range(first, last + 1)]
    state = _state_before(group, entries, first, future, tasks)
    return _Replan(r, first, last, rows, swaps, capacity, willing, occurring, future,
                   list(_with_periods(periods, state, willing, r.seed)))


def regenerate(group: Group) -> list[Assignment]:
    """Re-plan the future periods (never the past or current ones) by largest deficit first.

    Starts from the ledger's balances plus the work already given out up to now, as if it will be
    done, and plans `periods_ahead` periods. What people agreed (overrides, accepted swaps, taken
    offers) stays while it can; work settled ahead is left alone; every other future slot is planned
    afresh, reusing its row, so the swaps that point at it stay valid. A pending request on a slot
    whose holder changes is cancelled, and both people are told. A slot no longer needed is removed,
    or — if a swap refers to it — kept as skipped (nobody owes it, nobody earns it). It never fails
    on what people did with their slots. No commit: the caller's transaction.
    """
    plan = _replan(group)
    if plan is None:
        return []
    for a in plan.future.kept:  # the agreement is about who; the points are the task's, now
        a.effort = plan.occurring[a.period][a.task_id].effort
    made, changed = _store_plan(group, plan.picks, plan.future.replanned, plan.swaps)
    cancel_requests(group, _unreachable(plan.rows, changed, plan.swaps, plan.capacity, plan.willing))
    plan.rota.stale = False
    return made


@dataclass
class Change:
    """One future slot whose holder a re-plan would change (None: nobody — a slot added or dropped)."""

    period: int
    task: CareTask
    before: int | None
    after: int | None


@dataclass
class Preview:
    """What "regenerate the future" would do, worked out without writing anything."""

    first: int  # the periods it covers
    last: int
    planned: int  # slots planned afresh
    changes: list[Change]  # slots that would change hands, be added or be dropped
    kept: int  # agreements (overrides, accepted swaps, taken offers) that stay
    settled: int  # slots done, missed or skipped ahead, or open to anyone: left alone
    cancelled: int  # pending requests that could no longer be taken up

    @property
    def fingerprint(self) -> str:
        """Names this exact outcome, so a confirmation only carries out what was shown."""
        text = repr([(c.period, c.task.id, c.before, c.after) for c in self.changes]
                    + [self.first, self.last, self.planned, self.kept, self.settled, self.cancelled])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def preview(user, group: Group) -> Preview | None:
    """A dry run of `regenerate` for a facilitator: the same plan, compared with what is stored; nothing
    is written. None when the group has no rota."""
    require(policy.can_plan(user, group))
    plan = _replan(group)
    if plan is None:
        return None
    matched, dropped = _match(plan.picks, plan.future.replanned)
    changes = [Change(period, row.task if row else plan.occurring[period][pick.task_id],
                      row.user_id if row and row.status == "assigned" else None, pick.member_id)
               for period, pick, row in matched
               if row is None or row.user_id != pick.member_id or row.status != "assigned"]
    changes += [Change(a.period, a.task, a.user_id, None) for a in dropped if a.status == "assigned"]
    changes.sort(key=lambda c: (c.period, -c.task.effort, c.task.name, c.before or 0))
    moved = [row for _p, pick, row in matched if row is not None
             and (row.user_id != pick.member_id or row.status != "assigned")]
    moved += [a for a in dropped if a.status == "assigned" and plan.swaps.get(a.id)]
    cancelled = _unreachable(plan.rows, moved, plan.swaps, plan.capacity, plan.willing)
    return Preview(plan.first, plan.last, len(plan.picks), changes, len(plan.future.kept),
                   len(plan.future.settled), len(cancelled))


def _match(picks, replanned: list[Assignment]):
    """Pair each pick with the row already at its (task, period, slot), if any; the rows left over are
    the ones the plan no longer needs."""
    by_key = {(a.task_id, a.period, a.slot): a for a in replanned}
    matched = [(period, pick, by_key.pop((pick.task_id, period, pick.slot), None)) for period, pick in picks]
    return matched, list(by_key.values())


def _period(p: int, capacity, occurring: dict[int, CareTask], future: _Future) -> rota.Period:
    return rota.Period(p, capacity, [rota.Task(t.id, t.effort, t.category, t.people_needed) for t in occurring.values()],
                       tuple((a.task_id, a.slot, a.user_id) for a in future.kept if a.period == p),
                       tuple((a.task_id, a.slot, a.user_id) for a in future.settled if a.period == p))


def _swaps_of(rows: list[Assignment]) -> dict[int, list[Swap]]:
    found: dict[int, list[Swap]] = {}
    ids = [a.id for a in rows]
    for start in range(0, len(ids), 500):  # in chunks: a year ahead of a big group is thousands of slots
        for s in db.session.scalars(select(Swap).where(Swap.assignment_id.in_(ids[start:start + 500]))
                                    .order_by(Swap.id)):
            found.setdefault(s.assignment_id, []).append(s)
    return found


def _state_before(group: Group, entries, first: int, future: _Future, tasks) -> rota.State:
    """The balances and last-done periods (by category and by task) the plan starts from: the ledger,
    plus the work given out before `first` (as if it will be done), plus work settled ahead."""
    planned = db.session.execute(
        select(Assignment.user_id, Assignment.period, Assignment.effort, Assignment.task_id, Assignment.status)
        .where(Assignment.group_id == group.id, Assignment.user_id.is_not(None), Assignment.period < first)
    ).all()
    projected = entries + [ledger.Entry("done", uid, p, w) for uid, p, w, _t, status in planned if status == "assigned"]
    state = rota.State(balances=ledger.balances(projected))
    category = {t.id: t.category for t in tasks}
    done_before = [(uid, p, tid) for uid, p, _w, tid, status in planned if status != "skipped"]
    done_ahead = [(a.user_id, a.period, a.task_id) for a in future.settled if a.user_id and a.status != "skipped"]
    for uid, p, tid in done_before + done_ahead:
        state.last_task[(uid, tid)] = max(state.last_task.get((uid, tid), p), p)
        if tid in category:
            key = (uid, category[tid])
            state.last_done[key] = max(state.last_done.get(key, p), p)
    return state


def _store_plan(group: Group, picks, replanned: list[Assignment], swaps) -> tuple[list[Assignment], list[Assignment]]:
    """Write the plan: reuse the row already at each (task, period, slot), else add one; rows the plan
    no longer needs go (or, if a swap refers to them, stay as skipped). Returns the planned rows and
    the rows whose holder changed."""
    matched, dropped = _match(picks, replanned)
    made, changed = [], []
    for period, pick, a in matched:
        if a is None:
            a = Assignment(group_id=group.id, task_id=pick.task_id, period=period, slot=pick.slot)
            db.session.add(a)
        elif a.user_id != pick.member_id or a.status != "assigned":
            changed.append(a)
            a.updated_at = utcnow()
        a.user_id, a.status, a.effort, a.reason = pick.member_id, "assigned", pick.effort, _reason(pick)
        made.append(a)
    for a in dropped:
        if swaps.get(a.id):
            if a.status == "assigned":
                changed.append(a)
            a.user_id, a.status, a.reason, a.updated_at = None, "skipped", {"dropped": True}, utcnow()
        else:
            db.session.delete(a)
    return made, changed


def _unreachable(rows, changed, swaps, capacity, willing) -> list[Swap]:
    """Open requests that can no longer be taken up: on a slot whose holder changed or that went, or
    asked of someone who is no longer a member, is away that week, or now says "cannot"."""
    moved = {a.id for a in changed}
    found = []
    for a in rows:
        for s in swaps.get(a.id, ()):
            if s.status != "open":
                continue
            target = s.to_user_id
            if a.id in moved or (target is not None and (
                    capacity.get(a.period, {}).get(target, 0) <= 0
                    or willing.get((target, a.task_id)) == rota.CANNOT)):
                found.append(s)
    return found


def _with_periods(periods, state, willing, seed):
    for period in periods:
        for pick in rota.assign_period(period, state, willing, seed):
            yield period.index, pick


def _reason(pick: rota.Pick) -> dict:
    """What the member can read later: the ranked candidates with their balances, exactly."""
    behind = {"behind": {"member_id": pick.behind[0], "balance": str(pick.behind[1])}} if pick.behind else {}
    return {
        "available": pick.available,
        **behind,
        "ranked": [
            {"member_id": c.member_id, "balance": str(c.balance), "rather_not": c.rather_not,
             "since": c.since_category, "since_task": c.since_task, "close": c.close}
            for c in pick.ranked
        ],
    }
