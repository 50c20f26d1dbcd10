"""Login is rate-limited per account and per IP; only failed attempts count.

Each test builds its own app with limits on, after any fixture's app: the limiter is one
object shared by every app, and the last app built sets it up.
"""
import pytest

from tests.accounts.helpers import html_lang, registration, text, user_count
from tests.conftest import PASSWORD

THROTTLED = "Too many login attempts. Please wait a few minutes and try again."


def from_ip(number: int) -> dict:
    return {"REMOTE_ADDR": f"203.0.113.{number}"}  # documentation addresses: nothing is sent anywhere


@pytest.fixture
def limited(make_app, make_user):
    """A client on an app allowing 3 failed logins per account and 5 per IP in 10 minutes."""
    make_user("minji")
    app = make_app(
        RATELIMIT_ENABLED=True,
        CANOE_LOGIN_LIMIT_PER_ACCOUNT="3 per 10 minutes",
        CANOE_LOGIN_LIMIT_PER_IP="5 per 10 minutes",
    )
    return app.test_client()


def login(client, email="minji@example.org", password="wrong password", ip=1, **headers):
    return client.post("/login", data={"email": email, "password": password}, environ_base=from_ip(ip), headers=headers)


def test_many_wrong_passwords_for_one_account_are_throttled_even_from_many_ips(limited):
    for ip in range(1, 4):
        assert login(limited, ip=ip).status_code == 422
    response = login(limited, ip=4)
    assert response.status_code == 429
    assert THROTTLED in text(response)
    assert 'name="password"' in text(response)  # the login form again, not a bare error page


def test_a_throttled_account_is_refused_even_with_the_right_password(limited):
    for _ in range(3):
        login(limited)
    assert login(limited, password=PASSWORD, ip=9).status_code == 429


def test_the_account_limit_ignores_the_email_case(limited):
    for email in ("minji@example.org", "MINJI@example.org", " Minji@Example.org"):
        login(limited, email=email)
    assert login(limited).status_code == 429


def test_the_account_limit_leaves_other_accounts_alone(limited):
    for _ in range(3):
        login(limited)
    assert login(limited, email="someone@example.org", ip=2).status_code == 422


def test_many_emails_from_one_ip_are_throttled(limited):
    for n in range(5):
        assert login(limited, email=f"guess{n}@example.org").status_code == 422
    response = login(limited, email="another@example.org")
    assert response.status_code == 429
    assert THROTTLED in text(response)
    assert login(limited, email="another@example.org", ip=2).status_code == 422


def test_successful_logins_do_not_count(limited):
    for _ in range(8):
        assert login(limited, password=PASSWORD).status_code == 302
        limited.post("/logout", environ_base=from_ip(1))
    assert login(limited, password=PASSWORD).status_code == 302


def test_the_throttled_login_page_speaks_korean_to_a_korean_browser(limited):
    for _ in range(3):
        login(limited)
    response = login(limited, **{"Accept-Language": "ko"})
    assert response.status_code == 429
    assert html_lang(response) == "ko"
    assert 'name="password"' in text(response)
    assert "로그인 시도가 너무 많았습니다." in text(response)


def test_viewing_the_login_page_is_never_limited(limited):
    for _ in range(4):
        login(limited)
    assert limited.get("/login", environ_base=from_ip(1)).status_code == 200


# ---------------------------------------------------------------- registration

SIGN_UPS_THROTTLED = "Too many sign-ups from your network in a short time. Please wait a while and try again."


@pytest.fixture
def sign_ups(app, make_user, make_app):
    """A client on an app allowing 3 registration attempts per IP (built last: see the top)."""
    return make_app(RATELIMIT_ENABLED=True, CANOE_REGISTER_LIMIT_PER_IP="3 per hour").test_client()


def register(client, n: int, ip=1, **headers):
    form = registration(email=f"person{n}@example.org", handle=f"person{n}")
    return client.post("/register", data=form, environ_base=from_ip(ip), headers=headers)


def test_registrations_from_one_address_are_throttled(sign_ups, app):
    for n in range(3):
        assert register(sign_ups, n).status_code == 302
        sign_ups.post("/logout", environ_base=from_ip(1))
    response = register(sign_ups, 3)
    assert response.status_code == 429
    assert SIGN_UPS_THROTTLED in text(response)
    assert 'name="handle"' in text(response)  # the form again, not a bare error page
    assert user_count(app) == 3
    assert register(sign_ups, 4, ip=2).status_code == 302  # another address is not held up


def test_failed_registrations_count_too(sign_ups, make_user):
    make_user("minji")
    for _ in range(3):  # probing whether an address has an account
        response = sign_ups.post("/register", data=registration(), environ_base=from_ip(1))
        assert response.status_code == 422
    assert sign_ups.post("/register", data=registration(), environ_base=from_ip(1)).status_code == 429


def test_the_registration_page_itself_is_never_limited(sign_ups):
    for n in range(4):
        register(sign_ups, n)
        sign_ups.post("/logout", environ_base=from_ip(1))
    assert sign_ups.get("/register", environ_base=from_ip(1)).status_code == 200


def test_the_throttled_registration_page_speaks_korean(sign_ups):
    for n in range(3):
        register(sign_ups, n)
        sign_ups.post("/logout", environ_base=from_ip(1))
    response = register(sign_ups, 3, **{"Accept-Language": "ko"})
    assert response.status_code == 429
    assert html_lang(response) == "ko"
    assert "가입 시도가 너무 많았습니다" in text(response)
