"""Accounts: who someone is and how they sign in."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import User, new_session_token
from app.errors import Refused
from app.extensions import db
from app.i18n import LOCALES, is_timezone

# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = None


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["CANOE_PASSWORD_METHOD"])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def user_by_handle(handle: str) -> User | None:
    return db.session.scalar(select(User).where(User.handle == normalise_handle(handle)))


def _check_unique(email: str | None, handle: str | None, exclude_id: int | None = None) -> None:
    if email is not None:
        found = db.session.scalar(select(User.id).where(func.lower(User.email) == email))
        if found and found != exclude_id:
            raise Refused(_l("An account with this email already exists. Log in instead?"), "email")
    if handle is not None:
        found = db.session.scalar(select(User.id).where(User.handle == handle))
        if found and found != exclude_id:
            raise Refused(_l("That handle is taken. Try another."), "handle")


def register(email: str, password: str, display_name: str, handle: str, locale: str | None = None) -> User:
    """A new account. Email and handle are unique whatever their case."""
    email, handle = normalise_email(email), normalise_handle(handle)
    _check_unique(email, handle)
    user = User(
        email=email,
        password_hash=_hash(password),
        display_name=display_name.strip(),
        handle=handle,
        locale=locale if locale in LOCALES else None,
    )
    db.session.add(user)
    _commit_unique()
    return user


def _commit_unique() -> None:
    # Two people racing for one handle: the database's unique index decides.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_l("That email or handle was taken a moment ago. Try another."))


def authenticate(email: str, password: str) -> User | None:
    global _DUMMY_HASH
    user = user_by_email(email)
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or _hash("not a password")
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def update_profile(user: User, display_name: str, handle: str) -> None:
    handle = normalise_handle(handle)
    _check_unique(None, handle, exclude_id=user.id)
    user.display_name = display_name.strip()
    user.handle = handle
    _commit_unique()


def update_settings(user: User, locale: str, timezone: str) -> None:
    if locale not in LOCALES:
        raise Refused(_l("Choose Korean or English."), "locale")
    if not is_timezone(timezone):
        raise Refused(_l("That isn't a time zone we know."), "timezone")
    user.locale = locale
    user.timezone = timezone
    db.session.commit()


def set_language(user: User | None, locale: str) -> None:
    if locale not in LOCALES:
        raise Refused(_l("Choose Korean or English."), "lang")
    if user is not None:
        user.locale = locale
        db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """A new password also signs out every other session of this account."""
    if not check_password_hash(user.password_hash, current):
        raise Refused(_l("Your current password is not right."), "current")
    user.password_hash = _hash(new)
    user.session_token = new_session_token()
    db.session.commit()
