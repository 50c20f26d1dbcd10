"""Search's one interface: the configured backend, searching for a viewer, keeping it true.

Everything else in Canoe calls these functions; only this module knows which backend runs.
"""
import logging
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
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


def _index():
    store = current_app.extensions.setdefault("canoe.search", {})
    if "backend" not in store:
        name = current_app.config["CANOE_SEARCH_BACKEND"]
        timeout = float(current_app.config["CANOE_SEARCH_LOCK_TIMEOUT"])
        if name not in BACKENDS:
            raise RuntimeError(f"CANOE_SEARCH_BACKEND must be one of {BACKENDS}, not {name!r}")
        store["backend"] = PostgresIndex(timeout) if name == "postgres" else WhooshIndex(current_app.instance_path, timeout)
    return store["backend"]


def backend():
    """This app's index, made once per process and app; a missing or corrupt one is rebuilt."""
    index = _index()
    if not index.usable():
        log.warning("search index missing or unreadable: rebuilding it from the database")
        rebuild()
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
    retry_backlog_if_any()
    result.total, stored = backend().search(parsed, filters, page, per_page, by_date)
    result.hits = [
        Hit(s, snippets.highlight(s.title, parsed.clauses, None), snippets.highlight(s.body, parsed.clauses))
        for s in stored
    ]
    return result


# -- keeping the index true ------------------------------------------------------------

def write(keys, session: Session | None = None) -> None:
    """Index these items as the database has them now; raises if the index refuses."""
    found, gone = entries.build(keys, session or db.session)
    backend().write(found, gone)


def index_or_queue(keys) -> None:
    """After a commit: index the items, or, if the index is locked or failing, put them in the
    backlog. Never raises — the person's change is already saved and must stay so."""
    keys = sorted(set(keys))
    try:
        with Session(db.engine) as session:
            write(keys, session)
    except Exception as error:  # noqa: BLE001 — whatever the index's trouble, the write stands
        log.warning("search index write failed (%s); %d item(s) queued for retry", error, len(keys))
        queue(keys, error)
        return
    retry_backlog_if_any()


def queue(keys, error: Exception | str = "") -> None:
    try:
        with db.engine.begin() as conn:
            for kind, item_id in keys:
                _insert_ignoring_duplicates(conn, kind, item_id, str(error)[:300])
        current_app.extensions.setdefault("canoe.search", {})["backlog_seen"] = True
    except Exception:  # noqa: BLE001
        log.exception("could not queue %d item(s) for the search index: `flask search check` will find them", len(keys))


def _insert_ignoring_duplicates(conn, kind: str, item_id: int, error: str) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(
        insert(SearchBacklog)
        .values(kind=kind, item_id=item_id, attempts=0, queued_at=utcnow(), last_error=error)
        .on_conflict_do_nothing(index_elements=["kind", "item_id"])
    )


def retry_backlog_if_any() -> None:
    """Cheap when the backlog is empty; drains it when this process has seen it used."""
    store = current_app.extensions.setdefault("canoe.search", {})
    if store.get("backlog_seen", True):
        store["backlog_seen"] = retry_backlog() > 0


def retry_backlog(batch: int = 500) -> int:
    """Index what waits in the backlog; returns how many items are still waiting."""
    with Session(db.engine) as session:
        while rows := list(session.scalars(select(SearchBacklog).order_by(SearchBacklog.id).limit(batch))):
            try:
                write([(r.kind, r.item_id) for r in rows], session)
            except Exception as error:  # noqa: BLE001 — still refused: keep them, note why
                for row in rows:
                    row.attempts += 1
                    row.last_error = str(error)[:300]
                session.commit()
                return session.scalar(select(func.count()).select_from(SearchBacklog))
            session.execute(delete(SearchBacklog).where(SearchBacklog.id.in_([r.id for r in rows])))
            session.commit()
    return 0


# -- recovery --------------------------------------------------------------------------

def rebuild(progress=None) -> int:
    """Every entry again from the database, swapped in whole. Returns how many were indexed.

    Writes that other processes make meanwhile are refused by the index (it is held for the
    rebuild), wait in the backlog, and are applied once the new index is in place.
    """
    index = _index()
    done = 0
    with Session(db.engine) as session:
        try:
            batches = list(entries.all_keys(session=session))
        except Exception:  # noqa: BLE001 — no tables yet (before `db upgrade`): an empty index
            session.rollback()
            batches = None
        with index.rebuilding() as bulk:
            for keys in batches or ():
                found, _gone = entries.build(keys, session)
                bulk.add(found)
                done += len(found)
                if progress:
                    progress(len(keys))
    if batches is not None:
        retry_backlog()
    return done


def drift(progress=None) -> dict[str, list]:
    """What the index gets wrong: items missing from it, entries out of date, entries for
    items that are gone (or must not be indexed)."""
    index = backend()
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
