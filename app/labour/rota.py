"""Largest deficit first: who takes which care task in each period.

Pure and exact: Fractions for every balance, a deterministic tie-break, no database.
The services feed it members, tasks and balances, and store what it returns.
"""
import hashlib
import heapq
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import lcm

HAPPY, RATHER_NOT, CANNOT = "happy", "rather_not", "cannot"
NEVER = 10**9  # "periods since they last did this category (or task)" for someone who never did


@dataclass(frozen=True)
class Task:
    id: int
    effort: int  # w, whole points
    category: str
    people_needed: int = 1


@dataclass
class Candidate:
    member_id: int
    balance: Fraction
    rather_not: bool
    since_category: int
    since_task: int = NEVER
    # Within the slot's closeness window of the lowest balance: variety decided among these.
    close: bool = True


@dataclass
class Pick:
    task_id: int
    slot: int
    member_id: int
    effort: int
    # The ranked candidates as they stood when this slot was filled, best first.
    ranked: list[Candidate]
    available: int
    # The furthest behind of the eligible (member, balance): who the taker was close to, even when more
    # than `keep` were close and they are not among the ranked.
    behind: tuple[int, Fraction] | None = None


@dataclass
class Period:
    """What the rota needs to know about one period."""

    index: int
    capacities: dict[int, Fraction]  # member → capacity this period (absent members: 0 or missing)
    tasks: list[Task]
    # Slots already given by hand (a facilitator's override): (task id, slot, member). They count
    # as that member's work and are not handed out again.
    kept: tuple[tuple[int, int, int], ...] = ()
    # Slots already settled another way (done, missed or skipped ahead of time, or open to anyone):
    # (task id, slot, member or None). Not handed out again and not counted as work owed here.
    settled: tuple[tuple[int, int, int | None], ...] = ()


@dataclass
class State:
    """Running balances and the last period each member did each category and each task."""

    balances: dict[int, Fraction] = field(default_factory=dict)
    last_done: dict[tuple[int, str], int] = field(default_factory=dict)
    last_task: dict[tuple[int, int], int] = field(default_factory=dict)


def closeness(task: Task, w_max: int) -> int:
    """How far above the lowest balance a candidate may stand and still count as "close" for this slot:
    w_max − w. Whoever takes the slot then ends at most w_max above the lowest balance, exactly as
    largest deficit first allows for its largest task — the fact the bound |b| ≤ w_max rests on
    (docs/ROTA.md, "Variety"). The largest tasks have no window: only exact ties."""
    return w_max - task.effort


def tie_break(seed: str, period: int, member_id: int) -> str:
    """A stable pseudo-random order per period, so no member is first by virtue of their id."""
    return hashlib.sha256(f"{seed}:{period}:{member_id}".encode()).hexdigest()


def owed_shares(total: Fraction | int, capacities: dict[int, Fraction]) -> dict[int, Fraction]:
    """Split `total` by capacity among the available members: W_p · c_i / C_p, exactly."""
    available = {m: c for m, c in capacities.items() if c > 0}
    whole = sum(available.values(), Fraction(0))
    if not available or whole == 0:
        return {}
    return {m: Fraction(total) * c / whole for m, c in available.items()}


def fillable(task: Task, available, willingness) -> int:
    """How many of the task's slots can be filled: never more than the members who can do it."""
    able = sum(1 for m in available if willingness.get((m, task.id), HAPPY) != CANNOT)
    return min(task.people_needed, able)


