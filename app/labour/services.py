"""Care work: tasks, the rota, doing the work, and the fairness ledger (see docs for the rota's rules).

Every change checks permission, appends to the ledger and says what happened (the Event, and
whoever listens: `core.events.happened`) in one transaction.
Balances are never stored: they are recomputed, exactly, from the ledger.
"""
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core.database import utcnow
from app.core.errors import Refused
from app.core.events import happened, happening
from app.core.extensions import db
from app.groups import policy as groups
from app.groups import queries as group_queries
from app.groups.models import Group
from app.core.i18n import zone_info
from app.labour import ledger, rota
from app.labour.models import (
    CATEGORIES,
    RECURRENCES,
    WILLINGNESS,
    Absence,
    Assignment,
    CareTask,
    LedgerEntry,
    LoggedCare,
    Rota,
    Swap,
    Thanks,
    Willingness,
)

PERIOD_DAYS = 7


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


# ---------------------------------------------------------------- periods


def today_in(group: Group) -> date:
    return utcnow().astimezone(zone_info(group.timezone)).date()


def period_of(r: Rota, day: date) -> int:
    return (day - r.starts_on).days // PERIOD_DAYS


def period_start(r: Rota, period: int) -> date:
    return r.starts_on + timedelta(days=PERIOD_DAYS * period)


def current_period(r: Rota, group: Group) -> int:
    return period_of(r, today_in(group))


def occurs(task: CareTask, r: Rota, period: int) -> bool:
    """Whether a task needs doing in a period, by its recurrence."""
    if not task.active or period < task.starts_period:
        return False
    if task.recurrence == "every":
        return True
    if task.recurrence == "every_2nd":
        return (period - task.starts_period) % 2 == 0
    if task.recurrence == "once":
        return period == task.starts_period
    start = period_start(r, period)  # monthly: the period holding the month's first day
    return start.day == 1 or (start + timedelta(days=PERIOD_DAYS - 1)).month != start.month


# ---------------------------------------------------------------- setting up


def rota_of(group: Group) -> Rota | None:
    return db.session.scalar(select(Rota).where(Rota.group_id == group.id))


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
    _require(groups.can_facilitate(user, group))
    if rota_of(group) is not None:
        raise Refused(_l("This group already has a rota."))
    if not 1 <= periods_ahead <= 52:
        raise Refused(_l("Plan between 1 and 52 weeks ahead."), "periods_ahead")
    r = Rota(group_id=group.id, starts_on=starts_on, periods_ahead=periods_ahead, seed=secrets.token_hex(8))
    db.session.add(r)
    db.session.flush()
    now = max(current_period(r, group), 0)
    for m in group_queries.current_members(group, by_name=False):
        _enter(group, "join", m.user_id, now, capacity=m.capacity_percent, actor=user)
    if starter:
        for name, category, effort, description in STARTER_TASKS.get(group.locale, STARTER_TASKS["en"]):
            db.session.add(CareTask(group_id=group.id, name=name, category=category, effort=effort,
                                    description=description, starts_period=now))
    happened("care.rota_started", group, user, r)
    db.session.commit()
    return r


def _enter(group, kind: str, user_id: int, period: int, actor=None, **fields) -> LedgerEntry:
    entry = LedgerEntry(group_id=group.id, kind=kind, user_id=user_id, period=period,
                        actor_id=getattr(actor, "id", None), **fields)
    db.session.add(entry)
    return entry


def listen() -> None:
    """Keep the ledger in step with memberships: the groups feature says who joined, left or changed
    capacity; it never calls care work itself. Connected by the app factory."""
    happening.connect(_joined, sender="member.joined")
    happening.connect(_left, sender="member.left")
    happening.connect(_left, sender="member.removed")
    happening.connect(_capacity_changed, sender="member.capacity_changed")


def _joined(_kind, what) -> None:
    on_membership_change(what.group, what.subject.id, "join", capacity=100)  # a newcomer starts at a full share


def _left(_kind, what) -> None:
    on_membership_change(what.group, what.subject.id, "leave")


def _capacity_changed(_kind, what) -> None:
    on_membership_change(what.group, what.subject.id, "capacity", capacity=what.payload["new"], actor=what.actor)


