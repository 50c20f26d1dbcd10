"""A readable diff between two versions of a text: whole lines, with the changed words marked."""
import difflib
import re
from dataclasses import dataclass

_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass
class Line:
    kind: str  # "same", "added", "removed"
    parts: list[tuple[str, bool]]  # (text, changed?)


def _word_marks(old: str, new: str) -> tuple[list, list]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    old_parts, new_parts = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            old_parts.append(("".join(a[i1:i2]), op != "equal"))
        if j2 > j1:
            new_parts.append(("".join(b[j1:j2]), op != "equal"))
    return old_parts, new_parts


def diff(old: str, new: str) -> list[Line]:
    """Lines of `new` compared with `old`; a replaced line shows which words changed."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    lines: list[Line] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [Line("same", [(text, False)]) for text in a[i1:i2]]
            continue
        removed, added = a[i1:i2], b[j1:j2]
        paired = min(len(removed), len(added)) if op == "replace" else 0
        for k in range(paired):
            old_parts, new_parts = _word_marks(removed[k], added[k])
            lines += [Line("removed", old_parts), Line("added", new_parts)]
        lines += [Line("removed", [(text, True)]) for text in removed[paired:]]
        lines += [Line("added", [(text, True)]) for text in added[paired:]]
    return lines
