"""Slots: a question one feature asks that a sibling feature answers, neither importing the other.

Archive, decisions and labour stand side by side and never import one another. Where one of
them needs something only a sibling knows — a proposal is talked over in an archive thread; a
thread page lists the proposals made in it — it declares a `Slot` and calls it like a function.
The app factory (`app.web`), the one place that sees every feature, fills the slot with the
sibling's function. A slot with a `default` answers that while empty (for a feature that can
do without); one without raises, as the app was wired wrong.
"""
from collections.abc import Callable

from flask import Flask, current_app

_KEY = "canoe.slots"


class Slot:
    def __init__(self, name: str, default: Callable | None = None):
        self.name = name
        self.default = default

    def fill(self, app: Flask, answer: Callable) -> None:
        app.extensions.setdefault(_KEY, {})[self.name] = answer

    def __call__(self, *args, **kwargs):
        answer = current_app.extensions.get(_KEY, {}).get(self.name, self.default)
        if answer is None:
            raise LookupError(f"Nothing fills the slot {self.name!r}: app.web wires it.")
        return answer(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Slot {self.name}>"
