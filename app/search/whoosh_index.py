"""The embedded backend: a whoosh index in a folder of the instance directory.

The folder's name carries the schema and analyzer versions, so a new version starts from an
index rebuilt from the database. A rebuild is written to a folder of its own and moved into
place in one rename: two processes that both find the index missing never mix their work.
"""
import gc
import os
import shutil
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

from whoosh import index, query
from whoosh.analysis import Tokenizer
from whoosh.analysis.acore import Token as WhooshToken
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.idsets import BitSet

from app.search import analyzer
from app.search.entries import Entry, Key, key_text, parse_key
from app.search.results import Filters

SCHEMA_VERSION = 2


class CanoeTokenizer(Tokenizer):
    """Hands whoosh the shared analyzer's tokens, positions and offsets unchanged."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for found in analyzer.tokens(analyzer.normalise(value)):
            token.text = found.term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = found.term
            if positions:
                token.pos = start_pos + found.pos
            if chars:
                token.startchar, token.endchar = start_char + found.start, start_char + found.end
            yield token


def schema() -> Schema:
    text = CanoeTokenizer()
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(stored=True),
        group=ID(stored=True),
        author=ID(stored=True),
        title=TEXT(analyzer=text, stored=True),
        body=STORED,
        content=TEXT(analyzer=text),  # title and body together: one posting list per term
        created=DATETIME(stored=True, sortable=True),
        url=STORED,
        signature=STORED,
    )


def _document(entry: Entry) -> dict:
    return {
        "key": key_text(entry.key),
        "kind": entry.kind,
        "group": str(entry.group_id),
        "author": str(entry.author_id or ""),
        "title": entry.title,
        "body": entry.body,
        "content": f"{entry.title}\n{entry.body}",
        "created": entry.created_at,
        "url": entry.url,
        "signature": entry.signature,
    }


def _any(field: str, values) -> query.Query:
    return query.Or([query.Term(field, str(v)) for v in values])


def clause_query(clause: analyzer.Clause, field: str) -> query.Query:
    if clause.prefix:
        return query.Prefix(field, clause.terms[0])
    if clause.phrase:
        return query.Phrase(field, list(clause.terms))
    return query.And([query.Term(field, t) for t in clause.terms])


def words_query(parsed: analyzer.ParsedQuery) -> query.Query:
    """Every clause in the title or the body (one `content` field: a word's terms may be
    split between them), ranked higher where the title has them too."""
    everywhere = query.And([clause_query(c, "content") for c in parsed.clauses])
    in_title = query.Or([clause_query(c, "title") for c in parsed.clauses])
    return query.AndMaybe(everywhere, in_title)


def narrowing_query(filters: Filters) -> query.Query | None:
    """The filters a person chose (kind, author, dates): part of the query, scoring nothing."""
    parts = []
    if filters.kinds:
        parts.append(_any("kind", filters.kinds))
    if filters.author_id is not None:
        parts.append(query.Term("author", str(filters.author_id)))
    if filters.date_from or filters.date_to:
        parts.append(query.DateRange("created", filters.date_from, filters.date_to))
    return query.ConstantScoreQuery(query.And(parts), 0.0) if parts else None


class WhooshIndex:
    name = "whoosh"

    def __init__(self, instance_path: str, lock_timeout: float):
        root = Path(instance_path) / "search"
        self.folder = root / f"whoosh-s{SCHEMA_VERSION}-a{analyzer.VERSION}"
        self.lock_timeout = lock_timeout
        self._ix = None
        self._searcher = None
        self._allowed: dict = {}  # group ids → document numbers in the current searcher
        self._guard = threading.Lock()

    # -- opening -------------------------------------------------------------------
    def usable(self) -> bool:
        """Whether the index folder is there and opens; a missing or broken one is rebuilt."""
        if not self.folder.is_dir():
            self._forget()
            return False
        if self._ix is not None:
            return True
        # whoosh leaves a broken index's files open when it fails to read them: they close,
        # quietly, here, rather than warn at some later moment.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = index.open_dir(str(self.folder))
                ix.doc_count()
            except Exception:  # noqa: BLE001 — any failure to open means "rebuild", never a crash
                ix = None
            gc.collect()
        if ix is None:
            return False
        self._ix = ix
        return True

    def _forget(self) -> None:
        with self._guard:
            if self._searcher is not None:
                self._searcher.close()
            self._ix = self._searcher = None

    @contextmanager
    def rebuilding(self):
        """A writer into a fresh folder that replaces the index when the block ends. The live
        index stays locked meanwhile, so no write lands in a folder about to be replaced."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        live_lock = FileStorage(str(self.folder)).lock(f"{index._DEF_INDEX_NAME}_WRITELOCK") if self.folder.is_dir() else None
        if live_lock is not None and not live_lock.acquire(blocking=True):
            live_lock = None
        try:
            with self._fresh_folder() as adder:
                yield adder
        finally:
            if live_lock is not None:
                live_lock.release()

    @contextmanager
    def _fresh_folder(self):
        fresh = self.folder.with_name(f"{self.folder.name}.new-{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        ix = index.create_in(str(fresh), schema())
        writer = ix.writer(limitmb=128)
        adder = _Bulk(writer)
        try:
            yield adder
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        self._forget()
        old = self.folder.with_name(f"{self.folder.name}.old-{os.getpid()}")
        if self.folder.exists():
            os.rename(self.folder, old)
        os.rename(fresh, self.folder)
        shutil.rmtree(old, ignore_errors=True)
        self.usable()

    # -- writing -------------------------------------------------------------------
    def write(self, entries: list[Entry], gone: list[Key]) -> None:
        """Raises whoosh's LockError when another process holds the lock past the timeout."""
        if not self.usable():
            raise FileNotFoundError(f"search index missing at {self.folder}")
        writer = self._ix.writer(timeout=self.lock_timeout)
        try:
            for key in gone:
                writer.delete_by_term("key", key_text(key))
            for entry in entries:
                writer.update_document(**_document(entry))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    # -- reading -------------------------------------------------------------------
    def _current_searcher(self):
        """One searcher per process, reopened after any write. Not `refresh()`: it reuses
        segment readers whose cached set of deleted documents is then out of date, and an
        edited item's old version would still match."""
        with self._guard:
            if self._searcher is not None and not self._searcher.up_to_date():
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                self._searcher = self._ix.searcher()
                self._allowed = {}  # document numbers belong to the searcher they came from
            return self._searcher

    def search(self, parsed: analyzer.ParsedQuery, filters: Filters, page: int, per_page: int, by_date: bool):
        """The page of hits and how many there are in all.

        The viewer's groups are whoosh's `allow` filter, checked as each match is found,
        before it is scored, counted or paged. The collector visits every allowed match (no
        block skipping, no dropping of sub-queries that can't reach the top), so its count is
        exact and comes from the same single pass.
        """
        searcher = self._current_searcher()
        parts = [words_query(parsed)]
        if (narrowing := narrowing_query(filters)) is not None:
            parts.append(narrowing)
        allowed = self._documents_of(searcher, filters.group_ids)
        if not len(allowed):
            return 0, []  # never search with an empty filter: whoosh reads that as "no filter"
        limit = page * per_page
        ranked = (searcher.collector(limit=limit, sortedby="created", reverse=True) if by_date
                  else TopCollector(limit=limit, usequality=False, replace=0))
        collector = FilterCollector(ranked, allow=allowed)
        searcher.search_with_collector(query.And(parts), collector)
        results = collector.results()
        hits = [_stored_hit(hit.fields()) for hit in results[(page - 1) * per_page : limit]]
        return len(results), hits

    def _documents_of(self, searcher, group_ids: tuple[int, ...]) -> BitSet:
        """Document numbers in these groups, kept while the searcher lasts (until a write).

        Forgotten whenever the searcher is replaced, never keyed by `id(searcher)`: a new
        searcher can get a closed one's id, and stale numbers would hide new documents."""
        with self._guard:
            found = self._allowed.get(group_ids) if searcher is self._searcher else None
        if found is None:
            found = BitSet(searcher.docs_for_query(_any("group", group_ids)), size=searcher.doc_count_all())
            with self._guard:
                if searcher is self._searcher:
                    if len(self._allowed) >= 64:
                        self._allowed.clear()
                    self._allowed[group_ids] = found
        return found

    def signatures(self) -> dict[Key, str]:
        searcher = self._current_searcher()
        return {parse_key(f["key"]): f["signature"] for f in searcher.all_stored_fields()}

    def doc_count(self) -> int:
        return self._current_searcher().doc_count()


class _Bulk:
    def __init__(self, writer):
        self.writer = writer

    def add(self, entries: list[Entry]) -> None:
        for entry in entries:
            self.writer.add_document(**_document(entry))


def _stored_hit(fields: dict) -> Entry:
    kind, item_id = parse_key(fields["key"])
    return Entry(
        kind=kind,
        item_id=item_id,
        group_id=int(fields["group"]),
        author_id=int(fields["author"]) if fields["author"] else None,
        title=fields["title"],
        body=fields["body"],
        url=fields["url"],
        created_at=fields["created"],
    )
