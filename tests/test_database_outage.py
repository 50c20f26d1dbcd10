"""The database can blink (issue 19): while it is out of reach every page that needs it answers
503 with Retry-After, on a page that needs no database, in the visitor's language; nothing
half-saved; and when the database is back, Canoe serves pages again by itself.

A real outage, not a mock. On PostgreSQL the app reaches the server through a TCP forwarder
that the drill switches off (listener closed, every live connection cut, as when the server
restarts) and on again on the same port. On SQLite the database file is moved away and a folder
put in its place, which SQLite can neither open nor quietly replace with an empty database.

The drill's app is built as production runs: CSRF on, and errors that no handler takes become
the 500 page instead of being raised into the test (PROPAGATE_EXCEPTIONS off).
"""
import os
import socket
import threading
from dataclasses import dataclass
from typing import Callable

import pytest
from flask import request_finished
from sqlalchemy import event, func, select, text as sql
from sqlalchemy.engine import make_url

from app.core.config import TestConfig, from_env
from app.core.extensions import db
from app.core.outage import RETRY_AFTER, is_outage
from app.groups.models import Group
from app.web import create_app
from tests.accounts.helpers import csrf_token, text
from tests.conftest import BASE_URL, ON_POSTGRES, PASSWORD, POSTGRES_URL, found_group, register_person

ENGLISH = "Canoe can't reach its database just now."
KOREAN = "지금은 Canoe가 데이터베이스에 연결할 수 없습니다."
NOT_SAVED = "What you just sent may not have been saved."
# What must never reach the visitor: a stack trace, the driver's words, the database's contents.
LEAKS = ("Traceback", "sqlalchemy", "OperationalError", "psycopg", "sqlite", "unable to open", "Connection refused")


