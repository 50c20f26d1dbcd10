"""The embedded backend: a whoosh index in a folder of the instance directory.

The folder's name carries the schema and analyzer versions, so a new version starts from an
index rebuilt from the database. A rebuild is written to a folder of its own, by one process at
a time (an OS file lock), with checkpoints a killed builder's successor resumes from, and moved
into place in one rename.
"""
import fcntl
import gc
import json
import os
import shutil
import threading
import warnings
import weakref
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from whoosh import index, query, scoring
from whoosh.analysis import Tokenizer
from whoosh.analysis.acore import Token as WhooshToken
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.idsets import BitSet

from app.search import analyzer
from app.search.entries import Entry, Key, key_text, parse_key
from app.search.results import Filters

SCHEMA_VERSION = 3  # 3: each group's own terms (`scoped`)
ALLOWED_CACHED = 64  # viewers' sets of readable documents kept per process (12.5 kB each at 100,000 items)
_UNKNOWN = object()
SCOPED_SHARE = 0.125  # groups holding at most this share of the documents are searched by their own terms
SCOPED_GROUPS = 16  # ... and at most this many: each adds its own copy of the query
PROGRESS = "canoe-progress.json"  # in the rebuild folder: how far it is, where to resume


@lru_cache(maxsize=4)
def _tokens(text: str) -> list[analyzer.Token]:
    """The analyzer's tokens of a document's text. `content` and `scoped` hold the same text:
    it is analyzed once (the cache keeps the last few texts, never more)."""
    return analyzer.tokens(analyzer.normalise(text))


class CanoeTokenizer(Tokenizer):
    """Hands whoosh the shared analyzer's tokens, positions and offsets unchanged."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for found in _tokens(value):
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


SCOPE = ":"  # between a group's id and a term; the analyzer's terms never hold it


class GroupTokenizer(Tokenizer):
    """The same tokens, each prefixed with the item's group (`12:협동`), from a value of
    the form `<group id>:<text>`: every group has posting lists of its own."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        group, _, text = value.partition(SCOPE)
        for found in _tokens(text):
            token.text = f"{group}{SCOPE}{found.term}"
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + found.pos
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
        scoped=TEXT(analyzer=GroupTokenizer()),  # the same, one posting list per term and group
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
        "scoped": f"{entry.group_id}{SCOPE}{entry.title}\n{entry.body}",
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


def group_words_query(parsed: analyzer.ParsedQuery, group_ids: tuple[int, ...]) -> query.Query:
    """`words_query` kept to these groups by their own terms (`12:협동`): the posting lists
    read are the groups' own, so the cost follows the groups rather than the whole site. The
    same items match, with the same scores (`_Weighting` scores a group's term as the word
    across the site)."""
    in_groups = query.Or([query.And([_scoped_clause(c, f"{g}{SCOPE}") for c in parsed.clauses]) for g in group_ids])
    in_title = query.Or([clause_query(c, "title") for c in parsed.clauses])
    return query.AndMaybe(in_groups, in_title)


def _scoped_clause(clause: analyzer.Clause, prefix: str) -> query.Query:
    if clause.prefix:
        return query.Prefix("scoped", prefix + clause.terms[0])
    if clause.phrase:
        return query.Phrase("scoped", [prefix + t for t in clause.terms])
    return query.And([query.Term("scoped", prefix + t) for t in clause.terms])


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


# -- reading in place ------------------------------------------------------------------
# whoosh memory-maps a segment file and then copies each part of it (postings, term index,
# columns) into a private buffer: every worker held a whole copy of the index in its heap and
# the mapped file besides (560 MB resident at 100,000 items, from 90). Canoe reads the parts in place instead,
# by offset (`os.pread`): a worker's memory no longer grows with the index, and the kernel's
# page cache, which all workers share, keeps what is read often.

class _OpenFile:
    """A file of the index, open for reading by offset. A raw descriptor, closed with its
    segment or else when nothing reads it any more (so a dropped searcher never leaks one)."""

    def __init__(self, path: str):
        self.descriptor = os.open(path, os.O_RDONLY)
        self._close = weakref.finalize(self, os.close, self.descriptor)
        self.size = os.fstat(self.descriptor).st_size

    def close(self) -> None:
        # A late read then fails (a bad descriptor) rather than read whichever file got the number.
        self.descriptor = -1
        self._close()


_PEEK = 512  # bytes pickle may look ahead: more than a posting block's header needs


