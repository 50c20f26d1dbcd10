"""Keeping the ledger in step with memberships. The groups feature announces who joined, left or
changed capacity (`core.events`); it never calls care work itself. `listen` is connected by the app
factory."""
from app.core.events import happening
from app.groups.models import Group
from app.labour import book
from app.labour.periods import current_period, rota_of
from app.labour.planning import regenerate


def listen() -> None:
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
    book.enter(group, kind, user_id, period, capacity=capacity, actor=actor)
    r.stale = True
    regenerate(group)