class Forwarder:
    """A TCP forwarder to PostgreSQL on 127.0.0.1, switched off and on again on the same port."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0  # the first `on()` picks a free one
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()

    def on(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        self._listener.settimeout(0.05)  # so the accept loop notices `off()` promptly
        self._stop = threading.Event()
        self._accepting = threading.Thread(target=self._accept, args=(self._listener, self._stop), daemon=True)
        self._accepting.start()

    @property
    def running(self) -> bool:
        return not self._stop.is_set()

    def off(self) -> None:
        """Refuse new connections and cut every live one, as a server going down does."""
        self._stop.set()
        self._accepting.join()
        self._listener.close()
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _close(sock)

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._live |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:  # one side gone: end the other too, as a real connection would
            with self._lock:
                self._live -= {source, sink}
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv on it; close alone would not
    except OSError:
        pass
    sock.close()


@dataclass
class Drill:
    app: object
    cut: Callable[[], None]
    restore: Callable[[], None]

    def client(self, lang: str = "en"):
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        return client

    def count_groups(self, slug: str) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(Group).where(Group.slug == slug))

    def rows(self) -> dict[str, int]:
        """How many rows each table holds: what "nothing half-saved" is checked against."""
        with self.app.app_context():
            return {table.name: db.session.scalar(select(func.count()).select_from(table))
                    for table in db.metadata.sorted_tables}


def _drill_app(url: str, instance):
    settings = {**from_env(TestConfig), "SQLALCHEMY_DATABASE_URI": url,
                "WTF_CSRF_ENABLED": True, "PROPAGATE_EXCEPTIONS": False}
    app = create_app(settings)
    app.instance_path = str(instance)
    return app


def _dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def drill(make_app, tmp_path):
    """An app on this test's migrated database (emptied afterwards by make_app), whose database
    the test can take away (`cut`) and give back (`restore`)."""
    base = make_app()
    if ON_POSTGRES:
        upstream = make_url(BASE_URL)
        forwarder = Forwarder((upstream.host or "127.0.0.1", upstream.port or 5432))
        forwarder.on()
        # The worker's schema travels in the URL's `options`; only the address changes.
        url = make_url(POSTGRES_URL).set(host="127.0.0.1", port=forwarder.port)
        app = _drill_app(url.render_as_string(hide_password=False), tmp_path)
        yield Drill(app, cut=forwarder.off, restore=forwarder.on)
        _dispose(app)
        if forwarder.running:
            forwarder.off()
        return
    path = make_url(base.config["SQLALCHEMY_DATABASE_URI"]).database
    aside = f"{path}.away"
    app = _drill_app(base.config["SQLALCHEMY_DATABASE_URI"], tmp_path)

    def cut():
        # The open connections go, as when the workers restart; new ones find a folder.
        for each in (app, base):
            _dispose(each)
        os.rename(path, aside)
        os.mkdir(path)

    def restore():
        os.rmdir(path)
        os.rename(aside, path)

    yield Drill(app, cut=cut, restore=restore)
    if os.path.isdir(path):
        restore()
    _dispose(app)


@pytest.fixture
def people(drill):
    """Minji (English) and Jiho (Korean), both in a public co-op; Minji also in a private one."""
    minji = register_person(drill.app, "minji", "en", "Minji Kim")
    jiho = register_person(drill.app, "jiho", "ko", "Jiho Park")
    found_group(drill.app, minji, "Sunny Street Co-op", "sunny", visibility="public", members=((jiho, "member"),))
    found_group(drill.app, minji, "Hidden Kitchen", "kitchen")
    return minji, jiho


def log_in(client, user) -> None:
    token = csrf_token(client.get("/login"))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def choose_language(client, lang: str) -> None:
    token = csrf_token(client.get("/settings"))
    assert client.post("/language", data={"lang": lang, "csrf_token": token}).status_code == 302


def assert_unavailable(response, lang: str = "en") -> str:
    """The 503 page: Retry-After, kept by nobody, in `lang`, with nothing from the database."""
    page = text(response)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert response.headers["Cache-Control"] == "no-store"
    assert (KOREAN if lang == "ko" else ENGLISH) in page
    assert (ENGLISH if lang == "ko" else KOREAN) not in page
    for leak in LEAKS:
        assert leak.lower() not in page.lower()
    for stored in ("Sunny Street", "Hidden Kitchen", "Minji", "Jiho", "@minji", "@jiho"):
        assert stored not in page
    return page


def test_anonymous_pages_answer_503_in_the_browsers_language(drill, people):
    english, korean = drill.client("en"), drill.client("ko")
    assert "Sunny Street Co-op" in text(english.get("/"))
    drill.cut()
    page = assert_unavailable(english.get("/"), "en")
    assert '<html lang="en">' in page and '<a href="/">Try again</a>' in page
    assert_unavailable(english.get("/g/sunny"), "en")
    page = assert_unavailable(korean.get("/g/sunny"), "ko")
    assert '<html lang="ko">' in page and '<a href="/g/sunny">다시 시도</a>' in page
    drill.restore()
    assert "Sunny Street Co-op" in text(english.get("/"))
    assert korean.get("/g/sunny").status_code == 200


def test_logged_in_pages_answer_503_in_the_language_this_browser_chose(drill, people):
    minji, _ = people
    client = drill.client("en")  # the browser asks for English; the language switch says Korean
    log_in(client, minji)
    choose_language(client, "ko")
    drill.cut()
    for url in ("/groups", "/g/sunny", "/g/kitchen", "/notifications", "/settings", "/g/kitchen/nothing-here"):
        assert_unavailable(client.get(url), "ko")
    drill.restore()
    page = text(client.get("/groups"))
    assert "Hidden Kitchen" in page and "@minji" in page  # still logged in, in their language
    assert '<html lang="ko">' in page


def test_a_logged_in_person_without_a_chosen_language_gets_the_browsers(drill, people):
    _, jiho = people  # Korean in their settings, which can't be read while the database is away
    client = drill.client("en")
    log_in(client, jiho)
    assert '<html lang="ko">' in text(client.get("/groups"))
    drill.cut()
    assert_unavailable(client.get("/groups"), "en")


def test_htmx_gets_the_notice_alone(drill, people):
    minji, _ = people
    client = drill.client("en")
    log_in(client, minji)
    drill.cut()
    response = client.get("/groups", headers={"HX-Request": "true"})
    page = assert_unavailable(response, "en")
    assert "<html" not in page and "<body" not in page


def _new_group_form(drill, people):
    """Minji, logged in, about to send the new-group form (with its CSRF token)."""
    minji, _ = people
    client = drill.client("en")
    log_in(client, minji)
    return client, {"name": "Night Market", "slug": "night-market", "description": "Stalls.", "visibility": "private",
                    "csrf_token": csrf_token(client.get("/groups/new"))}


def test_a_form_sent_during_the_outage_saves_nothing(drill, people):
    client, form = _new_group_form(drill, people)
    before = drill.rows()
    drill.cut()
    page = assert_unavailable(client.post("/groups/new", data=form), "en")
    assert NOT_SAVED in page and ">Try again</a>" not in page  # a form is not sent again by a link
    drill.restore()
    assert drill.rows() == before
    assert client.get("/groups/new").status_code == 200  # the first requests after recovery are served
    assert client.post("/groups/new", data=form).status_code == 302  # and the same form now saves
    assert drill.count_groups("night-market") == 1


def test_logging_in_during_the_outage_is_503_too(drill, people):
    minji, _ = people
    client = drill.client("ko")
    token = csrf_token(client.get("/login"))
    drill.cut()
    form = {"email": minji.email, "password": PASSWORD, "csrf_token": token}
    assert_unavailable(client.post("/login", data=form), "ko")
    drill.restore()
    assert client.post("/login", data=form).status_code == 302
    assert client.get("/groups").status_code == 200


def test_the_probes_during_the_outage(drill, people):
    minji, _ = people
    anonymous, member = drill.client(), drill.client()
    log_in(member, minji)
    drill.cut()
    for client in (anonymous, member):  # a signed-in cookie must not make /healthz ask the database
        alive = client.get("/healthz")
        assert alive.status_code == 200 and alive.json == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json["database"] == "unreachable"
    drill.restore()
    assert anonymous.get("/readyz").status_code == 200


def test_the_first_requests_after_a_restart_are_served(drill, people):
    """Pooled connections all died while nobody asked (a restart between two requests): the
    next request must not be the one to find out. pool_pre_ping tests each before use."""
    minji, _ = people
    client = drill.client("en")
    log_in(client, minji)
    for _ in range(3):
        assert client.get("/groups").status_code == 200
    drill.cut()
    drill.restore()
    for url in ("/groups", "/g/sunny", "/g/kitchen"):
        assert client.get(url).status_code == 200


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no connection to lose once it is open")
def test_a_connection_lost_at_commit_saves_nothing(drill, people):
    client, form = _new_group_form(drill, people)
    before = drill.rows()
    with drill.app.app_context():
        engine = db.engine
    cut_at_commit = lambda _conn: drill.cut()  # noqa: E731 (the group and its events are flushed by now)
    event.listen(engine, "commit", cut_at_commit)
    try:
        assert_unavailable(client.post("/groups/new", data=form), "en")
    finally:
        event.remove(engine, "commit", cut_at_commit)
    drill.restore()
    assert drill.rows() == before  # neither the group nor the membership and event flushed with it
    assert client.get("/groups").status_code == 200


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no connection to lose once it is open")
def test_a_connection_lost_after_the_page_is_made(drill, people):
    """The database goes between a page's last query and the end of the request: the page
    already made is sent, and rolling back over the dead connection must not turn it into a 500."""
    minji, _ = people
    client = drill.client("en")
    log_in(client, minji)

    def cut_before_teardown(_sender, **_extra):
        drill.cut()

    with request_finished.connected_to(cut_before_teardown, drill.app):
        response = client.get("/groups")
    assert response.status_code == 200 and "Hidden Kitchen" in text(response)
    assert_unavailable(client.get("/groups"), "en")
    drill.restore()
    assert client.get("/groups").status_code == 200


def test_only_an_unreachable_database_is_an_outage(app):
    """A mistake in SQL stays a loud 500 (SQLite calls it an OperationalError too); a database
    that can't be opened is an outage."""
    with app.app_context():
        with pytest.raises(Exception) as mistake:
            db.session.execute(sql("SELECT * FROM no_such_table"))
        db.session.rollback()
    assert not is_outage(mistake.value)
    unreachable = create_app({**from_env(TestConfig), "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/folder/x.db"})
    with unreachable.app_context():
        with pytest.raises(Exception) as outage:
            db.session.execute(sql("SELECT 1"))
        db.session.remove()
    assert is_outage(outage.value)
