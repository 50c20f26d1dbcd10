"""A logged-out visitor is sent to log in and comes back to the page they were on: from a link
(an email, a bookmark), from the top bar, after a failed attempt, and from an htmx button
pressed after the session ended — never to a fragment's or a form's own address."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.core.extensions import db
from tests.accounts.helpers import text
from tests.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def login_next(where: str) -> list[str] | None:
    """`next` of a login address ([] when it has none); None when it isn't the login page."""
    parts = urlsplit(where)
    return parse_qs(parts.query).get("next", []) if parts.path == "/login" else None


def test_a_link_to_a_private_page_sends_to_login_and_back(client, make_cast):
    cast = make_cast("coop", "private")
    response = client.get("/g/coop/members?page=1")
    assert response.status_code == 302 and login_next(response.location) == ["/g/coop/members?page=1"]
    login = client.post(response.location, data={"email": cast.member.email, "password": PASSWORD})
    assert login.location == "/g/coop/members?page=1"
    assert client.get(login.location).status_code == 200


def test_a_private_page_and_a_missing_one_send_to_login_alike(client, make_cast):
    make_cast("coop", "private")
    real, missing = client.get("/g/coop"), client.get("/g/nothing-here")
    assert real.status_code == missing.status_code == 302
    assert real.location.replace("coop", "nothing-here") == missing.location
    assert real.get_data().replace(b"coop", b"nothing-here") == missing.get_data()
    assert real.headers.get("Set-Cookie", "").split(";")[0] != ""  # the same flash, for both
    assert sorted(real.headers.keys()) == sorted(missing.headers.keys())


def test_someone_logged_in_still_gets_404_for_a_private_group(client, auth, make_cast):
    cast = make_cast("coop", "private")
    auth.login(cast.outsider)
    assert client.get("/g/coop").status_code == 404
    assert client.get("/g/nothing-here").status_code == 404


def test_a_public_group_is_still_read_without_logging_in(client, make_cast):
    make_cast("town", "public")
    assert client.get("/g/town").status_code == 200


@pytest.mark.parametrize("path", ["/no/such/page", "/static/nothing.css"])
def test_an_address_nothing_answers_to_is_404_for_everyone(client, path):
    assert client.get(path).status_code == 404


def test_a_wrong_invitation_link_says_so_instead_of_asking_to_log_in(client):
    assert client.get("/join/not-a-real-token").status_code == 404


def test_after_a_failed_attempt_the_form_still_knows_where_to_go(client, make_user):
    user = make_user("minji")
    page = text(client.post("/login?next=/g/coop/threads", data={"email": user.email, "password": "wrong!"}))
    assert 'action="/login?next=/g/coop/threads"' in page
    assert 'href="/register?next=/g/coop/threads"' in page
    response = client.post("/login?next=/g/coop/threads", data={"email": user.email, "password": PASSWORD})
    assert response.location == "/g/coop/threads"


def test_register_keeps_next_through_a_mistake_and_uses_it(client):
    form = {"email": "new@example.org", "display_name": "New", "handle": "newbie", "password": PASSWORD,
            "confirm": "different"}
    page = text(client.post("/register?next=/join/abc", data=form))
    assert 'action="/register?next=/join/abc"' in page and 'href="/login?next=/join/abc"' in page
    response = client.post("/register?next=/join/abc", data=form | {"confirm": PASSWORD})
    assert response.location == "/join/abc"


@pytest.mark.parametrize("evil", ["//evil.example", "https://evil.example/x", "/\\evil.example"])
def test_a_next_elsewhere_is_dropped_from_the_forms(client, evil):
    page = client.get("/login", query_string={"next": evil}).get_data(as_text=True)
    assert 'action="/login"' in page and 'href="/login">' in page and 'href="/register">' in page
    assert "?next=" not in page.replace('value="/login?next=', "")  # the language switch keeps the address


def test_the_top_bar_login_link_comes_back_here(client, make_cast):
    make_cast("town", "public")
    page = client.get("/g/town/threads").get_data(as_text=True)
    assert 'href="/login?next=/g/town/threads"' in page
    assert 'href="/register?next=/g/town/threads"' in page


def test_the_login_page_link_keeps_its_own_next_not_itself(client):
    page = client.get("/login?next=/g/town").get_data(as_text=True)
    assert 'href="/login?next=/g/town"' in page and "next=/login" not in page
    assert 'href="/login"' in client.get("/login").get_data(as_text=True)


# ---------------------------------------------------------------- htmx after the session ended


def test_an_htmx_button_sends_to_login_for_the_page_it_was_pressed_on(client, make_cast):
    make_cast("coop", "private")
    response = client.post("/react/comment/3", data={"kind": "heart"},
                           headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/t/7?page=2#c3"})
    assert response.status_code == 200
    assert login_next(response.headers["HX-Redirect"]) == ["/t/7?page=2"]


def test_an_htmx_request_for_a_missing_fragment_names_the_page_not_the_fragment(client, make_cast):
    make_cast("coop", "private")
    response = client.get("/c/987654/replies", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/t/1"})
    assert login_next(response.headers["HX-Redirect"]) == ["/t/1"]


@pytest.mark.parametrize("current", ["https://evil.example//evil.example", "javascript:alert(1)", ""])
def test_a_strange_current_url_gives_no_next(client, current):
    response = client.post("/react/comment/3", data={"kind": "heart"},
                           headers={"HX-Request": "true", "HX-Current-URL": current})
    assert login_next(response.headers["HX-Redirect"]) == []


def test_a_form_without_htmx_comes_back_to_the_page_it_was_sent_from(client):
    response = client.post("/react/comment/3", data={"kind": "heart"}, headers={"Referer": "http://localhost/t/7"})
    assert response.status_code == 302 and login_next(response.location) == ["/t/7"]


def test_a_session_ended_elsewhere_then_an_htmx_button(app, client, auth, make_cast):
    """Logged out on another device: the cookie and its CSRF token stay, the sign-in is gone."""
    cast = make_cast("coop", "private")
    auth.login(cast.member)
    with app.app_context():
        db.session.execute(db.text("DELETE FROM login_sessions"))
        db.session.commit()
    response = client.post("/react/thread/1", data={"kind": "heart"},
                           headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/t/1"})
    assert login_next(response.headers["HX-Redirect"]) == ["/t/1"]


def test_cookies_cleared_then_an_htmx_button_logs_in_again_instead_of_failing_on_the_csrf_token(make_app, make_cast):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_cast("coop", "private")
    stale = app.test_client()
    token = CSRF.search(stale.get("/login").get_data(as_text=True)).group(1)
    fresh = app.test_client()  # a browser that lost its cookies, with a page still open
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/t/1", "X-CSRFToken": token}
    response = fresh.post("/react/thread/1", data={"kind": "heart"}, headers=headers)
    assert response.status_code == 200 and login_next(response.headers["HX-Redirect"]) == ["/t/1"]
    plain = fresh.post("/react/thread/1", data={"kind": "heart", "csrf_token": token})
    assert plain.status_code == 400  # without htmx the page says the form expired
