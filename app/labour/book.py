"""The fairness ledger as the database keeps it: entries appended by every change, read back in
order, and what follows from them — balances and each member's capacity week by week.

Balances are never stored: `ledger` recomputes them, exactly, from these entries.
"""
from fractions import Fraction

from sqlalchemy import select

from app.core.extensions import db
from app.groups.models import Group
from app.labour import ledger
from app.labour.models import LedgerEntry


def enter(group: Group, kind: str, user_id: int, period: int, actor=None, **fields) -> LedgerEntry:
    """Append one entry (no commit: the caller's transaction)."""
    entry = LedgerEntry(group_id=group.id, kind=kind, user_id=user_id, period=period,
                        actor_id=getattr(actor, "id", None), **fields)
    db.session.add(entry)
    return entry


def ledger_entries(group: Group) -> list[ledger.Entry]:
    rows = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.user_id, LedgerEntry.period, LedgerEntry.effort, LedgerEntry.capacity,
               LedgerEntry.until, LedgerEntry.ref_id)
        .where(LedgerEntry.group_id == group.id).order_by(LedgerEntry.id)
    ).all()
    return [ledger.Entry(*row) for row in rows]


def balances(group: Group) -> dict[int, Fraction]:
    return ledger.balances(ledger_entries(group))


def capacities_by_period(entries: list[ledger.Entry], first: int, last: int) -> dict[int, dict[int, Fraction]]:
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


def capacities(entries: list[ledger.Entry], period: int) -> dict[int, Fraction]:
    """Each member's capacity in one period, from the ledger: 0 while absent."""
    return capacities_by_period(entries, period, period)[period]
