"""Small helpers shared by the accounts tests: read the page, read the database."""
import html
import re

from sqlalchemy import func, select

from app.accounts.models import User
from app.core.extensions import db
from tests.conftest import PASSWORD


def registration(**overrides) -> dict:
    """A registration form that would succeed, with some fields changed."""
    form = {
        "email": "minji@example.org",
        "display_name": "Minji Kim",
        "handle": "minji",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    form.update(overrides)
    return form


def text(response) -> str:
    """The page as a person reads it: HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True)).group(1)


def csrf_token(response) -> str:
    """The CSRF token a page's form carries."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def stored_user(app, handle: str) -> User | None:
    """The person as the database has them now (detached, safe to read after the request)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.handle == handle))
        if user is not None:
            db.session.expunge(user)
        return user


def is_logged_in(client) -> bool:
    return client.get("/profile").status_code == 200