class _Window:
    """A read-only file over `length` bytes at `start` of an open file. Each window keeps its
    own position, as the buffers it replaces did."""

    __slots__ = ("_file", "_start", "_end", "_pos")

    def __init__(self, file: _OpenFile, start: int, length: int):
        self._file, self._start, self._end, self._pos = file, start, start + length, start

    def read(self, size: int | None = -1) -> bytes:
        end = self._end if size is None or size < 0 else min(self._end, self._pos + size)
        data = os.pread(self._file.descriptor, max(0, end - self._pos), self._pos)
        self._pos += len(data)
        return data

    def peek(self, size: int = 1) -> bytes:
        """What comes next, the position unmoved: pickle reads a whole record with one call
        rather than a read per byte it decodes."""
        return os.pread(self._file.descriptor, max(0, min(_PEEK, self._end - self._pos)), self._pos)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = self._end if size is None or size < 0 else min(self._end, self._pos + size)
        line = b""
        while self._pos < limit:
            chunk = os.pread(self._file.descriptor, min(limit - self._pos, 256), self._pos)
            if not chunk:
                break
            cut = chunk.find(b"\n") + 1 or len(chunk)
            line += chunk[:cut]
            self._pos += cut
            if line.endswith(b"\n"):
                break
        return line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (self._start, self._pos, self._end)[whence]
        self._pos = base + offset
        return self._pos - self._start

    def tell(self) -> int:
        return self._pos - self._start

    def close(self) -> None:
        """The open file belongs to the segment, which closes it."""


class _Part(BufferFile):
    """One part of a compound segment file (postings, term index, a column), read in place."""

    def __init__(self, file: _OpenFile, start: int, length: int, name=None):
        StructFile.__init__(self, _Window(file, start, length), name=name)  # not BufferFile's: it copies
        self._whole, self._start, self._length = file, start, length

    def get(self, position: int, length: int) -> bytes:
        return os.pread(self._whole.descriptor, max(0, min(length, self._length - position)), self._start + position)

    def subset(self, position: int, length: int, name=None) -> "_Part":
        return _Part(self._whole, self._start + position, length, name or self._name)


class _SegmentFile(_Part):
    """A whole file of the index; whoosh asks a compound one for its parts with `subset`."""

    def __init__(self, path: str, name=None):
        file = _OpenFile(path)
        super().__init__(file, 0, file.size, name)

    def close(self) -> None:
        super().close()
        self._whole.close()


class InPlaceStorage(FileStorage):
    """whoosh's folder storage, without memory maps or copies: see `_Part`. Writing is
    unchanged, so an index opened through it can be written as well as read."""

    def __init__(self, path: str):
        super().__init__(path, supports_mmap=False)  # whoosh then asks each file for `subset`

    def open_file(self, name, **kwargs) -> _SegmentFile:
        return _SegmentFile(self._fpath(name), name=name)


class _Weighting(scoring.BM25F):
    """whoosh's BM25F, with two changes:

    - a group's own term (`scoped`, `12:협동`) is scored with the statistics of the word across
      the site (`content`, `협동`): an item scores the same whichever way it was found;
    - no idf cache (the searcher's kept every term ever searched until the next write): a
      term's idf is read again from the term index, a lookup whoosh makes for it anyway."""

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _Scorer(searcher, fieldname, text, self, qf)


def _unscoped(term: bytes | str) -> bytes | str:
    """`협동` of `12:협동`: a group's term as the word across the site."""
    return term.partition(SCOPE.encode() if isinstance(term, bytes) else SCOPE)[2]


class _Scorer(scoring.BM25FScorer):
    def __init__(self, searcher, fieldname, text, weighting: _Weighting, qf=1):
        site = searcher.get_parent()
        site_field, site_text = ("content", _unscoped(text)) if fieldname == "scoped" else (fieldname, text)
        self.idf = weighting.idf(site, site_field, site_text)
        self.avgfl = site.avg_field_length(site_field) or 1
        self.B, self.K1, self.qf = weighting.B, weighting.K1, qf
        self.setup(searcher, fieldname, text)


