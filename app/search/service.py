"""Search's one interface: the configured backend, searching for a viewer, keeping it true.

Everything else in Canoe calls these functions; only this module knows which backend runs.
"""
import logging
import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.core.database import utcnow
from app.core.extensions import db
from app.groups.policy import readable_group_ids
from app.search import analyzer, entries, snippets
from app.search.models import SearchBacklog
from app.search.postgres_index import PostgresIndex
from app.search.results import Filters, Hit, SearchPage
from app.search.whoosh_index import WhooshIndex

log = logging.getLogger(__name__)
PER_PAGE = 10
BACKENDS = ("whoosh", "postgres")
_starting = threading.Lock()


class Rebuilding(Exception):
    """The index is missing or unreadable and is being rebuilt: searching waits, saving doesn't."""

    def __init__(self, progress: dict | None = None):
        super().__init__("the search index is being rebuilt")
        self.progress = progress or {}

    @property
    def percent(self) -> int | None:
        done, total = self.progress.get("done"), self.progress.get("total")
        return min(99, int(100 * done / total)) if done is not None and total else None

    def message(self) -> str:
        if self.percent is None:
            return _("Search is being rebuilt. Everything saved meanwhile will be found once it is done.")
        return _("Search is being rebuilt (%(percent)d%% done). Everything saved meanwhile will be found once it is done.",
                 percent=self.percent)


class AlreadyRebuilding(Rebuilding):
    """Another process holds the rebuild."""


def _store() -> dict:
    return current_app.extensions.setdefault("canoe.search", {})


def _index():
    store = _store()
    if "backend" not in store:
        name = current_app.config["CANOE_SEARCH_BACKEND"]
        timeout = float(current_app.config["CANOE_SEARCH_LOCK_TIMEOUT"])
        if name not in BACKENDS:
            raise RuntimeError(f"CANOE_SEARCH_BACKEND must be one of {BACKENDS}, not {name!r}")
        store["backend"] = PostgresIndex(timeout) if name == "postgres" else WhooshIndex(current_app.instance_path, timeout)
    return store["backend"]


def backend_ready() -> bool:
    return _index().usable()


def backend():
    """This app's index, ready to read. A missing or corrupt one is rebuilt in the background —
    never inside a request — and `Rebuilding` says how far that has come."""
    index = _index()
    if not index.usable():
        start_rebuild()
        raise Rebuilding(index.progress())
    return index


# -- searching -------------------------------------------------------------------------

def search(viewer, text: str, *, group_ids=None, kinds=(), author_id=None, date_from: datetime | None = None,
           date_to: datetime | None = None, by_date: bool = False, page: int = 1, per_page: int = PER_PAGE) -> SearchPage:
    """One page of what `viewer` may read that matches `text`.

    The viewer's groups go into the backend's query, never applied afterwards: counts and
    pages are computed over what they may see, so a private group leaks not even a number.
    """
    result = SearchPage(page=page, per_page=per_page)
    parsed = analyzer.parse(text)
    if parsed.too_short:
        result.problem = _("Type at least %(n)d characters to search.", n=analyzer.MIN_QUERY_CHARS)
        return result
    if parsed.empty:
        result.problem = _("Search for words: punctuation alone finds nothing.")
        return result
    allowed = set(readable_group_ids(viewer))
    if group_ids:
        allowed &= set(group_ids)
    if not allowed:
        return result
    filters = Filters(tuple(sorted(allowed)), tuple(kinds), author_id, date_from, date_to)
    try:
        index = backend()
    except Rebuilding as rebuilding:
        result.problem = rebuilding.message()
        return result
    retry_backlog_if_due()
    for attempt in (1, 2):
        try:
            result.total, stored = index.search(parsed, filters, page, per_page, by_date)
            break
        except Exception:
            if not index.usable():  # it vanished mid-search
                result.problem = Rebuilding(index.progress()).message()
                start_rebuild()
                return result
            if attempt == 2:
                raise
            # else a rebuild swapped a new index in mid-search: once more, on the new one
    result.hits = [
        Hit(s, snippets.highlight(s.title, parsed.clauses, None), snippets.highlight(s.body, parsed.clauses))
        for s in stored
    ]
    return result


