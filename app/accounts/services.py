"""Accounts: who someone is and how they sign in."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_login import login_user
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import LoginSession, User
from app.core.database import utcnow
from app.core.errors import Refused
from app.core.extensions import db
from app.core.i18n import LOCALES, is_timezone

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
    """A new password ends every sign-in of this account, this one too (the route starts a new
    one here): whoever might have copied a cookie is out."""
    if not check_password_hash(user.password_hash, current):
        raise Refused(_l("Your current password is not right."), "current")
    user.password_hash = _hash(new)
    end_all_sessions(user)


# ---------------------------------------------------------------- sign-ins (one row per browser)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def session_lifetime() -> timedelta:
    """How long a sign-in lasts at most, remembered or not: as long as the remember cookie."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def start_session(user: User) -> str:
    """A new sign-in for this person; its key goes into the browser's cookies, its hash here.

    The person's sign-ins that have outlived `session_lifetime()` are swept away meanwhile.
    """
    db.session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.created_at <= utcnow() - session_lifetime()))
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, key_hash=_key_hash(key)))
    db.session.commit()
    user.login_key = key
    return key


def user_for_session(key) -> User | None:
    """The person a sign-in key belongs to, while that sign-in exists and is young enough."""
    if not isinstance(key, str) or not 32 <= len(key) <= 64:  # also old-style "id:token" ids
        return None
    user = db.session.scalar(
        select(User).join(LoginSession, LoginSession.user_id == User.id).where(
            LoginSession.key_hash == _key_hash(key), LoginSession.created_at > utcnow() - session_lifetime()))
    if user is not None:
        user.login_key = key
    return user


def sign_in(user: User, remember: bool = False) -> None:
    """Log this browser in with a sign-in of its own, which logging out ends (see user_for_session,
    flask-login's user loader).

    Always this, never flask-login's login_user alone: without a sign-in row the login
    lasts only for the current request."""
    start_session(user)
    login_user(user, remember=remember)


def end_session(key) -> None:
    """Log out one browser: its cookies, and every copy of them, stop working."""
    if isinstance(key, str) and key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _key_hash(key)))
        db.session.commit()


def end_all_sessions(user: User) -> None:
    """Sign out everywhere: every browser signed in as this person, remembered or not."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.commit()


def masked_email(email: str) -> str:
    """Enough of an address for its owner to recognise it: "minji@example.org" → "m***@example.org"."""
    name, at, domain = email.rpartition("@")
    if not at:
        return "***"
    return f"{name[:1]}***@{domain}"