def on_membership_change(group: Group, user_id: int, kind: str, capacity: int | None = None, actor=None) -> None:
    """Someone joined, left or changed capacity (see `listen`).

    Join counts from the current period (no back-dated debt); a capacity change from the next
    one (future only); leaving spreads the balance over the others. The future is planned again
    (a leaver's future slots go to others, whatever swaps point at them).
    """
    r = rota_of(group)
    if r is None:
        return
    now = max(current_period(r, group), 0)
    period = now + 1 if kind == "capacity" else now
    _enter(group, kind, user_id, period, capacity=capacity, actor=actor)
    r.stale = True
    regenerate(group)


# ---------------------------------------------------------------- tasks


@dataclass
class TaskDraft:
    name: str
    description: str = ""
    category: str = "other"
    effort: int = 1
    recurrence: str = "every"
    people_needed: int = 1
    active: bool = True


def _check_task(draft: TaskDraft) -> None:
    if not draft.name.strip() or len(draft.name) > 120:
        raise Refused(_l("Give the task a name of at most 120 characters."), "name")
    if draft.category not in CATEGORIES:
        raise Refused(_l("Choose a category."), "category")
    if draft.recurrence not in RECURRENCES:
        raise Refused(_l("Choose how often it recurs."), "recurrence")
    if not 1 <= draft.effort <= 20:
        raise Refused(_l("Effort is between 1 and 20 points."), "effort")
    if not 1 <= draft.people_needed <= 20:
        raise Refused(_l("Between 1 and 20 people."), "people_needed")


def save_task(user, group: Group, draft: TaskDraft, task: CareTask | None = None) -> CareTask:
    """Facilitators define the care tasks. A change of effort affects future periods only."""
    _require(groups.can_facilitate(user, group))
    r = rota_of(group)
    if r is None:
        raise Refused(_l("Start the rota first."))
    _check_task(draft)
    if task is None:
        task = CareTask(group_id=group.id, starts_period=max(current_period(r, group), 0))
        db.session.add(task)
    elif task.group_id != group.id:
        raise NotFound()
    task.name, task.description, task.category = draft.name.strip(), draft.description.strip(), draft.category
    task.effort, task.recurrence, task.people_needed, task.active = (
        draft.effort, draft.recurrence, draft.people_needed, draft.active)
    db.session.flush()
    happened("care.task_saved", group, user, task, name=task.name)
    r.stale = True
    regenerate(group)
    db.session.commit()
    return task


def tasks_of(group: Group, active_only: bool = False) -> list[CareTask]:
    query = select(CareTask).where(CareTask.group_id == group.id).order_by(CareTask.active.desc(), CareTask.name)
    if active_only:
        query = query.where(CareTask.active.is_(True))
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- members' side


def set_willingness(user, group: Group, task_id: int, level: str) -> None:
    """Happy, rather not, or cannot. Cannot is never assigned; it doesn't lower what you owe."""
    _require(groups.can_write(user, group))
    task = db.session.get(CareTask, task_id)
    if task is None or task.group_id != group.id:
        raise NotFound()
    if level not in WILLINGNESS:
        raise Refused(_l("Choose happy, rather not or cannot."), "level")
    row = db.session.scalar(select(Willingness).where(Willingness.user_id == user.id, Willingness.task_id == task.id))
    if row is None:
        db.session.add(Willingness(group_id=group.id, user_id=user.id, task_id=task.id, level=level))
    elif row.level == level:
        return
    else:
        row.level = level
    r = rota_of(group)
    if r is not None:
        r.stale = True
        regenerate(group)
    db.session.commit()


def add_absence(user, group: Group, starts_on: date, ends_on: date, note: str = "") -> Absence:
    """Leave, illness, holiday — ahead or after. Capacity is 0 for the periods it touches."""
    _require(groups.can_write(user, group))
    r = rota_of(group)
    if r is None:
        raise Refused(_l("Start the rota first."))
    if ends_on < starts_on:
        raise Refused(_l("An absence can't end before it starts."), "ends_on")
    if (ends_on - starts_on).days > 366:
        raise Refused(_l("An absence is at most a year; add another after it."), "ends_on")
    if len(note) > 200:
        raise Refused(_l("Keep the note under 200 characters."), "note")
    absence = Absence(group_id=group.id, user_id=user.id, starts_on=starts_on, ends_on=ends_on, note=note.strip())
    db.session.add(absence)
    db.session.flush()
    _enter(group, "absence", user.id, period_of(r, starts_on), until=period_of(r, ends_on), ref_id=absence.id,
           actor=user)
    happened("care.absence", group, user, absence, name=user.display_name)
    r.stale = True
    regenerate(group)
    db.session.commit()
    return absence