# -- keeping the index true ------------------------------------------------------------
#
# The backlog is an outbox: every commit that changes searchable items writes their rows in
# its own transaction (`outbox_statement`, from `sync`), and they are deleted once the items
# are indexed. A crash at any instant leaves each item either indexed or still in the backlog.

def outbox_statement(keys, dialect: str):
    """Insert these items' backlog rows; an item already waiting counts one change more."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [{"kind": kind, "item_id": item_id, "attempts": 0, "changes": 0, "queued_at": now, "last_error": ""}
            for kind, item_id in keys]
    statement = insert(SearchBacklog).values(rows)
    return statement.on_conflict_do_update(index_elements=["kind", "item_id"],
                                           set_={"changes": SearchBacklog.changes + 1})


def write(keys, session: Session | None = None) -> None:
    """Index these items as the database has them now; raises if the index refuses."""
    found, gone = entries.build(keys, session or db.session)
    backend().write(found, gone)


def index_committed(keys) -> None:
    """After a commit: index what it changed and take its rows out of the backlog. Never
    raises and never waits for a rebuild — the person's change is saved, and if the index
    is locked, failing or being rebuilt, its rows simply stay for a retry."""
    keys = sorted(set(keys))
    index = _index()
    if not index.accepts_writes():
        if not index.usable():
            start_rebuild()
        return
    try:
        _index_and_clear(keys)
    except Exception as error:  # noqa: BLE001 — whatever the index's trouble, the write stands
        log.warning("search index write failed (%s); %d item(s) wait in the backlog", error, len(keys))
        _note_error(keys, error)
        return
    retry_backlog_if_due()


def _index_and_clear(keys) -> None:
    """Index the items and delete the rows they had when we began; a commit that touched one
    meanwhile bumped its `changes`, so its row stays for the next pass."""
    with Session(db.engine) as session:
        seen = session.execute(select(SearchBacklog.kind, SearchBacklog.item_id, SearchBacklog.changes)
                               .where(tuple_(SearchBacklog.kind, SearchBacklog.item_id).in_(keys))).all()
        write(keys, session)
    if seen:
        with db.engine.begin() as conn:
            conn.execute(SearchBacklog.__table__.delete().where(
                tuple_(SearchBacklog.kind, SearchBacklog.item_id, SearchBacklog.changes).in_([tuple(r) for r in seen])))


def _note_error(keys, error: Exception, *, attempt: bool = False) -> None:
    values = {"last_error": str(error)[:300]}
    if attempt:
        values["attempts"] = SearchBacklog.attempts + 1
    try:
        with db.engine.begin() as conn:
            conn.execute(update(SearchBacklog).where(tuple_(SearchBacklog.kind, SearchBacklog.item_id).in_(keys))
                         .values(**values))
    except Exception:  # noqa: BLE001 — the rows are there either way; only the note is lost
        log.exception("could not note the search index's error on %d backlog row(s)", len(keys))


def retry_backlog_if_due() -> None:
    """Now and then (`CANOE_SEARCH_BACKLOG_CHECK` seconds per process), index what has waited
    longer than `CANOE_SEARCH_BACKLOG_SETTLE` seconds: rows younger than that are still being
    indexed by the request that wrote them."""
    store = _store()
    now = time.monotonic()
    if now < store.get("next_backlog_check", 0):
        return
    store["next_backlog_check"] = now + float(current_app.config["CANOE_SEARCH_BACKLOG_CHECK"])
    settle = float(current_app.config["CANOE_SEARCH_BACKLOG_SETTLE"])
    cutoff = utcnow() - timedelta(seconds=settle)
    with db.engine.connect() as conn:  # runs after a commit too, when the request's session can't
        waiting = conn.scalar(select(exists().where(SearchBacklog.queued_at <= cutoff)))
    if waiting:
        retry_backlog(settled_for=settle)


def retry_backlog(batch: int = 500, settled_for: float = 0) -> int:
    """Index what waits in the backlog (rows at least `settled_for` seconds old); returns how
    many rows are still waiting."""
    if _index().accepts_writes():
        cutoff = utcnow() - timedelta(seconds=settled_for)
        last_id = 0
        with Session(db.engine) as session:
            while rows := session.execute(
                select(SearchBacklog.id, SearchBacklog.kind, SearchBacklog.item_id)
                .where(SearchBacklog.queued_at <= cutoff, SearchBacklog.id > last_id)
                .order_by(SearchBacklog.id).limit(batch)
            ).all():
                keys = [(r.kind, r.item_id) for r in rows]
                try:
                    _index_and_clear(keys)
                except Exception as error:  # noqa: BLE001 — still refused: keep them, note why
                    _note_error(keys, error, attempt=True)
                    break
                last_id = rows[-1].id
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(SearchBacklog))


# -- recovery --------------------------------------------------------------------------

def start_rebuild() -> None:
    """Rebuild in a thread of this process, unless a rebuild runs here or in another process
    already. Only when the index is kept in step (`CANOE_SEARCH_SYNC`)."""
    if not current_app.config["CANOE_SEARCH_SYNC"]:
        return
    store = _store()
    with _starting:
        running = store.get("rebuilder")
        if (running is not None and running.is_alive()) or _index().rebuild_running():
            return
        thread = threading.Thread(target=_rebuild_in_background, args=(current_app._get_current_object(),),
                                  name="canoe-search-rebuild", daemon=True)
        store["rebuilder"] = thread
        thread.start()


def _rebuild_in_background(app) -> None:
    with app.app_context():
        try:
            rebuild()
        except AlreadyRebuilding:
            pass
        except Exception:  # noqa: BLE001 — logged; the next search or save starts it again
            log.exception("rebuilding the search index failed")


def wait_for_rebuild(timeout: float | None = None) -> None:
    """Until this process's background rebuild, if any, is done (tests and the CLI)."""
    running = _store().get("rebuilder")
    if running is not None:
        running.join(timeout)


