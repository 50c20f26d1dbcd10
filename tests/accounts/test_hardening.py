"""Smaller holes, each once seen: redirects off the site, cached private pages, a world-readable
database, and an email address shown by a link that works for 30 days."""
import os
import stat

import pytest
from sqlalchemy import select, text as sql

from app.web import create_app
from app.accounts.services import masked_email
from app.core.config import TestConfig, from_env
from app.decisions.models import Action
from app.core.extensions import db
from app.notifications import mail
from tests.accounts.helpers import text
from tests.accounts.test_security import ENCODED_AND_SPACED
from tests.accounts.test_login import OPEN_REDIRECTS
from tests.decisions.helpers import DecisionScene


# ---------------------------------------------------------------- redirects


@pytest.fixture
def scene(app, make_cast):
    return DecisionScene(app, make_cast("coop", "private"))


@pytest.mark.parametrize("elsewhere", ["/\t/evil.example", "/\n/evil.example", "/%09/evil.example", "/%2F/evil.example",
                                       "/\\evil.example", "\\\\evil.example", "///evil.example", "//evil.example",
                                       "https://evil.example/", "javascript:alert(1)"])
def test_marking_an_action_done_never_goes_back_off_the_site(scene, elsewhere):
    pid = scene.decided(actions=[("Buy a lock", "member", None)])
    with scene.ctx():
        action_id = db.session.scalar(select(Action.id))
    response = scene.client("member").post(f"/actions/{action_id}/done", data={"done": "1", "next": elsewhere})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/p/{pid}#outcome"


def test_marking_an_action_done_goes_back_to_a_page_on_the_site(scene):
    scene.decided(actions=[("Buy a lock", "member", None)])
    with scene.ctx():
        action_id = db.session.scalar(select(Action.id))
    response = scene.client("member").post(f"/actions/{action_id}/done", data={"done": "1", "next": "/g/coop/decisions?tab=needs-me"})
    assert response.headers["Location"] == "/g/coop/decisions?tab=needs-me"


@pytest.mark.parametrize("elsewhere", OPEN_REDIRECTS + ENCODED_AND_SPACED)
def test_the_language_switch_never_goes_back_off_the_site(client, elsewhere):
    response = client.post("/language", data={"lang": "ko", "next": elsewhere})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# ---------------------------------------------------------------- Cache-Control


def test_every_page_for_someone_logged_in_is_private_and_not_stored(scene):
    member = scene.client("member")
    for url in ("/groups", "/g/coop", "/settings", "/notifications", "/no-such-page", f"/p/{scene.propose('member')}"):
        response = member.get(url)
        assert response.headers["Cache-Control"] == "private, no-store", url
    assert member.get("/g/coop", headers={"HX-Request": "true"}).headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("url", ["/", "/login", "/register", "/g/town", "/no-such-page"])
def test_a_public_page_for_an_anonymous_visitor_is_private_and_asked_for_again(client, make_cast, url):
    make_cast("town", "public")
    assert client.get(url).headers["Cache-Control"] == "private, no-cache"


def test_a_page_reached_by_a_secret_link_is_not_stored(client, make_cast, app):
    cast = make_cast("coop", "private")
    with app.test_request_context():
        token = mail.settings_token(cast.member.id, cast.group.id, "mention")
    for url in (f"/mail/settings/{token}", "/join/not-a-real-invitation"):
        assert client.get(url).headers["Cache-Control"] == "private, no-store", url


def test_static_files_keep_their_own_caching(client, auth, make_user):
    auth.login(make_user("minji"))
    for name in ("canoe.svg", "css/canoe.css"):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200, name
            assert "no-store" not in response.headers.get("Cache-Control", "")
            assert "private" not in response.headers.get("Cache-Control", "")


# ---------------------------------------------------------------- the database file


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_files_are_readable_by_us_alone(tmp_path):
    path = tmp_path / "new.db"
    settings = from_env(TestConfig)
    settings.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    old_umask = os.umask(0o022)  # the usual umask: SQLite alone would make the file 0644
    try:
        app = create_app(settings)
        with app.app_context():
            db.session.execute(sql("CREATE TABLE t (x INTEGER)"))
            db.session.execute(sql("INSERT INTO t VALUES (1)"))
            db.session.commit()
            files = [path, tmp_path / "new.db-wal", tmp_path / "new.db-shm"]
            assert all(f.exists() for f in files)
            assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
            db.session.remove()
            db.engine.dispose()
    finally:
        os.umask(old_umask)


def test_an_existing_world_readable_database_is_made_private_on_connect(tmp_path):
    path = tmp_path / "old.db"
    settings = from_env(TestConfig)
    settings.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    app = create_app(settings)
    with app.app_context():
        db.session.execute(sql("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    for name in ("old.db", "old.db-wal", "old.db-shm"):
        if (tmp_path / name).exists():
            os.chmod(tmp_path / name, 0o644)
    app = create_app(settings)
    with app.app_context():
        db.session.execute(sql("SELECT * FROM t"))
        assert mode(path) == 0o600
        assert [mode(f) for f in tmp_path.glob("old.db-*")] == [0o600] * len(list(tmp_path.glob("old.db-*")))
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- the unsubscribe page


@pytest.mark.parametrize("email, shown", [("minji@example.org", "m***@example.org"), ("a@b.co", "a***@b.co"),
                                          ("odd@name@example.org", "o***@example.org"), ("no-at-sign", "***")])
def test_an_address_is_masked_to_what_its_owner_recognises(email, shown):
    assert masked_email(email) == shown


def test_the_unsubscribe_page_shows_only_a_masked_address(client, make_cast, app):
    cast = make_cast("coop", "private")
    with app.test_request_context():
        token = mail.settings_token(cast.member.id, cast.group.id, "mention")
    page = text(client.get(f"/mail/settings/{token}", headers={"Accept-Language": "en"}))
    assert "c***@example.org" in page  # coopmember@example.org
    assert cast.member.email not in page and "coopmember@" not in page
    done = text(client.post(f"/mail/settings/{token}", data={"stop": "this"}))
    assert cast.member.email not in done
