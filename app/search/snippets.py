"""Highlighted snippets, the same for both backends: the analyzer finds where each clause
matched in the stored plain text, and everything else is escaped."""
from markupsafe import Markup, escape

from app.search.analyzer import Clause, Token, normalise, tokens

SNIPPET_CHARS = 220
LEAD_CHARS = 60


def _spans(found: list[Token], clauses: tuple[Clause, ...]) -> list[tuple[int, int]]:
    by_pos: dict[int, list[Token]] = {}
    for token in found:
        by_pos.setdefault(token.pos, []).append(token)
    spans = []
    for clause in clauses:
        if clause.prefix:
            spans += [(t.start, t.end) for t in found if t.term.startswith(clause.terms[0])]
            continue
        mine = []
        for first in found:
            if first.term != clause.terms[0]:
                continue
            run = [first]
            for offset, term in enumerate(clause.terms[1:], 1):
                nxt = next((t for t in by_pos.get(first.pos + offset, ()) if t.term == term), None)
                if nxt is None:
                    break
                run.append(nxt)
            if len(run) == len(clause.terms):
                mine.append((run[0].start, max(t.end for t in run)))
        if not mine and not clause.phrase:
            # A word whose terms matched apart: show where each one is.
            mine = [(t.start, t.end) for t in found if t.term in clause.terms]
        spans += mine
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _window(text: str, spans: list[tuple[int, int]], limit: int) -> tuple[int, int]:
    if len(text) <= limit:
        return 0, len(text)
    start = max(0, spans[0][0] - LEAD_CHARS) if spans else 0
    if start:
        space = text.find(" ", start, spans[0][0]) if spans else -1
        start = space + 1 if space != -1 else start
    end = min(len(text), start + limit)
    return start, end


def highlight(text: str, clauses: tuple[Clause, ...], limit: int | None = SNIPPET_CHARS) -> Markup:
    """`text` with every match of the query in `<mark>`, cut to about `limit` characters
    around the first match (None: whole). The text itself is always escaped."""
    text = normalise(text)
    spans = _spans(tokens(text), clauses)
    start, end = _window(text, spans, limit) if limit else (0, len(text))
    parts = ["…" if start else ""]
    cursor = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        parts += [escape(text[cursor:s]), Markup("<mark>"), escape(text[s:e]), Markup("</mark>")]
        cursor = e
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return Markup("").join(parts)