class WhooshIndex:
    name = "whoosh"

    def __init__(self, instance_path: str, lock_timeout: float):
        root = Path(instance_path) / "search"
        self.folder = root / f"whoosh-s{SCHEMA_VERSION}-a{analyzer.VERSION}"
        self.lock_timeout = lock_timeout
        self._ix = None
        self._folder_opened = None  # the inode of the folder `_ix` was opened from
        self._searcher = None
        self._allowed: dict = {}  # group ids → document numbers in the current searcher
        self.scoped_share = SCOPED_SHARE  # see `_in_groups`
        self._guard = threading.Lock()

    # -- opening -------------------------------------------------------------------
    def usable(self) -> bool:
        """Whether the index folder is there and opens; a missing or broken one is rebuilt."""
        try:
            folder = self.folder.stat().st_ino
        except FileNotFoundError:
            self._forget()
            return False
        if self._ix is not None:
            # Another process's rebuild renames a new folder into place: the same path, a new
            # folder, whose generations may repeat the old one's numbers. Or the folder was
            # emptied under us (deleted, then recreated by a late write). Either way: reopen.
            if folder == self._folder_opened and self._ix.latest_generation() >= 0:
                return True
            self._forget()
        # whoosh leaves a broken index's files open when it fails to read them: they close,
        # quietly, here, rather than warn at some later moment.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                # Through `InPlaceStorage`: opening (and every write's reader) never copies the index into memory.
                ix = index.FileIndex(InPlaceStorage(str(self.folder)))
                ix.doc_count()
            except Exception:  # noqa: BLE001 — any failure to open means "rebuild", never a crash
                ix = None
            gc.collect()
        if ix is None:
            return False
        self._ix, self._folder_opened = ix, folder
        return True

    def _forget(self) -> None:
        with self._guard:
            if self._searcher is not None:
                self._searcher.close()
            self._ix = self._searcher = None
            self._allowed = {}

    # -- rebuilding ------------------------------------------------------------------
    @property
    def _building(self) -> Path:
        """Where a rebuild is written; it survives its builder, so the next one resumes."""
        return self.folder.with_name(f"{self.folder.name}.building")

    @contextmanager
    def rebuild_lock(self):
        """Yields whether this process now holds the one rebuild. An OS file lock: the kernel
        releases it when the holder dies, however it dies, so a killed rebuild never blocks
        the next one."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with open(self.folder.parent / "rebuild.lock", "a+b") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def rebuild_running(self) -> bool:
        with self.rebuild_lock() as mine:
            return not mine

    def progress(self) -> dict | None:
        """How far the rebuild has come (`done`, `total` items), as its builder last wrote it."""
        try:
            return json.loads((self._building / PROGRESS).read_text())
        except (OSError, ValueError):
            return None

    @contextmanager
    def building(self, every: int = 5000):
        """A writer into the rebuild folder, which replaces the live index when the block ends.

        What it has added is committed every `every` items with a checkpoint, so a builder that
        is killed leaves work the next one resumes (`resume_from`). The live index stays
        locked for writes meanwhile: they wait in the backlog, which is drained after the swap.
        Call inside `rebuild_lock()`."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        live_lock = FileStorage(str(self.folder)).lock(f"{index._DEF_INDEX_NAME}_WRITELOCK") if self.folder.is_dir() else None
        if live_lock is not None and not live_lock.acquire(blocking=False):
            live_lock = None  # a writer holds it this instant: the write finishes, the backlog covers it
        try:
            bulk = _Bulk(self._building, every)
            try:
                yield bulk
                bulk.finish()
            except BaseException:
                bulk.cancel()
                raise
            self._swap()
        finally:
            if live_lock is not None:
                live_lock.release()

    def _swap(self) -> None:
        """The finished rebuild becomes the index in one rename; other versions' folders go."""
        self._forget()
        (self._building / PROGRESS).unlink(missing_ok=True)
        old = self.folder.with_name(f"{self.folder.name}.old-{os.getpid()}")
        if self.folder.exists():
            os.rename(self.folder, old)
        os.rename(self._building, self.folder)
        for folder in self.folder.parent.glob("whoosh-*"):
            if folder.is_dir() and folder != self.folder:
                shutil.rmtree(folder, ignore_errors=True)
        self.usable()

    # -- writing -------------------------------------------------------------------
    def accepts_writes(self) -> bool:
        """False while the index is missing or being rebuilt: a save then leaves its backlog
        rows at once, rather than wait for the rebuild's lock."""
        return self.usable() and not self.rebuild_running()

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
        edited item's old version would still match.

        It reads the index in place (`InPlaceStorage`): nothing of the index is copied into
        the worker's memory."""
        with self._guard:
            if self._searcher is not None and not self._searcher.up_to_date():
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                reading = index.FileIndex(InPlaceStorage(str(self.folder)), indexname=self._ix.indexname)
                self._searcher = reading.searcher(weighting=_Weighting())
                self._allowed = {}  # document numbers belong to the searcher they came from
            return self._searcher

    def search(self, parsed: analyzer.ParsedQuery, filters: Filters, page: int, per_page: int, by_date: bool):
        """The page of hits and how many there are in all.

        The viewer's groups are part of the matching (`_in_groups`), never applied to results
        afterwards. The collector visits every match (no block skipping, no dropping of
        sub-queries that can't reach the top), so its count is exact and comes from the same
        single pass.
        """
        searcher = self._current_searcher()
        words, allowed = self._in_groups(searcher, parsed, filters.group_ids)
        if words is None:
            return 0, []
        parts = [words]
        if (narrowing := narrowing_query(filters)) is not None:
            parts.append(narrowing)
        limit = page * per_page
        ranked = (searcher.collector(limit=limit, sortedby="created", reverse=True) if by_date
                  else TopCollector(limit=limit, usequality=False, replace=0))
        collector = ranked if allowed is None else FilterCollector(ranked, allow=allowed)
        searcher.search_with_collector(query.And(parts), collector)
        results = collector.results()
        hits = [_stored_hit(hit.fields()) for hit in results[(page - 1) * per_page : limit]]
        return len(results), hits

    def _in_groups(self, searcher, parsed: analyzer.ParsedQuery, group_ids: tuple[int, ...]):
        """The words kept to these groups: a query, and the `allow` filter it still needs (or
        None). Both ways find the same items with the same scores; each is the cheaper one
        where it is used.

        - Groups holding a small share of the site (a group's own search box, say): the words
          among the groups' own terms (`group_words_query`). The cost follows the groups: a
          small group inside a big site costs about what it would alone.
        - Otherwise: the words across the site, and whoosh's `allow` filter of the groups'
          documents, checked as each match is found, before it is scored, counted or paged.
          A query copied for each of many groups would cost more than the site's lists.

        (None, None) when the groups hold no document: never search with an empty filter,
        which whoosh reads as "no filter"."""
        if len(group_ids) <= SCOPED_GROUPS:
            held = sum(searcher.doc_frequency("group", str(g)) for g in group_ids)
            if held <= self.scoped_share * searcher.doc_count_all():
                return group_words_query(parsed, group_ids), None
        allowed = self._documents_of(searcher, group_ids)
        return (None, None) if allowed is None else (words_query(parsed), allowed)

    def _documents_of(self, searcher, group_ids: tuple[int, ...]) -> BitSet | None:
        """Document numbers in these groups (None if there are none), kept while the searcher
        lasts (until a write): at most `ALLOWED_CACHED` sets of one bit per document.

        Forgotten whenever the searcher is replaced, never keyed by `id(searcher)`: a new
        searcher can get a closed one's id, and stale numbers would hide new documents.
        Emptiness is decided here, once: a BitSet counts its members by reading all of it."""
        with self._guard:
            found = self._allowed.get(group_ids, _UNKNOWN) if searcher is self._searcher else _UNKNOWN
        if found is _UNKNOWN:
            numbers = list(searcher.docs_for_query(_any("group", group_ids)))
            found = BitSet(numbers, size=searcher.doc_count_all()) if numbers else None
            with self._guard:
                if searcher is self._searcher:
                    if len(self._allowed) >= ALLOWED_CACHED:
                        self._allowed.clear()
                    self._allowed[group_ids] = found
        return found

    def signatures(self) -> dict[Key, str]:
        searcher = self._current_searcher()
        return {parse_key(f["key"]): f["signature"] for f in searcher.all_stored_fields()}

    def doc_count(self) -> int:
        return self._current_searcher().doc_count()


