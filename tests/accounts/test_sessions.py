"""Logging out ends the sign-in on the server: a copy of the session or remember cookie, taken
before, is worth nothing after. "Log out everywhere" does that for every browser at once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import LoginSession
from app.core.database import utcnow
from app.core.extensions import db
from tests.accounts.helpers import csrf_token, is_logged_in, text
from tests.conftest import PASSWORD


def sign_in(app, user, remember: bool = False):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD, **({"remember": "y"} if remember else {})})
    assert response.status_code == 302
    return browser


def copy_of(app, browser, *names: str):
    """Another browser holding copies of these cookies (as an attacker who read them would)."""
    thief = app.test_client()
    for name in names:
        thief.set_cookie(name, browser.get_cookie(name).value)
    return thief


def sign_ins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginSession))


# ---------------------------------------------------------------- logout


def test_a_session_cookie_copied_before_logout_is_anonymous_after(app, make_user):
    browser = sign_in(app, make_user("minji"))
    thief = copy_of(app, browser, "session")
    assert is_logged_in(thief)
    browser.post("/logout")
    assert not is_logged_in(thief)
    assert not is_logged_in(browser)


def test_a_remember_token_copied_before_logout_is_anonymous_after(app, make_user):
    browser = sign_in(app, make_user("minji"), remember=True)
    before = copy_of(app, browser, "remember_token")
    assert is_logged_in(before)  # the cookie alone signs in, as when a browser is reopened
    thief = copy_of(app, browser, "remember_token")
    browser.post("/logout")
    assert not is_logged_in(thief)
    assert not is_logged_in(before)


def test_a_session_restored_from_the_remember_token_dies_with_the_logout(app, make_user):
    browser = sign_in(app, make_user("minji"), remember=True)
    reopened = copy_of(app, browser, "remember_token")
    assert is_logged_in(reopened)
    replay = copy_of(app, reopened, "session")  # the session cookie the remember token made
    browser.post("/logout")
    assert not is_logged_in(replay)


def test_logging_out_one_browser_leaves_the_others_signed_in(app, make_user):
    user = make_user("minji")
    laptop, phone = sign_in(app, user), sign_in(app, user, remember=True)
    laptop.post("/logout")
    assert not is_logged_in(laptop)
    assert is_logged_in(phone)
    assert sign_ins(app) == 1


def test_only_a_hash_of_the_sign_in_key_is_stored(app, make_user):
    browser = sign_in(app, make_user("minji"), remember=True)
    with app.app_context():
        stored = db.session.scalars(select(LoginSession.key_hash)).all()
    cookies = browser.get_cookie("session").value + browser.get_cookie("remember_token").value
    assert len(stored) == 1 and stored[0] not in cookies


def test_a_sign_in_ends_when_it_is_older_than_the_remember_cookie(app, make_user):
    browser = sign_in(app, make_user("minji"), remember=True)
    with app.app_context():
        db.session.execute(update(LoginSession).values(created_at=utcnow() - timedelta(days=30, minutes=1)))
        db.session.commit()
    assert not is_logged_in(browser)
    assert not is_logged_in(copy_of(app, browser, "remember_token"))


def test_a_sign_in_from_before_this_version_is_anonymous(app, make_user):
    user = make_user("minji")
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{user.id}:an-old-session-token"  # the old "id:token" form
    assert not is_logged_in(browser)


# ---------------------------------------------------------------- log out everywhere


def test_log_out_everywhere_ends_every_sign_in_and_every_copy(app, make_user):
    user = make_user("minji")
    here, laptop, phone = sign_in(app, user), sign_in(app, user), sign_in(app, user, remember=True)
    copies = [copy_of(app, laptop, "session"), copy_of(app, phone, "remember_token"), copy_of(app, here, "session")]
    other = sign_in(app, make_user("jisoo"))

    response = here.post("/settings/logout-everywhere")
    assert response.status_code == 302 and response.location == "/login"
    assert "You are logged out on every device." in text(here.get("/login"))
    for browser in (here, laptop, phone, *copies):
        assert not is_logged_in(browser)
    assert is_logged_in(other)  # someone else's sign-ins are theirs
    assert sign_ins(app) == 1


def test_the_settings_page_has_a_log_out_everywhere_button_with_its_csrf_token(make_app, make_user):
    user = make_user("minji")
    guarded = make_app(WTF_CSRF_ENABLED=True)
    browser = guarded.test_client()
    login_page = browser.get("/login")
    browser.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(login_page)})
    page = browser.get("/settings")
    assert 'action="/settings/logout-everywhere"' in text(page)
    assert "Log out everywhere" in text(page)

    assert browser.post("/settings/logout-everywhere").status_code == 400  # no token: nothing happens
    assert is_logged_in(browser)
    browser.post("/settings/logout-everywhere", data={"csrf_token": csrf_token(page)})
    assert not is_logged_in(browser)


def test_log_out_everywhere_asks_an_anonymous_visitor_to_log_in(client, app, make_user):
    sign_in(app, make_user("minji"))
    response = client.post("/settings/logout-everywhere")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert sign_ins(app) == 1


def test_log_out_everywhere_speaks_korean(app, make_user):
    browser = sign_in(app, make_user("minji", locale="ko"))
    assert "모든 기기에서 로그아웃" in text(browser.get("/settings"))
    browser.post("/settings/logout-everywhere")
    assert "모든 기기에서 로그아웃했습니다." in text(browser.get("/login", headers={"Accept-Language": "ko"}))


# ---------------------------------------------------------------- a new password


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_new_password_ends_copies_of_this_browsers_cookies_too(app, make_user, cookie):
    browser = sign_in(app, make_user("minji"), remember=True)
    thief = copy_of(app, browser, cookie)
    new = "a brand new password"
    browser.post("/settings/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert is_logged_in(browser)
    assert not is_logged_in(thief)
