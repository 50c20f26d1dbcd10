"""`python -m bench.markdown`: markdown rendering on the worst inputs we know, at the maximum length.

Every text people write goes through app.core.markdown once, when it is saved, so the slowest
input of the longest allowed length bounds how long one request can hold a worker. For each
family of adversarial input (unclosed brackets, emphasis runs, deep nesting, ...) built at
MAX_LENGTH characters, and for an ordinary long document, prints the CPU time of one
`render_with_mentions` (every handle known, the most work), the best of a few runs:

    {"bench": "markdown", "metric": "s_brackets", "value": N, "unit": "s"}
    ...
    {"bench": "markdown", "metric": "s_normal_document", "value": N, "unit": "s"}
    {"bench": "markdown", "metric": "s_worst", "value": N, "unit": "s"}

Exits 1 if any input takes BUDGET_S or more. The families are shared with the tests
(tests/test_markdown_time.py), so the suite holds the same line.
"""
import argparse
import random
import sys
import time

from app.core.config import Config
from app.core.markdown import render_with_mentions
from bench import emit, note

MAX_LENGTH = Config.CANOE_MAX_TEXT
BUDGET_S = 1.0


def repeat(unit: str, n: int, head: str = "", tail: str = "") -> str:
    """`head`, then `unit` over and over, then `tail`: exactly n characters."""
    room = n - len(head) - len(tail)
    return head + (unit * (room // len(unit) + 1))[:room] + tail


def _nested_brackets(n: int) -> str:
    half = (n - 1) // 2
    return "[" * half + "a" + "]" * (n - 1 - half)


def _emphasis_nest(n: int) -> str:
    half = (n - 1) // 2
    return "*" * half + "a" + "*" * (n - 1 - half)


def _list_indent(n: int) -> str:
    """A list item in each line, each two spaces further in: as deep as n characters allow."""
    lines, used, depth = [], 0, 0
    while used + 2 * depth + 4 <= n:
        line = "  " * depth + "- a\n"
        lines.append(line)
        used += len(line)
        depth += 1
    return "".join(lines).ljust(n, "a")


def _backtick_runs(n: int) -> str:
    """Runs of 1, 2, 3, ... backticks: each opens a code span no later run can close."""
    parts, used, size = [], 0, 1
    while used + size + 1 <= n:
        parts.append("`" * size + "a")
        used += size + 1
        size += 1
    return "".join(parts).ljust(n, "a")


def _table_short_rows(n: int) -> str:
    """A wide header, then one-cell rows: the renderer fills every row out with empty cells."""
    head = "|a" * 50 + "\n" + "|-" * 50 + "\n"
    return repeat("a\n", n, head)


def _reference_expansion(n: int) -> str:
    """One long link definition used over and over."""
    definition = "[x]: /" + "y" * (n // 4) + "\n\n"
    return repeat("[x]", n, definition)


# Every family makes a text of exactly n characters.
ADVERSARIAL = {
    "brackets": lambda n: repeat("[", n),
    "image_brackets": lambda n: repeat("![", n),
    "link_open_paren": lambda n: repeat("[a](", n),
    "empty_link_paren": lambda n: repeat("[](", n),
    "nested_brackets": _nested_brackets,
    "link_prefix": lambda n: repeat("[a](b ", n),
    "image_prefix": lambda n: repeat('![a](b "', n),
    "link_in_emphasis": lambda n: repeat("*[a](b)", n),
    "reference_links": lambda n: repeat("[a][b]", n),
    "reference_expansion": _reference_expansion,
    "angle": lambda n: repeat("<", n),
    "angle_tag": lambda n: repeat("<a", n),
    "autolink_prefix": lambda n: repeat("<http://a", n),
    "raw_html_soup": lambda n: repeat("<b c=1><p>", n),
    "raw_html_nest": lambda n: repeat("<ul>", n),
    "html_comment": lambda n: repeat("<!--", n),
    "line_breaks": lambda n: repeat("a<br>", n),
    "emphasis_star": lambda n: repeat("*a", n),
    "emphasis_underscore": lambda n: repeat("_a", n),
    "strong_emphasis": lambda n: repeat("**_", n),
    "emphasis_mixed": lambda n: repeat("*_", n),
    "emphasis_nest": _emphasis_nest,
    "strikethrough": lambda n: repeat("~~a ", n),
    "quote_deep": lambda n: repeat("> ", n),
    "quote_tight": lambda n: repeat(">", n),
    "list_deep": lambda n: repeat("+ ", n),
    "list_mixed_deep": lambda n: repeat("- * ", n),
    "ordered_list_deep": lambda n: repeat("1. ", n),
    "quote_list_deep": lambda n: repeat("> - ", n),
    "list_indent": _list_indent,
    "backticks": lambda n: repeat("`", n),
    "backtick_runs": _backtick_runs,
    "bracket_backtick": lambda n: repeat("[`", n),
    "entities": lambda n: repeat("&", n),
    "entity_prefix": lambda n: repeat("&#x", n),
    "table_pipes": lambda n: repeat("|", n, "| a | b |\n|---|---|\n"),
    "table_rows": lambda n: repeat("| 1 | 2 |\n", n, "| a | b |\n|---|---|\n"),
    "table_short_rows": _table_short_rows,
    "mentions": lambda n: repeat("@a ", n),
    "mentions_known": lambda n: repeat("@ab ", n),
    "escapes": lambda n: repeat("\\", n),
    "newlines": lambda n: repeat("a\n", n),
}

SENTENCES = [
    "I think we should try the new rota for a month and see how it feels.",
    "지난번 회의에서 말한 것처럼 장보기 당번을 두 명으로 늘리면 좋겠어요.",
    "**Important:** the hall booking has to be confirmed by Friday.",
    "See [the minutes](https://example.org/minutes/2024-05) and `notes.md` for details.",
    "Thanks @minji, _that_ makes the choice much clearer.",
    "Could we write this down in the handbook once we agree?",
]


def normal_document(n: int, seed: int = 7) -> str:
    """A long document as people write them: headings, paragraphs, lists, a table, code, quotes."""
    rng = random.Random(seed)
    parts: list[str] = []
    while sum(map(len, parts)) < n:
        kind = rng.choice(("paragraph", "paragraph", "paragraph", "list", "table", "code", "quote", "heading"))
        if kind == "paragraph":
            parts.append(" ".join(rng.sample(SENTENCES, 3)) + "\n\n")
        elif kind == "list":
            parts.append("".join(f"- {s}\n" for s in rng.sample(SENTENCES, 3)) + "\n")
        elif kind == "table":
            parts.append("| who | what |\n|---|:--|\n" + "".join(f"| @ana | {s} |\n" for s in rng.sample(SENTENCES, 3)) + "\n")
        elif kind == "code":
            parts.append("```\nrota = plan(people, weeks=4)\nprint(rota)\n```\n\n")
        elif kind == "quote":
            parts.append(f"> {rng.choice(SENTENCES)}\n\n")
        else:
            parts.append(f"## {rng.choice(SENTENCES)[:30]}\n\n")
    return "".join(parts)[:n]


def cpu_seconds(text: str, runs: int = 3) -> float:
    """The least CPU time of `runs` renders (CPU time: other processes on the machine don't count)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        render_with_mentions(text, lambda handle: handle)
        best = min(best, time.process_time() - start)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.markdown", description=__doc__.split("\n")[0])
    parser.add_argument("--length", type=int, default=MAX_LENGTH, help="characters per input (default: the maximum)")
    args = parser.parse_args(argv)

    inputs = {name: make(args.length) for name, make in ADVERSARIAL.items()}
    inputs["normal_document"] = normal_document(args.length)
    results = {}
    for name, text in inputs.items():
        results[name] = cpu_seconds(text)
        emit("markdown", f"s_{name}", round(results[name], 4), "s")
    worst = max(results, key=results.get)
    emit("markdown", "s_worst", round(results[worst], 4), "s")
    note(f"slowest: {worst} ({results[worst]:.3f} s of CPU for {args.length:,} characters)")
    if results[worst] >= BUDGET_S:
        note(f"FAIL: {worst} takes {results[worst]:.3f} s, over the {BUDGET_S} s budget.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