def cancel_absence(user, group: Group, absence_id: int) -> None:
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.group_id != group.id or absence.user_id != user.id or absence.cancelled_at:
        raise NotFound()
    absence.cancelled_at = utcnow()
    r = rota_of(group)
    _enter(group, "absence_cancelled", user.id, period_of(r, absence.starts_on), ref_id=absence.id, actor=user)
    r.stale = True
    regenerate(group)
    db.session.commit()


def absences_of(group: Group, user) -> list[Absence]:
    return list(db.session.scalars(
        select(Absence).where(Absence.group_id == group.id, Absence.user_id == user.id,
                              Absence.cancelled_at.is_(None)).order_by(Absence.starts_on)
    ))


# ---------------------------------------------------------------- the ledger


def ledger_entries(group: Group) -> list[ledger.Entry]:
    rows = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.user_id, LedgerEntry.period, LedgerEntry.effort, LedgerEntry.capacity,
               LedgerEntry.until, LedgerEntry.ref_id)
        .where(LedgerEntry.group_id == group.id).order_by(LedgerEntry.id)
    ).all()
    return [ledger.Entry(*row) for row in rows]


def balances(group: Group) -> dict[int, Fraction]:
    return ledger.balances(ledger_entries(group))


# ---------------------------------------------------------------- generating the rota


def _capacities_by_period(entries: list[ledger.Entry], first: int, last: int) -> dict[int, dict[int, Fraction]]:
    """Each member's capacity in each of the periods first..last, from one walk of the ledger: 0 while absent.
    Members who left (or never joined) are missing."""
    replay = ledger.Replay(entries)
    pending = replay.periods()
    done, found = 0, {}
    for period in range(first, last + 1):
        while done < len(pending) and pending[done] <= period:
            replay.apply(pending[done])
            done += 1
        away = replay.absent.get(period, set())
        found[period] = {m: (Fraction(0) if m in away else c) for m, c in replay.capacity.items()}
    return found


def _capacities(entries: list[ledger.Entry], period: int) -> dict[int, Fraction]:
    """Each member's capacity in one period, from the ledger: 0 while absent."""
    return _capacities_by_period(entries, period, period)[period]


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
    r = rota_of(group)
    if r is None:
        return []
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
    entries = ledger_entries(group)
    horizon = max([last] + [a.period for a in rows])
    capacity = _capacities_by_period(entries, now, horizon)
    tasks = tasks_of(group, active_only=True)
    occurring = {p: {t.id: t for t in tasks if occurs(t, r, p)} for p in range(first, horizon + 1)}
    willing = _willingness(group)
    future = _sort_future(ahead, swaps, capacity, willing, occurring)
    for a in future.kept:  # the agreement is about who; the points are the task's, now
        a.effort = occurring[a.period][a.task_id].effort
    periods = [_period(p, capacity[p], occurring[p], future) for p in range(first, last + 1)]
    state = _state_before(group, entries, first, future, tasks)
    made, changed = _store_plan(group, _with_periods(periods, state, willing, r.seed), future.replanned, swaps)
    _cancel_requests(group, _unreachable(rows, changed, swaps, capacity, willing))
    r.stale = False
    return made


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
    """The balances and last-done periods the plan starts from: the ledger, plus the work given out
    before `first` (as if it will be done), plus work settled ahead."""
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
        if tid in category:
            key = (uid, category[tid])
            state.last_done[key] = max(state.last_done.get(key, p), p)
    return state


