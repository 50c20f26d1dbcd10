"""People visiting the site through the test client, logged in through the login form with its
CSRF token (the security tests run with CSRF protection on, as production does)."""
import re
from dataclasses import dataclass

from tests.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Visitor:
    """A logged-in browser, kept as its cookies (so each request can start from a fresh client)
    and the CSRF token its session's forms carry."""

    app: object
    cookies: dict
    csrf: str

    def client(self):
        client = self.app.test_client()
        for key, value in self.cookies.items():
            client.set_cookie(key, value)
        return client


def log_in(app, email: str | None) -> Visitor:
    """A visitor logged in as `email` (None: an anonymous visitor with a session of their own)."""
    client = app.test_client()
    login_page = client.get("/login").text
    if email is not None:
        token = CSRF.search(login_page).group(1)
        response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, f"{email} could not log in"
    page = client.get("/settings" if email else "/login").text
    cookies = {key: client.get_cookie(key).value for key in ("session", "remember_token") if client.get_cookie(key)}
    return Visitor(app, cookies, CSRF.search(page).group(1))
