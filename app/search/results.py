"""The shapes that cross the backend interface: what to look in, and what came back."""
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from app.search.entries import Entry


@dataclass(frozen=True)
class Filters:
    group_ids: tuple[int, ...]  # already only the groups the viewer may read
    kinds: tuple[str, ...] = ()
    author_id: int | None = None
    date_from: datetime | None = None  # UTC, inclusive
    date_to: datetime | None = None  # UTC, exclusive


@dataclass
class Hit:
    stored: "Entry"  # as the index keeps it
    title: Markup
    snippet: Markup
    group: object = None
    author: object = None

    def __getattr__(self, name):
        return getattr(self.stored, name)


@dataclass
class SearchPage:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 10
    problem: str | None = None  # why nothing was searched: a message for the person

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