def _store_plan(group: Group, picks, replanned: list[Assignment], swaps) -> tuple[list[Assignment], list[Assignment]]:
    """Write the plan: reuse the row already at each (task, period, slot), else add one; rows the plan
    no longer needs go (or, if a swap refers to them, stay as skipped). Returns the planned rows and
    the rows whose holder changed."""
    by_key = {(a.task_id, a.period, a.slot): a for a in replanned}
    made, changed = [], []
    for period, pick in picks:
        a = by_key.pop((pick.task_id, period, pick.slot), None)
        if a is None:
            a = Assignment(group_id=group.id, task_id=pick.task_id, period=period, slot=pick.slot)
            db.session.add(a)
        elif a.user_id != pick.member_id or a.status != "assigned":
            changed.append(a)
            a.updated_at = utcnow()
        a.user_id, a.status, a.effort, a.reason = pick.member_id, "assigned", pick.effort, _reason(pick)
        made.append(a)
    for a in by_key.values():
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


def _cancel_requests(group: Group, requests: list[Swap]) -> None:
    """Close pending swap requests the rota no longer allows, telling both people.
    No actor: whoever caused the change is told as well, as they may not know a request hung on it."""
    r = rota_of(group)
    for s in requests:
        s.status, s.resolved_at = "cancelled", utcnow()
        a = s.assignment
        happened("care.swap_cancelled", group, None, s, record=False, title=a.task.name,
                 week=period_start(r, a.period).isoformat() if r else "")


def _with_periods(periods, state, willing, seed):
    for period in periods:
        for pick in rota.assign_period(period, state, willing, seed):
            yield period.index, pick


def _reason(pick: rota.Pick) -> dict:
    """What the member can read later: the ranked candidates with their balances, exactly."""
    return {
        "available": pick.available,
        "ranked": [
            {"member_id": c.member_id, "balance": str(c.balance), "rather_not": c.rather_not,
             "since": c.since_category}
            for c in pick.ranked
        ],
    }


def generate(user, group: Group) -> int:
    """A facilitator regenerates the future of the rota by hand."""
    _require(groups.can_facilitate(user, group))
    made = regenerate(group)
    happened("care.rota_generated", group, user, None, count=len(made))
    db.session.commit()
    return len(made)


# ---------------------------------------------------------------- doing the work


def assignment_for(user, assignment_id: int) -> Assignment:
    a = db.session.scalar(select(Assignment).where(Assignment.id == assignment_id)
                          .options(selectinload(Assignment.task), selectinload(Assignment.user)))
    if a is None:
        raise NotFound()
    group = db.session.get(Group, a.group_id)
    if not groups.can_read(user, group):
        raise NotFound()
    return a


def _group_of(a: Assignment) -> Group:
    return db.session.get(Group, a.group_id)


STATUS_WORDS = {"done": _l("done"), "missed": _l("missed"), "skipped": _l("skipped")}


def _open(a: Assignment) -> None:
    if a.status != "assigned":
        raise Refused(_l("This task is already marked %(status)s.", status=STATUS_WORDS.get(a.status, a.status)))


def mark_done(user, a: Assignment) -> None:
    """The person holding the slot (or a facilitator for them) marks it done: they earn its effort."""
    group = _group_of(a)
    _require(a.user_id == user.id or groups.can_facilitate(user, group))
    _open(a)
    a.status, a.done_by_id, a.updated_at = "done", a.user_id, utcnow()
    _enter(group, "done", a.user_id, a.period, effort=a.effort, ref_id=a.id, actor=user)
    happened("care.done", group, user, a, task=a.task.name, name=a.user.display_name if a.user else "")
    db.session.commit()


def mark_missed(user, a: Assignment) -> None:
    """No credit; the slot is offered to anyone; the assignee stays behind."""
    group = _group_of(a)
    _require(a.user_id == user.id or groups.can_facilitate(user, group))
    _open(a)
    missed_by = a.user_id
    a.status, a.updated_at = "missed", utcnow()
    _enter(group, "miss", missed_by, a.period, ref_id=a.id, actor=user)
    # The work is still there: a fresh slot, offered up for the first taker.
    again = Assignment(group_id=a.group_id, task_id=a.task_id, period=a.period, slot=_free_slot(a), user_id=None,
                       effort=a.effort, reason={"reoffered_from": a.id})
    db.session.add(again)
    db.session.flush()
    db.session.add(Swap(assignment_id=again.id, from_user_id=missed_by, kind="offer"))
    happened("care.missed", group, user, a, task=a.task.name)
    db.session.commit()


