"""With CSRF protection on (as in production), a POST without the form's token changes nothing."""
import pytest

from tests.accounts.helpers import csrf_token, is_logged_in, registration, stored_user, text, user_count
from tests.conftest import PASSWORD

EXPIRED = "This form had expired."


@pytest.fixture
def guarded(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def browser(guarded):
    return guarded.test_client()


def logged_in(browser, user):
    token = csrf_token(browser.get("/login"))
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return browser


def test_login_without_a_token_is_refused(browser, make_user):
    user = make_user("minji")
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert EXPIRED in text(response)
    assert not is_logged_in(browser)


def test_login_with_the_forms_token_works(browser, make_user):
    logged_in(browser, make_user("minji"))
    assert is_logged_in(browser)


def test_register_without_a_token_is_refused(browser, guarded):
    response = browser.post("/register", data=registration())
    assert response.status_code == 400
    assert user_count(guarded) == 0


def test_register_with_the_forms_token_works(browser, guarded):
    token = csrf_token(browser.get("/register"))
    assert browser.post("/register", data=registration(csrf_token=token)).status_code == 302
    assert user_count(guarded) == 1


def test_logout_without_a_token_is_refused(browser, make_user):
    logged_in(browser, make_user("minji"))
    assert browser.post("/logout").status_code == 400
    assert is_logged_in(browser)


def test_logout_with_the_pages_token_works(browser, make_user):
    logged_in(browser, make_user("minji"))
    token = csrf_token(browser.get("/settings"))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(browser)


def test_settings_without_a_token_change_nothing(browser, guarded, make_user):
    logged_in(browser, make_user("minji"))
    response = browser.post("/settings", data={"locale": "ko", "timezone": "Europe/Paris"})
    assert response.status_code == 400
    saved = stored_user(guarded, "minji")
    assert (saved.locale, saved.timezone) == ("en", None)


def test_settings_with_the_forms_token_are_saved(browser, guarded, make_user):
    logged_in(browser, make_user("minji"))
    token = csrf_token(browser.get("/settings"))
    response = browser.post("/settings", data={"locale": "ko", "timezone": "Europe/Paris", "csrf_token": token})
    assert response.status_code == 302
    assert stored_user(guarded, "minji").timezone == "Europe/Paris"


def test_htmx_may_send_the_token_in_a_header(browser, guarded, make_user):
    logged_in(browser, make_user("minji"))
    token = csrf_token(browser.get("/settings"))
    response = browser.post(
        "/settings", data={"locale": "ko", "timezone": "Europe/Paris"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 302
    assert stored_user(guarded, "minji").locale == "ko"


def test_a_language_switch_without_a_token_changes_nothing(browser):
    assert browser.post("/language", data={"lang": "ko"}).status_code == 400
    assert 'lang="en"' in browser.get("/login").get_data(as_text=True)
