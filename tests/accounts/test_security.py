from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.security import safe_next
from tests.accounts.helpers import text
from tests.accounts.test_login import OPEN_REDIRECTS

HOME = "/home"


# ---------------------------------------------------------------- safe_next


# Each of these is, or becomes once a browser or proxy reads it, an address on another host.
ENCODED_AND_SPACED = [
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\t\\evil.example", "\t/\t/evil.example",
    "/%09/evil.example", "/%0A/evil.example", "/%0d/evil.example", "/%2F/evil.example", "/%2f%2fevil.example",
    "/%5Cevil.example", "/%5c/evil.example", "/%252F/evil.example", "/%25252F/evil.example", "/%2F%2Fevil.com",
    "%2F%2Fevil.example", "%5C%5Cevil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
    "///evil.example", "////evil.example", "//evil.example/groups", "https:evil.example", "https://evil.example/",
    "HTTPS://evil.example", "ftp://evil.example", "javascript:alert(1)", " javascript:alert(1)",
    "java\tscript:alert(1)", "/\x7f/evil.example", "/groups\x00", "\x00/groups", " /groups",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS + ENCODED_AND_SPACED + ["", None, "   ", "/\x00", "/groups\nx", 5, b"/groups"])
def test_safe_next_refuses_anything_but_a_local_path(target):
    assert safe_next(target, HOME) == HOME


# Percent-escapes that stay harmless once decoded stay as they are: the browser stays on this site.
@pytest.mark.parametrize("target", ["/", "/groups", "/groups/coop?tab=2#top", "/u/민지", "/u/%EB%AF%BC%EC%A7%80",
                                    "/search?q=%2F%2Fevil.example", "/search?q=a%5Cb", "/t/5#comment-3", "/a//b"])
def test_safe_next_keeps_a_local_path(target):
    assert safe_next(target, HOME) == target


def _is_local_path(url: str) -> bool:
    """What a browser would make of it: tab and newline dropped, escapes decoded, `\\` read as `/`."""
    seen = unquote(unquote(url)).replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    parts = urlsplit(seen)
    return url.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc


TRICKY = st.lists(
    st.sampled_from(["/", "\\", "//", ":", "http", "https:", "javascript:", "evil.com", "@", "%2F", "%5C", "%09", "%25",
                     " ", "\t", "\n", "\x00", ".", "?", "#", "민지"]),
    max_size=8,
).map("".join)


@given(st.one_of(st.text(), TRICKY))
def test_safe_next_gives_the_default_or_a_path_on_this_site(target):
    result = safe_next(target, HOME)
    assert result == HOME or _is_local_path(result)


# ---------------------------------------------------------------- headers and cookies


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/no-such-page"])
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/profile", "/settings", "/settings/password", "/u/minji"])
def test_logged_in_pages_send_the_security_headers_too(client, auth, make_user, path):
    auth.login(make_user("minji"))
    response = client.get(path)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


def _session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_is_httponly_and_samesite_lax(auth, make_user):
    cookie = _session_cookie(auth.login(make_user("minji")))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_not_secure_in_development(app, auth, make_user):
    assert app.config["CANOE_ENV"] == "development"
    assert "Secure" not in _session_cookie(auth.login(make_user("minji")))


def test_cookies_are_secure_in_production(make_app, make_user):
    user = make_user("minji")
    production = make_app(CANOE_ENV="production")
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    response = production.test_client().post("/login", data={"email": user.email, "password": "correct horse battery", "remember": "y"})
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "Secure" in cookie and "HttpOnly" in cookie


# ---------------------------------------------------------------- htmx and login


def sends_to_login(url: str, then: str) -> bool:
    parts = urlsplit(url)
    return parts.path == "/login" and parse_qs(parts.query) == {"next": [then]}


def test_an_htmx_request_for_a_login_page_gets_hx_redirect(client):
    response = client.get("/settings", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert sends_to_login(response.headers["HX-Redirect"], "/settings")
    assert "<form" not in text(response)


def test_a_plain_request_for_a_login_page_gets_a_302(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert sends_to_login(response.location, "/settings")
    assert "HX-Redirect" not in response.headers


# ---------------------------------------------------------------- error pages


def test_an_unknown_url_gets_the_404_page_with_a_message(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = text(response)
    assert 'class="error-page"' in page
    assert "There's nothing here." in page
    assert "Back to Canoe" in page


def test_a_wrong_method_gets_the_405_page(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "That page can't be used this way." in text(response)