class _Bulk:
    """Adds a rebuild's entries, committing them with a checkpoint every so often."""

    def __init__(self, folder: Path, every: int):
        self.folder = folder
        self.every = every
        self.resume_from = self._checkpoint()
        if self.resume_from is None:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            self.ix = index.create_in(str(folder), schema())
        else:
            self.ix = index.open_dir(str(folder))
        self.writer = self.ix.writer(limitmb=128)
        self.unsaved = 0

    def _checkpoint(self) -> dict | None:
        """The last checkpoint of an unfinished rebuild of this version, if its index opens."""
        try:
            saved = json.loads((self.folder / PROGRESS).read_text())
            index.open_dir(str(self.folder)).close()
        except Exception:  # noqa: BLE001 — nothing to resume: start afresh
            return None
        return saved if saved.get("schema") == SCHEMA_VERSION else None

    def add(self, entries: list[Entry], checkpoint: dict) -> None:
        """`checkpoint` says where the walk is once these are in (and `done`/`total` for progress)."""
        for entry in entries:
            self.writer.add_document(**_document(entry))
        self.unsaved += len(entries)
        if self.unsaved >= self.every:
            self.writer.commit(merge=False)
            self._save({**checkpoint, "schema": SCHEMA_VERSION})
            self.writer = self.ix.writer(limitmb=128)
            self.unsaved = 0
        elif not (self.folder / PROGRESS).exists():
            self._save({**checkpoint, "schema": None})  # progress to show, nothing to resume yet

    def _save(self, state: dict) -> None:
        temporary = self.folder / f"{PROGRESS}.{os.getpid()}"
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.folder / PROGRESS)

    def finish(self) -> None:
        self.writer.commit(optimize=True)
        self.ix.close()

    def cancel(self) -> None:
        """A failed rebuild keeps what it committed (the next one resumes) and drops the rest."""
        self.writer.cancel()
        self.ix.close()


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