def _free_slot(a: Assignment) -> int:
    used = db.session.scalar(select(func.max(Assignment.slot)).where(
        Assignment.task_id == a.task_id, Assignment.period == a.period))
    return (used or 0) + 1


def mark_skipped(user, a: Assignment) -> None:
    """The task was cancelled this period: nobody owes it, nobody earns it."""
    group = _group_of(a)
    _require(groups.can_facilitate(user, group))
    _open(a)
    a.status, a.updated_at = "skipped", utcnow()
    _enter(group, "skip", a.user_id or user.id, a.period, ref_id=a.id, actor=user)
    happened("care.skipped", group, user, a, task=a.task.name)
    db.session.commit()


def _can_hold(group: Group, user_id: int, a: Assignment) -> bool:
    """Whether this member may be given this slot: still counted in the group that week (not away) and
    not having said "cannot" for its task — the same rule the plan follows, so what people agree lasts."""
    if _capacities(ledger_entries(group), a.period).get(user_id, 0) <= 0:
        return False
    level = db.session.scalar(select(Willingness.level).where(Willingness.user_id == user_id,
                                                               Willingness.task_id == a.task_id))
    return level != rota.CANNOT


def _open_requests(a: Assignment) -> list[Swap]:
    return list(db.session.scalars(select(Swap).where(Swap.assignment_id == a.id, Swap.status == "open")))


def may_request_swap(user, a: Assignment) -> bool:
    """Only the member holding a slot may ask someone to take it, or offer it up."""
    return a.user_id == user.id and groups.can_write(user, _group_of(a))


def request_swap(user, a: Assignment, to_user_id: int | None) -> Swap:
    """Ask a named member to take your slot (swap), or offer it to anyone (to_user_id None)."""
    group = _group_of(a)
    _require(may_request_swap(user, a))
    _open(a)
    if _open_requests(a):
        raise Refused(_l("There is already an open request for this task."))
    if to_user_id is not None:
        if to_user_id == user.id or groups.membership(db.session.get(User, to_user_id), group) is None:
            raise Refused(_l("Choose another member of the group."), "to_user_id")
        if not _can_hold(group, to_user_id, a):
            raise Refused(_l("They are away that week or said they cannot do this task: ask someone else."),
                          "to_user_id")
    swap = Swap(assignment_id=a.id, from_user_id=user.id, to_user_id=to_user_id,
                kind="swap" if to_user_id else "offer")
    db.session.add(swap)
    db.session.flush()
    happened(f"care.{swap.kind}_requested", group, user, swap, task=a.task.name)
    db.session.commit()
    return swap


def swap_for(user, swap_id: int) -> Swap:
    swap = db.session.scalar(select(Swap).where(Swap.id == swap_id).options(
        selectinload(Swap.assignment).selectinload(Assignment.task)))
    if swap is None or not groups.can_read(user, _group_of(swap.assignment)):
        raise NotFound()
    return swap


def accept_swap(user, swap: Swap) -> None:
    """The named member takes the slot — or, for an offer, the first member to take it. They get the credit
    when it's done; both names stay in the ledger."""
    a = swap.assignment
    group = _group_of(a)
    _require(groups.can_write(user, group))
    if swap.kind == "swap" and swap.to_user_id != user.id:
        raise Forbidden()
    if swap.from_user_id == user.id and a.user_id is not None:
        raise Refused(_l("You can't take your own task."))
    if swap.status == "open" and not _can_hold(group, user.id, a):
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
    _enter(group, "swap" if swap.kind == "swap" else "offer", user.id, a.period, ref_id=a.id, actor=user,
           note=f"from {previous}" if previous else "reoffered")
    happened("care.swap_accepted", group, user, swap, task=a.task.name)
    db.session.commit()


def decline_swap(user, swap: Swap) -> None:
    if swap.status != "open" or not (swap.to_user_id == user.id or swap.from_user_id == user.id):
        raise Refused(_l("This request is no longer open."))
    swap.status = "declined" if swap.to_user_id == user.id else "cancelled"
    swap.resolved_at = utcnow()
    db.session.commit()


