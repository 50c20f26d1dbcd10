from urllib.parse import urlsplit

import pytest

from tests.accounts.helpers import is_logged_in, text
from tests.conftest import PASSWORD

NO_MATCH = "That email and password don't match an account."

OPEN_REDIRECTS = [
    "//evil.com",
    "https://evil.com",
    "http://evil.com/groups",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:/evil.com",
    "http:evil.com",
    "%2F%2Fevil.com",
    " //evil.com",
    "\t//evil.com",
    "/\t/evil.com",
    "////evil.com",
    "///evil.com",
    "/\\/evil.com",
    "evil.com",
    "@evil.com",
    "/groups\r\nLocation: https://evil.com",
]


def cookie_names(response) -> set[str]:
    return {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}


def test_the_right_password_logs_you_in(client, auth, make_user):
    response = auth.login(make_user("minji"))
    assert response.status_code == 302
    assert response.location == "/groups"
    assert is_logged_in(client)


def test_email_case_and_spaces_do_not_matter_at_login(client, auth, make_user):
    make_user("minji")
    assert auth.login(" MINJI@Example.org ").status_code == 302
    assert is_logged_in(client)


def test_wrong_password_and_unknown_email_get_the_same_message(client, auth, make_user):
    make_user("minji")
    wrong_password = auth.login("minji@example.org", "not the password")
    unknown_email = auth.login("nobody@example.org", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 422
    assert NO_MATCH in text(wrong_password)
    assert NO_MATCH in text(unknown_email)
    assert not is_logged_in(client)


def test_the_no_match_message_is_in_the_visitors_language(client, make_user):
    make_user("minji")
    response = client.post("/login", data={"email": "minji@example.org", "password": "nope"}, headers={"Accept-Language": "ko"})
    assert "이메일과 비밀번호가 맞는 계정이 없습니다." in text(response)


@pytest.mark.parametrize("form", [{}, {"email": "minji@example.org"}, {"password": PASSWORD}])
def test_a_missing_field_gets_a_message_not_a_500(client, form):
    response = client.post("/login", data=form)
    assert response.status_code == 422
    assert "Enter your" in text(response)


def test_a_json_body_is_refused_not_a_500(client, make_user):
    make_user("minji")
    response = client.post("/login", json={"email": 1, "password": ["x"], "remember": {"a": 1}})
    assert response.status_code == 422
    assert not is_logged_in(client)


def test_remember_me_sets_the_remember_cookie(auth, make_user):
    response = auth.login(make_user("minji"), remember="y")
    assert "remember_token" in cookie_names(response)


def test_without_remember_me_there_is_no_remember_cookie(auth, make_user):
    response = auth.login(make_user("minji"))
    assert "session" in cookie_names(response)
    assert "remember_token" not in cookie_names(response)


def test_logout_logs_you_out(client, auth, make_user):
    auth.login(make_user("minji"))
    response = auth.logout()
    assert response.status_code == 302
    assert response.location == "/login"
    assert not is_logged_in(client)


def test_logout_is_post_only(client, auth, make_user):
    auth.login(make_user("minji"))
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_login_follows_a_local_next(client, auth, make_user):
    response = client.post("/login?next=/settings%3Ftab%3D1", data={"email": make_user("minji").email, "password": PASSWORD})
    assert response.location == "/settings?tab=1"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_follows_next_off_the_site(client, make_user, target):
    user = make_user("minji")
    response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/groups"


@pytest.mark.parametrize("raw", ["%2F%2Fevil.com", "%2F%5Cevil.com", "%5C%5Cevil.com", "https%3A%2F%2Fevil.com", "/%09/evil.com"])
def test_login_never_follows_an_encoded_next_off_the_site(client, make_user, raw):
    user = make_user("minji")
    response = client.post(f"/login?next={raw}", data={"email": user.email, "password": PASSWORD})
    assert urlsplit(response.location).netloc == ""
    assert response.location == "/groups"


def test_an_already_logged_in_visitor_to_login_is_sent_on_but_never_off_site(client, auth, make_user):
    auth.login(make_user("minji"))
    assert client.get("/login?next=/settings").location == "/settings"
    assert client.get("/login", query_string={"next": "//evil.com"}).location == "/groups"