def rebuild(progress=None) -> int:
    """Every entry again from the database, swapped in whole, by one process at a time
    (`AlreadyRebuilding` otherwise); an unfinished rebuild is resumed from its checkpoint.
    Returns how many entries this run indexed. Writes made meanwhile wait in the backlog
    and are indexed once the new index is in place."""
    index = _index()
    with index.rebuild_lock() as mine:
        if not mine:
            raise AlreadyRebuilding(index.progress())
        with Session(db.engine) as session:
            try:
                total = entries.count_items(session)
            except Exception:  # noqa: BLE001 — no tables yet (before `db upgrade`): an empty index
                session.rollback()
                total = None
            with index.building() as bulk:
                done = _fill(bulk, session, total, progress) if total is not None else 0
    if total is not None:
        retry_backlog()
    return done


def _fill(bulk, session, total: int, progress) -> int:
    resume = bulk.resume_from
    walked = resume["done"] if resume else 0
    if resume and progress:
        progress(walked)
    indexed = 0
    for keys in entries.all_keys(session, resume=(resume["kind"], resume["after"]) if resume else None):
        found, _gone = entries.build(keys, session)
        session.rollback()  # ends the read: a rebuild must not hold a transaction open for minutes
        walked += len(keys)
        bulk.add(found, {"kind": keys[-1][0], "after": keys[-1][1], "done": walked, "total": total})
        indexed += len(found)
        if progress:
            progress(len(keys))
    return indexed


def drift(progress=None) -> dict[str, list]:
    """What the index gets wrong: items missing from it, entries out of date, entries for
    items that are gone (or must not be indexed). Raises `Rebuilding` when it is missing."""
    index = _index()
    if not index.usable():
        raise Rebuilding(index.progress())
    indexed = index.signatures()
    missing, stale = [], []
    with Session(db.engine) as session:
        for keys in entries.all_keys(session=session):
            found, _gone = entries.build(keys, session)
            for entry in found:
                signature = indexed.pop(entry.key, None)
                if signature is None:
                    missing.append(entry.key)
                elif signature != entry.signature:
                    stale.append(entry.key)
            if progress:
                progress(len(keys))
    return {"missing": missing, "stale": stale, "orphaned": sorted(indexed)}
