"""Geometry for the dashboard's two small charts, drawn as inline SVG by the templates.

No JavaScript and no meaning in colour alone: every bar carries its words and number, the
owed bars are hatched where the earned ones are solid, and the page shows the same numbers in a
table. Coordinates are in the SVG's own units (the viewBox); CSS scales the whole drawing.
"""
from dataclasses import dataclass
from fractions import Fraction

from app.labour.reasons import points

WIDTH = 400
BAR_LEFT = 8
BAR_SPACE = 300  # the longest bar; the rest of the width holds its label
ROW = 62


@dataclass
class Bar:
    y: float
    width: float
    label_x: float
    value: str


@dataclass
class BarRow:
    name: str
    name_y: float
    balance: str
    sign: int
    earned: Bar
    owed: Bar


@dataclass
class BarChart:
    width: int
    height: int
    rows: list[BarRow]


def bars(rows) -> BarChart:
    """One block per member: their name and balance, then an earned bar and an owed bar on one scale."""
    top = 34  # room for the legend
    scale_to = max([r.earned for r in rows] + [r.owed for r in rows] + [Fraction(1)])
    drawn = []
    for i, r in enumerate(rows):
        y = top + i * ROW

        def bar(value, offset):
            width = float(max(value, 0) / scale_to) * BAR_SPACE
            return Bar(y + offset, round(width, 1), round(BAR_LEFT + width + 6, 1), points(value))

        shown = points(r.balance, signed=True)
        sign = 0 if shown == "0.0" else (1 if r.balance > 0 else -1)
        drawn.append(BarRow(r.name, y + 14, points(abs(r.balance)), sign, bar(r.earned, 20), bar(r.owed, 38)))
    return BarChart(WIDTH, top + len(rows) * ROW + 4, drawn)


@dataclass
class Dot:
    x: float
    y: float
    value: str
    tasks: str
    starts: object


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    dots: list[Dot]
    polyline: str
    top_value: str
    bound_y: float | None
    bound: str
    task_y: float | None
    first: object
    last: object


def line(history, bound: Fraction, w_max: int) -> LineChart:
    """U at each period boundary where something happened, with the alarm line and the one-task line."""
    width, height, left, right_pad, top, bottom_pad = 400, 170, 44, 92, 14, 30
    right, bottom = width - right_pad, height - bottom_pad
    ceiling = max([p.unfairness for p in history] + [bound, Fraction(w_max), Fraction(1)]) * Fraction(11, 10)
    first = history[0].period if history else 0
    span = (history[-1].period - first) if history else 0

    def x(period):
        if span == 0:
            return (left + right) / 2
        return left + (period - first) / span * (right - left)

    def y(value):
        return bottom - float(Fraction(value) / ceiling) * (bottom - top)

    dots = [
        Dot(round(x(p.period), 1), round(y(p.unfairness), 1), points(p.unfairness),
            points(p.unfairness / w_max) if w_max else "0.0", p.starts)
        for p in history
    ]
    return LineChart(
        width, height, left, right, top, bottom, dots, " ".join(f"{d.x},{d.y}" for d in dots), points(ceiling),
        round(y(bound), 1) if bound else None, points(bound), round(y(w_max), 1) if w_max else None,
        history[0].starts if history else None, history[-1].starts if history else None,
    )
