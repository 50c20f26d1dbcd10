"""The whole database as a value: a cheap fingerprint to tell whether a request changed anything,
and a snapshot to put everything back afterwards. Works on SQLite and PostgreSQL alike.
"""
import functools
import hashlib

from sqlalchemy import delete, insert, select, text

from app.core.extensions import db


def _tables():
    return db.metadata.sorted_tables


def _rows(conn, table) -> list:
    order = list(table.primary_key.columns) or list(table.columns)
    return conn.execute(select(table).order_by(*order)).all()


@functools.cache
def _digest_sql(dialect) -> str:
    """One query that counts and digests every table's rows on the database server."""
    quote, parts = dialect.identifier_preparer.quote, []
    for table in _tables():
        name = quote(table.name)
        if dialect.name == "postgresql":
            parts.append(f"SELECT '{table.name}', count(*), "
                         f"md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM {name} x")
        else:
            cells = " || ',' || ".join(f"quote({quote(c.name)})" for c in table.columns)
            order = ", ".join(quote(c.name) for c in table.primary_key.columns)
            parts.append(f"SELECT '{table.name}', count(*), coalesce(group_concat(r, ';'), '') "
                         f"FROM (SELECT {cells} AS r FROM {name} ORDER BY {order or 'rowid'})")
    return " UNION ALL ".join(parts)


def fingerprint(app) -> dict[str, tuple[int, str]]:
    """{table: (row count, digest of its rows)} for every table of the app, in one query."""
    with app.app_context(), db.engine.connect() as conn:
        return {name: (count, hashlib.blake2b(str(digest).encode(), digest_size=12).hexdigest())
                for name, count, digest in conn.execute(text(_digest_sql(conn.dialect)))}


class Writes:
    """Tells cheaply whether anyone wrote to the database since it last looked, so the full
    fingerprint is only taken after a request that wrote.

    SQLite: `PRAGMA data_version` on a connection of its own changes when another connection
    commits. PostgreSQL: the next transaction id moves whenever any transaction writes (on the
    whole server, so other tests' writes only make it look again).
    """

    def __init__(self, app):
        with app.app_context():
            self.conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.sql = text("SELECT pg_snapshot_xmax(pg_current_snapshot())" if self.conn.dialect.name == "postgresql"
                        else "PRAGMA data_version")
        self.last = self._now()

    def _now(self):
        return self.conn.execute(self.sql).scalar()

    def since_last_look(self) -> bool:
        now = self._now()
        wrote, self.last = now != self.last, now
        return wrote

    def close(self) -> None:
        self.conn.close()


def changed(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ, with their row counts before → after."""
    return [f"{name} ({before[name][0]}→{after[name][0]} rows)" for name in before if before[name] != after[name]]


def snapshot(app) -> dict[str, list[dict]]:
    """Every row of every table."""
    with app.app_context(), db.engine.connect() as conn:
        return {table.name: [dict(row._mapping) for row in _rows(conn, table)] for table in _tables()}


def _key(table, row) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _where(table, key: tuple):
    return [c == value for c, value in zip(table.primary_key.columns, key)]


def put_back(app, saved: dict[str, list[dict]], names) -> None:
    """Put the named tables back as `snapshot` found them, row by row: rows added since go (children
    first), rows changed or removed come back (parents first). Much cheaper than `restore` after a
    request that touched a few rows."""
    tables = [t for t in _tables() if t.name in set(names)]
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            now = {t.name: {_key(t, r._mapping): dict(r._mapping) for r in _rows(conn, t)} for t in tables}
            then = {t.name: {_key(t, row): row for row in saved[t.name]} for t in tables}
            for table in reversed(tables):
                for key in now[table.name].keys() - then[table.name].keys():
                    conn.execute(delete(table).where(*_where(table, key)))
            for table in tables:
                for key, row in then[table.name].items():
                    if key not in now[table.name]:
                        conn.execute(insert(table).values(**row))
                    elif now[table.name][key] != row:
                        conn.execute(table.update().where(*_where(table, key)).values(**row))


def restore(app, saved: dict[str, list[dict]]) -> None:
    """Put every table back as `snapshot` found it (ids included; sequences only move on)."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in _tables()) + " CASCADE"))
            else:
                conn.execute(text("PRAGMA defer_foreign_keys = ON"))
                for table in reversed(_tables()):
                    conn.execute(delete(table))
            for table in _tables():
                if saved[table.name]:
                    conn.execute(insert(table), saved[table.name])
