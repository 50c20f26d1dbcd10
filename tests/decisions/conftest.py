from datetime import datetime, timedelta, timezone

import pytest

from tests.decisions.helpers import DecisionScene


@pytest.fixture
def scene(app, make_cast):
    """A private co-op, "coop", with an admin, a facilitator, a member and an outsider."""
    return DecisionScene(app, make_cast("coop", "private"))


@pytest.fixture
def town(app, make_cast):
    """A public group, "town": anyone reads, members write."""
    return DecisionScene(app, make_cast("town", "public"))


# The decisions modules that import `utcnow`: each keeps its own reference to it.
CLOCKED = ("closing", "proposals", "votes", "outcomes", "queries", "routes")


class Clock:
    """The time the decisions code sees; tests move it on."""

    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Patch the clock of every decisions module that reads it; `clock.advance(days=4)` moves it on."""
    clock = Clock()
    for module in CLOCKED:
        monkeypatch.setattr(f"app.decisions.{module}.utcnow", clock)
    return clock