def override(user, a: Assignment, to_user_id: int, reason: str) -> None:
    """A facilitator gives a slot to someone else, with a reason; logged, and its effect on U shown."""
    group = _group_of(a)
    _require(groups.can_facilitate(user, group))
    _open(a)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_l("Say why: overrides are visible to everyone."), "reason")
    if len(reason) > 300:
        raise Refused(_l("Keep the reason under 300 characters."), "reason")
    person = db.session.get(User, to_user_id)
    if person is None or groups.membership(person, group) is None:
        raise Refused(_l("Choose another member of the group."), "to_user_id")
    if not _can_hold(group, to_user_id, a):
        raise Refused(_l("They are away that week or said they cannot do this task: ask someone else."),
                      "to_user_id")
    if a.user_id != to_user_id:  # the slot changes hands: a request its holder made no longer stands
        _cancel_requests(group, _open_requests(a))
    a.user_id, a.updated_at = to_user_id, utcnow()
    a.reason = {**(a.reason or {}), "override": {"by": user.id, "reason": reason}}
    _enter(group, "override", to_user_id, a.period, ref_id=a.id, actor=user, note=reason)
    r = rota_of(group)
    happened("care.override", group, user, a, task=a.task.name, name=person.display_name, reason=reason,
             extra={"week": period_start(r, a.period).isoformat() if r else ""})
    db.session.commit()


# ---------------------------------------------------------------- logged care and thanks


def log_care(user, group: Group, description: str, effort: int, done_on: date, category: str = "other") -> LoggedCare:
    """Care work nobody scheduled. It counts once another member confirms it."""
    _require(groups.can_write(user, group))
    if rota_of(group) is None:
        raise Refused(_l("Start the rota first."))
    if not description.strip() or len(description) > 300:
        raise Refused(_l("Describe it in 1–300 characters."), "description")
    if not 1 <= effort <= 20:
        raise Refused(_l("Effort is between 1 and 20 points."), "effort")
    if done_on > today_in(group):
        raise Refused(_l("Log care once it's done: the date can't be in the future."), "done_on")
    if category not in CATEGORIES:
        raise Refused(_l("Choose a category."), "category")
    care = LoggedCare(group_id=group.id, user_id=user.id, description=description.strip(), effort=effort,
                      done_on=done_on, category=category)
    db.session.add(care)
    db.session.flush()
    happened("care.logged", group, user, care, description=care.description, effort=effort)
    db.session.commit()
    return care


def confirm_care(user, group: Group, care_id: int) -> None:
    care = db.session.get(LoggedCare, care_id)
    if care is None or care.group_id != group.id:
        raise NotFound()
    _require(groups.can_write(user, group))
    if care.user_id == user.id:
        raise Refused(_l("Someone else confirms your logged care — that's how it becomes visible."))
    if care.confirmed_at is not None:
        raise Refused(_l("It is already confirmed."))
    care.confirmed_by_id, care.confirmed_at = user.id, utcnow()
    r = rota_of(group)
    _enter(group, "logged_care", care.user_id, period_of(r, care.done_on), effort=care.effort, ref_id=care.id,
           actor=user)
    happened("care.confirmed", group, user, care, description=care.description, name=care.user.display_name)
    db.session.commit()


def thank(user, group: Group, to_user_id: int, message: str = "", assignment_id: int | None = None,
          care_id: int | None = None) -> Thanks:
    """Any member can thank another current member for care work done here (an assignment or logged
    care of this group, if named); thanks show on the timeline and the person's page, so nobody
    outside the group — nor anyone who left it — can be made to receive them."""
    _require(groups.can_write(user, group))
    if to_user_id == user.id:
        raise Refused(_l("Thank someone else — your own work is thanked by others."))
    if len(message) > 500:
        raise Refused(_l("Keep it under 500 characters."), "message")
    person = db.session.get(User, to_user_id)
    if groups.membership(person, group) is None:
        raise Refused(_l("You can only thank a current member of the group."), "to_user_id")
    if assignment_id is not None:
        a = db.session.get(Assignment, assignment_id)
        if a is None or a.group_id != group.id or a.done_by_id != to_user_id:
            raise NotFound()
    if care_id is not None:
        care = db.session.get(LoggedCare, care_id)
        if care is None or care.group_id != group.id or care.user_id != to_user_id:
            raise NotFound()
    thanks = Thanks(group_id=group.id, from_user_id=user.id, to_user_id=to_user_id, assignment_id=assignment_id,
                    logged_care_id=care_id, message=message.strip())
    db.session.add(thanks)
    db.session.flush()
    happened("care.thanked", group, user, thanks, name=person.display_name, message=thanks.message)
    db.session.commit()
    return thanks