def assign_period(period: Period, state: State, willingness: dict[tuple[int, int], str], seed: str,
                  keep: int = 5) -> list[Pick]:
    """The rota's rule, "largest deficit first", for one period; updates `state` in place.

    1. Every available member owes their capacity share of the period's work W_p (slots nobody
       can fill are not work anyone owes).
    2. Slots go out largest effort first (ties by task id). Among the eligible members whose balance
       is within `closeness` of the lowest, the slot goes by (rather_not, longest since this task,
       balance, longest since this category, tie-break): variety without leaving the fairness bound.
    3. The chosen member is credited the effort; Σ balances is unchanged, exactly.

    Each slot ranks its candidates afresh, because the key depends on the task (willingness,
    category): O(T·N) per period — a few milliseconds for 50 members and 20 tasks.
    """
    available = {m: c for m, c in period.capacities.items() if c > 0}
    counts = {task.id: fillable(task, available, willingness) for task in period.tasks}
    effort = {task.id: task for task in period.tasks}
    kept = {(t, n): m for t, n, m in period.kept if m in available and t in effort}
    used = set(kept) | {(t, n) for t, n, _m in period.settled}
    holding = {(m, t) for t, _n, m in period.settled if m is not None} | {(m, t) for (t, _n), m in kept.items()}
    slots = sorted(
        ((task, n) for task in period.tasks for n in _open_slots(task, counts[task.id], used, holding, available,
                                                                 willingness)),
        key=lambda pair: (-pair[0].effort, pair[0].id, pair[1]),
    )
    work = sum(task.effort for task, _ in slots) + sum(effort[t].effort for t, _ in kept)
    for m in available:
        state.balances.setdefault(m, Fraction(0))
    for m, share in owed_shares(work, available).items():
        state.balances[m] -= share
    for (t, _n), m in sorted(kept.items()):
        state.balances[m] += effort[t].effort
        state.last_done[(m, effort[t].category)] = period.index
        state.last_task[(m, t)] = period.index
    w_max = max((task.effort for task in period.tasks), default=0)
    # Within a period balances only move by whole efforts, so rank on exact integers scaled by
    # the common denominator: the same order as the Fractions, many times faster to compare.
    scale = lcm(*(state.balances[m].denominator for m in available)) if available else 1
    scaled = {m: state.balances[m].numerator * (scale // state.balances[m].denominator) for m in available}
    ties = {m: tie_break(seed, period.index, m) for m in available}
    picks: list[Pick] = []
    for task, slot in slots:
        ranked, behind = _rank(task, period.index, scaled, ties, state, willingness, holding, keep,
                               closeness(task, w_max) * scale)
        chosen = ranked[0].member_id
        picks.append(Pick(task_id=task.id, slot=slot, member_id=chosen, effort=task.effort,
                          available=len(available),
                          ranked=[replace(c, balance=Fraction(c.balance, scale)) for c in ranked],
                          behind=(behind, Fraction(scaled[behind], scale))))
        holding.add((chosen, task.id))
        scaled[chosen] += task.effort * scale
        state.balances[chosen] += task.effort
        state.last_done[(chosen, task.category)] = period.index
        state.last_task[(chosen, task.id)] = period.index
    return picks


def _open_slots(task: Task, count: int, used, holding, available, willingness) -> list[int]:
    """The slot numbers of a task still to hand out: those below its count not already used, and never
    more than the members still free to take one (someone may already hold a kept or settled slot of it)."""
    numbers = [n for n in range(count) if (task.id, n) not in used]
    if holding and numbers:
        free = sum(1 for m in available
                   if willingness.get((m, task.id), HAPPY) != CANNOT and (m, task.id) not in holding)
        numbers = numbers[:free]
    return numbers


def _rank(task: Task, period: int, scaled, ties, state: State, willingness, holding, keep: int,
          window: int) -> tuple[list[Candidate], int | None]:
    """The `keep` best eligible members for a slot, best first (balances still scaled integers), and the
    one furthest behind (lowest balance, then lowest id).

    The close ones (balance ≤ lowest + window) come first, by (rather_not, -since this task, balance,
    -since this category, tie); then everyone else by (balance, rather_not, -since category, tie)."""
    # The hot loop of planning (a year for 50 members is ~50 000 rounds): plain tuples, few calls.
    never, task_id, category = period - NEVER, task.id, task.category
    level = willingness.get
    eligible = [m for m in scaled if (m, task_id) not in holding and level((m, task_id)) != CANNOT]
    if not eligible:
        return [], None
    behind = min(eligible, key=lambda m: (scaled[m], m))
    limit = scaled[behind] + window
    by_category, by_task = state.last_done.get, state.last_task.get
    keys = []
    for m in eligible:
        b, rather = scaled[m], level((m, task_id)) == RATHER_NOT
        since_category = period - by_category((m, category), never)
        if b <= limit:
            keys.append((0, rather, by_task((m, task_id), never) - period, b, -since_category, ties[m], m))
        else:
            keys.append((1, b, rather, -since_category, ties[m], m))
    return [Candidate(m, scaled[m], willingness.get((m, task_id)) == RATHER_NOT,
                      period - by_category((m, category), never), period - by_task((m, task_id), never),
                      key[0] == 0)
            for key in heapq.nsmallest(keep, keys) for m in (key[-1],)], behind


def rank_key(c: Candidate, tie: str = "") -> tuple:
    """The rule's order for one candidate as `_rank` recorded it (best first); the same tuples as `_rank`."""
    if c.close:
        return (0, c.rather_not, -c.since_task, c.balance, -c.since_category, tie, c.member_id)
    return (1, c.balance, c.rather_not, -c.since_category, tie, c.member_id)


def generate(periods: list[Period], state: State, willingness: dict[tuple[int, int], str], seed: str) -> list[Pick]:
    """Assign period after period, each starting from the balances the previous one left."""
    picks: list[Pick] = []
    for period in sorted(periods, key=lambda p: p.index):
        picks.extend(assign_period(period, state, willingness, seed))
    return picks


def unfairness(balances: dict[int, Fraction]) -> Fraction:
    """U = max |b_i|."""
    return max((abs(b) for b in balances.values()), default=Fraction(0))
