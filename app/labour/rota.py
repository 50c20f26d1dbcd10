"""Largest deficit first: who takes which care task in each period.

Pure and exact: Fractions for every balance, a deterministic tie-break, no database.
The services feed it members, tasks and balances, and store what it returns.
"""
import hashlib
import heapq
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

HAPPY, RATHER_NOT, CANNOT = "happy", "rather_not", "cannot"
NEVER = 10**9  # "periods since they last did this category" for someone who never did


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


@dataclass
class Pick:
    task_id: int
    slot: int
    member_id: int
    effort: int
    # The ranked candidates as they stood when this slot was filled, best first.
    ranked: list[Candidate]
    available: int


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
    """Running balances and the last period each member did each category."""

    balances: dict[int, Fraction] = field(default_factory=dict)
    last_done: dict[tuple[int, str], int] = field(default_factory=dict)


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
    2. Slots go out largest effort first (ties by task id), each to the eligible member with
       the lowest key (balance, rather_not, longest since this category, tie-break).
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
    # Within a period balances only move by whole efforts, so rank on exact integers scaled by
    # the common denominator: the same order as the Fractions, many times faster to compare.
    scale = lcm(*(state.balances[m].denominator for m in available)) if available else 1
    scaled = {m: state.balances[m].numerator * (scale // state.balances[m].denominator) for m in available}
    ties = {m: tie_break(seed, period.index, m) for m in available}
    picks: list[Pick] = []
    for task, slot in slots:
        ranked = _rank(task, period.index, scaled, ties, state, willingness, holding, keep)
        chosen = ranked[0][-1]
        picks.append(Pick(
            task_id=task.id, slot=slot, member_id=chosen, effort=task.effort, available=len(available),
            ranked=[Candidate(m, Fraction(b, scale), rather, -neg_since) for b, rather, neg_since, _, m in ranked],
        ))
        holding.add((chosen, task.id))
        scaled[chosen] += task.effort * scale
        state.balances[chosen] += task.effort
        state.last_done[(chosen, task.category)] = period.index
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


def _rank(task: Task, period: int, scaled, ties, state: State, willingness, holding, keep: int) -> list[tuple]:
    """The `keep` best eligible members for a slot, best first: (balance, rather_not, -since, tie, member)."""
    keys = []
    for m, b in scaled.items():
        level = willingness.get((m, task.id), HAPPY)
        if level == CANNOT or (m, task.id) in holding:
            continue
        since = period - state.last_done.get((m, task.category), period - NEVER)
        keys.append((b, level == RATHER_NOT, -since, ties[m], m))
    return heapq.nsmallest(keep, keys)


def generate(periods: list[Period], state: State, willingness: dict[tuple[int, int], str], seed: str) -> list[Pick]:
    """Assign period after period, each starting from the balances the previous one left."""
    picks: list[Pick] = []
    for period in sorted(periods, key=lambda p: p.index):
        picks.extend(assign_period(period, state, willingness, seed))
    return picks


def unfairness(balances: dict[int, Fraction]) -> Fraction:
    """U = max |b_i|."""
    return max((abs(b) for b in balances.values()), default=Fraction(0))