# ---------------------------------------------------------------- what needs me


@dataclass
class CareNeeds:
    """On the group home: my care tasks still to do this period, and swaps people asked of me."""

    tasks: list[Assignment]
    swaps: list[Swap]
    week_starts: date | None = None

    def __bool__(self) -> bool:
        return bool(self.tasks or self.swaps)


def needs_me(user, group: Group) -> CareNeeds:
    """My open slots this period and open swap requests addressed to me, in a fixed number of queries."""
    r = rota_of(group)
    if r is None or not getattr(user, "is_authenticated", False):
        return CareNeeds([], [])
    now = current_period(r, group)
    tasks = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.user_id == user.id,
                                 Assignment.period == now, Assignment.status == "assigned")
        .options(selectinload(Assignment.task)).order_by(Assignment.effort.desc(), Assignment.id)
    ))
    swaps = list(db.session.scalars(
        select(Swap).join(Assignment, Assignment.id == Swap.assignment_id)
        .where(Assignment.group_id == group.id, Swap.to_user_id == user.id, Swap.status == "open")
        .options(selectinload(Swap.assignment).selectinload(Assignment.task), selectinload(Swap.from_user))
        .order_by(Swap.id)
    ))
    return CareNeeds(tasks, swaps, period_start(r, now))


def needs_me_everywhere(user) -> list[tuple[Group, CareNeeds]]:
    """`needs_me` across all my groups, for the personal "needs you" page, in a fixed number of
    queries however many groups: my open slots in each group's current period, and open swap
    requests addressed to me."""
    if not getattr(user, "is_authenticated", False):
        return []
    mine = group_queries.group_ids_of(user.id)
    rotas = {r.group_id: r for r in db.session.scalars(select(Rota).where(Rota.group_id.in_(mine)))}
    if not rotas:
        return []
    found = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(list(rotas))))}
    now = {gid: current_period(r, found[gid]) for gid, r in rotas.items()}
    slots = db.session.scalars(
        select(Assignment).where(Assignment.group_id.in_(list(rotas)), Assignment.user_id == user.id,
                                 Assignment.status == "assigned")
        .where(Assignment.period <= max(now.values())).where(Assignment.period >= min(now.values()))
        .options(selectinload(Assignment.task)).order_by(Assignment.effort.desc(), Assignment.id)
    )
    swaps = db.session.scalars(
        select(Swap).join(Assignment, Assignment.id == Swap.assignment_id)
        .where(Assignment.group_id.in_(list(rotas)), Swap.to_user_id == user.id, Swap.status == "open")
        .options(selectinload(Swap.assignment).selectinload(Assignment.task), selectinload(Swap.from_user))
        .order_by(Swap.id)
    )
    needs = {gid: CareNeeds([], [], period_start(r, now[gid])) for gid, r in rotas.items()}
    for a in slots:
        if a.period == now[a.group_id]:
            needs[a.group_id].tasks.append(a)
    for s in swaps:
        needs[s.assignment.group_id].swaps.append(s)
    return [(found[gid], n) for gid, n in sorted(needs.items(), key=lambda item: found[item[0]].name) if n]


def thanks_received(person, group_ids: list[int], limit: int = 50) -> list[Thanks]:
    """Thanks this person received in these groups (the ones the viewer can read), newest first:
    one query, with who thanked them and the group loaded alongside."""
    if not group_ids:
        return []
    return list(db.session.scalars(
        select(Thanks).where(Thanks.to_user_id == person.id, Thanks.group_id.in_(group_ids))
        .options(joinedload(Thanks.from_user), joinedload(Thanks.group))
        .order_by(Thanks.created_at.desc(), Thanks.id.desc()).limit(limit)
    ))
