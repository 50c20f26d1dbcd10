"""The shared backend: entries in the database itself, for several app servers.

PostgreSQL never tokenizes our text: the shared analyzer's terms and positions are written as
a tsvector literal and queries as a tsquery literal (`'협동' <-> '동조' <-> '조합'`), so Korean
and English behave exactly as in the embedded index. A GIN index serves the matching.
"""
from contextlib import contextmanager

from sqlalchemy import String, and_, cast, delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.orm import defer

from app.core.extensions import db
from app.search import analyzer
from app.search.entries import Entry, Key
from app.search.models import SearchEntry
from app.search.results import Filters

MAX_POSITION = 16383  # PostgreSQL's limit; later words still match, phrases there may not
TITLE_WEIGHT = "A"
REBUILD_LOCK = 0x63616E6F  # the advisory lock class of a rebuild ("cano")


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title: str, body: str) -> str:
    positions: dict[str, list[str]] = {}
    title_tokens = analyzer.tokens(title)
    for t in title_tokens:
        positions.setdefault(t.term, []).append(f"{min(t.pos + 1, MAX_POSITION)}{TITLE_WEIGHT}")
    # A gap after the title, so no phrase runs from the title into the body.
    offset = (title_tokens[-1].pos + 3) if title_tokens else 1
    for t in analyzer.tokens(body):
        positions.setdefault(t.term, []).append(str(min(t.pos + offset, MAX_POSITION)))
    return " ".join(f"{_lexeme(term)}:{','.join(p[:256])}" for term, p in positions.items())


def tsquery_literal(parsed: analyzer.ParsedQuery) -> str:
    parts = []
    for clause in parsed.clauses:
        if clause.prefix:
            parts.append(f"{_lexeme(clause.terms[0])}:*")
        else:
            parts.append("(" + (" <-> " if clause.phrase else " & ").join(_lexeme(t) for t in clause.terms) + ")")
    return " & ".join(parts)


def _row(entry: Entry) -> dict:
    return {
        "kind": entry.kind,
        "item_id": entry.item_id,
        "group_id": entry.group_id,
        "author_id": entry.author_id,
        "title": entry.title,
        "body": entry.body,
        "url": entry.url,
        "created_at": entry.created_at,
        "signature": entry.signature,
        "terms": cast(literal(tsvector_literal(entry.title, entry.body), String), TSVECTOR),
    }


class PostgresIndex:
    name = "postgres"

    def __init__(self, lock_timeout: float):
        self.lock_timeout_ms = int(lock_timeout * 1000)

    def usable(self) -> bool:
        return True  # the table comes with the migrations; rows are rebuilt by `reindex`

    def accepts_writes(self) -> bool:
        return True  # during a rebuild a write waits at most `lock_timeout`, then its row waits

    @contextmanager
    def rebuild_lock(self):
        """Yields whether this process now holds the one rebuild: a session-level advisory
        lock, which PostgreSQL releases when the holder's connection ends, however it ends.
        Keyed by the schema too: one database may hold several Canoes, one per schema."""
        key = (literal(REBUILD_LOCK), func.hashtext(func.current_schema()))
        with db.engine.connect() as conn:
            mine = conn.scalar(select(func.pg_try_advisory_lock(*key)))
            try:
                yield mine
            finally:
                if mine:
                    conn.scalar(select(func.pg_advisory_unlock(*key)))
                conn.rollback()

    def rebuild_running(self) -> bool:
        with self.rebuild_lock() as mine:
            return not mine

    def progress(self) -> None:
        return None  # readers see the old entries until the rebuild commits: nothing to wait for

    @contextmanager
    def building(self):
        """Replaces every entry in one transaction: readers see the old index until it commits."""
        with db.engine.begin() as conn:
            conn.execute(delete(SearchEntry))
            yield _Bulk(conn)

    def write(self, entries: list[Entry], gone: list[Key]) -> None:
        """In a connection of its own, after the user's commit; a held row lock past the
        timeout raises, and the caller queues the items."""
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {self.lock_timeout_ms}")
            if gone:
                conn.execute(delete(SearchEntry).where(tuple_(SearchEntry.kind, SearchEntry.item_id).in_(gone)))
            if entries:
                _upsert(conn, entries)

    def search(self, parsed: analyzer.ParsedQuery, filters: Filters, page: int, per_page: int, by_date: bool):
        """The page of hits and how many there are in all, from one statement: the count is a
        window over every match (`count(*) OVER ()`), so the matches are found once rather
        than once for the count and again for the page. Only a page past the last, which has
        no row to carry the count, is counted on its own. The stored terms stay in the table:
        the page shows the title and text."""
        tsquery = cast(literal(tsquery_literal(parsed), String), TSQUERY)
        where = and_(SearchEntry.terms.op("@@")(tsquery), *_filter_clauses(filters))
        order = (SearchEntry.created_at.desc(),) if by_date else (
            func.ts_rank_cd(SearchEntry.terms, tsquery).desc(), SearchEntry.created_at.desc())
        rows = db.session.execute(
            select(SearchEntry, func.count().over().label("total")).where(where).options(defer(SearchEntry.terms))
            .order_by(*order, SearchEntry.id).offset((page - 1) * per_page).limit(per_page)
        ).all()
        if rows:
            return rows[0].total, [_stored_hit(row.SearchEntry) for row in rows]
        if page == 1:
            return 0, []
        return db.session.scalar(select(func.count()).select_from(SearchEntry).where(where)), []

    def signatures(self) -> dict[Key, str]:
        rows = db.session.execute(select(SearchEntry.kind, SearchEntry.item_id, SearchEntry.signature))
        return {(kind, item_id): sig for kind, item_id, sig in rows}

    def doc_count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(SearchEntry))


def _filter_clauses(filters: Filters) -> list:
    clauses = [SearchEntry.group_id.in_(filters.group_ids)]
    if filters.kinds:
        clauses.append(SearchEntry.kind.in_(filters.kinds))
    if filters.author_id is not None:
        clauses.append(SearchEntry.author_id == filters.author_id)
    if filters.date_from:
        clauses.append(SearchEntry.created_at >= filters.date_from)
    if filters.date_to:
        clauses.append(SearchEntry.created_at < filters.date_to)
    return clauses


def _upsert(conn, entries: list[Entry]) -> None:
    statement = insert(SearchEntry).values([_row(e) for e in entries])
    excluded = statement.excluded
    conn.execute(
        statement.on_conflict_do_update(
            constraint="uq_search_entries_item",
            set_={name: getattr(excluded, name) for name in ("group_id", "author_id", "title", "body", "url",
                                                              "created_at", "signature", "terms")},
        )
    )


class _Bulk:
    resume_from = None  # one transaction: a rebuild that dies leaves nothing to resume

    def __init__(self, conn):
        self.conn = conn

    def add(self, entries: list[Entry], checkpoint: dict | None = None) -> None:
        if entries:
            _upsert(self.conn, entries)


def _stored_hit(row: SearchEntry) -> Entry:
    return Entry(row.kind, row.item_id, row.group_id, row.author_id, row.title, row.body, row.url, row.created_at)

