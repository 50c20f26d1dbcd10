"""The one analyzer both search backends use, for indexing and for queries.

Korean has no spaces between a noun and its particle (`협동조합에서`), so no word splitter
finds `협동조합` in it. Instead every Hangul run becomes overlapping two-syllable terms
(`협동 동조 조합 합에 에서`): a query's own bigrams, found next to each other, match the
word wherever it sits. Other words are lower-cased and stemmed, so `decide` finds `decided`.

A Hangul run is also joined to the run before it (Hangul, letters or digits) by a bigram
across no space or one space, so spacing variants meet: `돌봄노동` finds `돌봄 노동`,
`Loomio회의` finds `Loomio 회의`, and `2026년` finds `2026년에`.
"""
import re
import unicodedata
from dataclasses import dataclass

from whoosh.lang.porter2 import stem

# Bump when the tokens change: the embedded index lives in a folder named after it, so a new
# analyzer starts from a fresh, rebuilt index rather than mixing two vocabularies.
VERSION = 2

_HANGUL = "\uac00-\ud7a3"
_RUN = re.compile(rf"[{_HANGUL}]+|[^\W_{_HANGUL}]+")
_ASCII_WORD = re.compile(r"[a-z]+")
_QUOTED = re.compile(r'"([^"]*)"?')
MIN_QUERY_CHARS = 2


@dataclass(frozen=True, slots=True)
class Token:
    term: str
    pos: int
    start: int  # offsets in the normalised text, for highlighting
    end: int


def normalise(text: str) -> str:
    """NFKC: full-width letters become plain ones, decomposed jamo (as macOS sends them) join
    into syllables. Indexed text and queries both pass through here, so offsets agree."""
    return unicodedata.normalize("NFKC", text or "")


def is_hangul(term: str) -> bool:
    return bool(term) and all("\uac00" <= ch <= "\ud7a3" for ch in term)


def _word_term(word: str) -> str:
    word = word.lower()
    return stem(word) if _ASCII_WORD.fullmatch(word) else word


def tokens(text: str) -> list[Token]:
    """The terms of already-normalised `text`, with positions (for phrases) and offsets.

    A one-syllable run (`및`) that is joined to the run before it by a bigram across the
    space shares that bigram's position: phrases then stay consecutive whether or not a
    query keeps the lone syllable.
    """
    out: list[Token] = []
    pos = 0
    previous = None  # the last run, for the bigram joining it to a Hangul run after it
    for match in _RUN.finditer(text):
        run, start = match.group(), match.start()
        if not is_hangul(run):
            out.append(Token(_word_term(run), pos, start, match.end()))
            pos, previous = pos + 1, match
            continue
        joined = previous is not None and (
            previous.end() == start or (previous.end() + 1 == start and text[previous.end()].isspace())
        )
        if joined:
            out.append(Token(previous.group()[-1].lower() + run[0], pos, previous.end() - 1, start + 1))
            pos += 1
        if len(run) == 1:
            out.append(Token(run, pos - 1 if joined else pos, start, start + 1))
            pos += 0 if joined else 1
        for i in range(len(run) - 1):
            out.append(Token(run[i : i + 2], pos, start + i, start + i + 2))
            pos += 1
        previous = match
    return out


def terms(text: str) -> list[str]:
    return [t.term for t in tokens(normalise(text))]


@dataclass(frozen=True)
class Clause:
    """One thing every hit must contain: for a quoted phrase, its terms side by side; for a
    word, all its terms (a Korean word's bigrams rarely meet anywhere but in the word, and
    not checking their order keeps a search over 100,000 items fast); for a lone Hangul
    syllable, any term starting with it."""

    terms: tuple[str, ...]
    prefix: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    too_short: bool

    @property
    def empty(self) -> bool:
        return not self.clauses


def _clause(text: str, phrase: bool = False) -> Clause | None:
    found = tokens(text)
    if len(found) == 1 and len(found[0].term) == 1 and is_hangul(found[0].term):
        return Clause((found[0].term,), prefix=True)
    # A lone syllable already held by the bigram before it adds nothing and would demand an
    # exact one-syllable word where the text may have `책을` for `책`.
    kept = [t.term for i, t in enumerate(found) if i == 0 or t.pos != found[i - 1].pos]
    if not kept:
        return None
    return Clause(tuple(kept), phrase=phrase and len(kept) > 1)


def parse(query: str) -> ParsedQuery:
    """A query becomes clauses, all required: each quoted phrase, and each other word."""
    text = normalise(query).strip()
    if len(text.replace('"', "").strip()) < MIN_QUERY_CHARS:
        return ParsedQuery((), too_short=True)
    clauses: list[Clause] = []
    rest = []
    last = 0
    for match in _QUOTED.finditer(text):
        rest.append(text[last : match.start()])
        last = match.end()
        if clause := _clause(match.group(1), phrase=True):
            clauses.append(clause)
    rest.append(text[last:])
    for word in " ".join(rest).split():
        if (clause := _clause(word)) and clause not in clauses:
            clauses.append(clause)
    return ParsedQuery(tuple(clauses), too_short=False)
