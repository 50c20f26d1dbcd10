"""The fairness ledger: balances recomputed, exactly, from an append-only list of entries.

Entry kinds that move balances:
  join / leave / capacity      — who is in the group, and their share of a full load, from a period on
  absence / absence_cancelled  — capacity 0 for a run of periods: the balance is frozen
  done / logged_care           — work actually done in a period: the doer earns its effort
Every other kind (swap, offer, skip, miss, override, …) is kept for the record only.

For each period p:  owed_i += E_p · c_i(p) / C_p  where E_p is the work done in p.
On leave, the leaver's balance is spread over the remaining members by capacity. Σ b = 0 always.
"""
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Entry:
    kind: str
    user_id: int
    period: int
    effort: int = 0
    capacity: int | None = None  # percent, for join and capacity
    until: int | None = None  # last period of an absence
    ref_id: int | None = None  # the absence an absence_cancelled entry cancels


@dataclass
class Snapshot:
    period: int
    balances: dict[int, Fraction]


class Replay:
    """Walks the periods in order, applying each entry where it belongs."""

    def __init__(self, entries: list[Entry]):
        self.by_period: dict[int, list[Entry]] = defaultdict(list)
        cancelled = {e.ref_id for e in entries if e.kind == "absence_cancelled"}
        self.absent: dict[int, set[int]] = defaultdict(set)  # period → members away
        for e in entries:
            if e.kind == "absence":
                if e.ref_id not in cancelled or e.ref_id is None:
                    for p in range(e.period, (e.until if e.until is not None else e.period) + 1):
                        self.absent[p].add(e.user_id)
            else:
                self.by_period[e.period].append(e)
        self.capacity: dict[int, Fraction] = {}
        self.balances: dict[int, Fraction] = {}

    def periods(self) -> list[int]:
        return sorted(self.by_period)

    def apply(self, period: int) -> None:
        entries = self.by_period.get(period, [])
        for e in entries:
            if e.kind in ("join", "capacity"):
                self.capacity[e.user_id] = Fraction(e.capacity or 100, 100)
                self.balances.setdefault(e.user_id, Fraction(0))
        for e in entries:
            if e.kind == "leave" and e.user_id in self.capacity:
                self._leave(e.user_id)
        earned = defaultdict(int)
        for e in entries:
            if e.kind in ("done", "logged_care") and e.user_id in self.balances:
                earned[e.user_id] += e.effort
        total = sum(earned.values())
        if not total:
            return
        for m, w in earned.items():
            self.balances[m] += w
        for m, share in self._shares(total, period).items():
            self.balances[m] -= share

    def _shares(self, total: int, period: int) -> dict[int, Fraction]:
        present = {m: c for m, c in self.capacity.items() if m not in self.absent.get(period, ())}
        whole = sum(present.values(), Fraction(0))
        if whole == 0:
            # Work done while everyone was away: owed by every member by capacity, so Σ stays 0.
            present, whole = self.capacity, sum(self.capacity.values(), Fraction(0))
        return {m: Fraction(total) * c / whole for m, c in present.items()}

    def _leave(self, member: int) -> None:
        balance = self.balances.pop(member, Fraction(0))
        self.capacity.pop(member)
        whole = sum(self.capacity.values(), Fraction(0))
        if whole == 0:
            self.balances[member] = balance  # the last member leaving keeps what is left: Σ still holds
            return
        for m, c in self.capacity.items():
            self.balances[m] += balance * c / whole


def balances(entries: list[Entry], through: int | None = None) -> dict[int, Fraction]:
    """Current members' balances after every period up to `through` (all, if None)."""
    replay = Replay(entries)
    for period in replay.periods():
        if through is not None and period > through:
            break
        replay.apply(period)
    return dict(replay.balances)


def history(entries: list[Entry]) -> list[Snapshot]:
    """The balances at each period boundary where something happened: U over time."""
    replay = Replay(entries)
    snapshots = []
    for period in replay.periods():
        replay.apply(period)
        snapshots.append(Snapshot(period, dict(replay.balances)))
    return snapshots
