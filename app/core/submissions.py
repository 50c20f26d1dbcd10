"""One submit, one post: a form that creates something is answered once per submission key.

A create form carries a random key, made when the form is shown (`app.core.forms.SubmitOnce`,
or `submission_key_field()` in a template). Its view is wrapped in `@once`:

- a POST whose key this person already used gets the first answer again — a 303 to where
  the first one led (`HX-Redirect` for htmx) and a calm "That was already sent" — and creates
  nothing;
- otherwise the key's row is added to the session and flushed *before* the view runs, so the
  view's own commit saves it in the same transaction as what it creates: after a crash there
  is never a thing without its key. A view that doesn't commit (a form with errors) leaves no
  row, and the key can be sent again once corrected;
- a twin POST with the same key (a double click) waits on the unique key while the first runs,
  then fails on it (IntegrityError) and answers as a repeat: never a second copy, never a 500;
- once the view has answered, where its answer leads is stored on the row (a second, small
  commit). A process that dies in between leaves the row without a place: a repeat is sent
  to the form's page, and still creates nothing.

A POST without a key (an old page, a script) works as before, unprotected; a malformed key or
one that belongs to someone else counts as no key, and says nothing about whose it is. Rows
older than `KEEP` are deleted now and then by the requests that add new ones.
"""
import logging
import re
import secrets
import time
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import flash, g, make_response, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db, htmx
from app.core.security import safe_next

log = logging.getLogger(__name__)

FIELD = "submission_key"  # the form field's name
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what `new_key` makes, with room; anything else is no key
LOCATION_MAX = 500  # the column's length: a longer address is not kept (the form's page is used)
KEEP = timedelta(days=1)  # a repeat comes within seconds; a day covers a laptop woken the next morning
PRUNE_EVERY_S = 600.0  # per process: how often a request that adds a key also deletes old ones
PRUNE_AT_MOST = 1000  # rows per pass, so a pass stays cheap however many piled up

DISCREET = "canoe.submission.discreet"
ALREADY_SENT = _l("That was already sent, so it was saved only once.")


class SubmissionKey(db.Model):
    """A key a create form was sent with, whose it is, and where its first answer led."""

    __tablename__ = "submission_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    location: Mapped[str] = mapped_column(String(LOCATION_MAX), default="")  # "" until the view has answered


def new_key() -> str:
    """A fresh key: 256 random bits, so nobody guesses another person's."""
    return secrets.token_urlsafe(32)


def well_formed(value) -> bool:
    return isinstance(value, str) and KEY_SHAPE.fullmatch(value) is not None


def submission_key_field(value: str | None = None) -> Markup:
    """The hidden input a create form carries: `value` if it is a key (a form shown again with
    its errors keeps its key), else a fresh one. No id: a page may hold several such forms."""
    key = value if well_formed(value) else new_key()
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(key)}">')


def init_app(app) -> None:
    """Templates of forms without a form object (a row's button, a raw form) call `submission_key_field()`."""
    app.jinja_env.globals["submission_key_field"] = submission_key_field


def once(view):
    """Answer a create view once per submission key (see the module's docstring)."""

    @wraps(view)
    def answered_once(*args, **kwargs):
        key = _posted_key()
        if key is None:
            return view(*args, **kwargs)
        user_id = current_user.id
        earlier = _row(key)
        if earlier is not None:  # someone else's key is no key: the view runs, and nothing tells whose it was
            return _again(earlier) if earlier.user_id == user_id else view(*args, **kwargs)
        claim = SubmissionKey(key=key, user_id=user_id, created_at=_today(), location="")
        db.session.add(claim)
        try:
            db.session.flush()  # holds the key now: a twin POST waits here until this one ends
        except IntegrityError:
            db.session.rollback()
            twin = _row(key)
            return _again(twin) if twin is not None and twin.user_id == user_id else view(*args, **kwargs)
        claimed = (claim.id, claim.created_at)
        response = make_response(view(*args, **kwargs))
        return _settle(key, user_id, claimed, response)

    answered_once.submitted_once = True  # kept by the decorators above it (functools.wraps): tests find these views
    return answered_once


def _today() -> datetime:
    """When a key was used, to the day only: enough to prune by, and no clock to set beside
    a ballot (see `discreet`)."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def discreet() -> None:
    """This submission's key must not say where it led: a vote on an anonymous proposal. Its
    row then holds only whose key it was and the day; a repeat is sent back to the form's page."""
    g.setdefault(DISCREET, True)


def _posted_key() -> str | None:
    """The key this POST carries, if it is one and someone is logged in to own it."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    key = request.form.get(FIELD)
    return key if well_formed(key) else None


def _row(key: str) -> SubmissionKey | None:
    return db.session.scalar(select(SubmissionKey).where(SubmissionKey.key == key))


def _settle(key: str, user_id: int, claimed: tuple, response):
    """After the view: note where a create led, or leave the key unused if nothing was created.

    The view has answered; if the database fails now, that answer still goes back (what it
    says happened did), and only the address a repeat would be sent to is lost.
    """
    try:
        # What the view didn't commit is dropped now rather than at the request's end; with it
        # a form's unused key, and SQLite's write lock.
        db.session.rollback()
        row = _row(key)
        if row is None:
            return response  # nothing was created: the key can be sent again
        if (row.id, row.created_at) != claimed:
            # A service rolled our key back (a refusal), and a twin POST created the thing meanwhile.
            return _again(row) if row.user_id == user_id else response
        where = "" if g.get(DISCREET) else _leads_to(response)
        db.session.execute(update(SubmissionKey).where(SubmissionKey.id == row.id).values(location=where))
        _prune_now_and_then()
        db.session.commit()
    except SQLAlchemyError:
        log.warning("could not note where the submission with a key led", exc_info=True)
        _rollback_quietly()
    return response


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the pool gives a new one to the next request
        pass


def _leads_to(response) -> str:
    """Where the first answer leads: its redirect, else the page the form was on."""
    target = response.headers.get("HX-Redirect") or response.headers.get("Location")
    if response.status_code in (301, 302, 303, 307, 308) or target:
        where = safe_next(target, "")
    else:
        where = _form_page()
    return where if len(where) <= LOCATION_MAX else ""


def _form_page() -> str:
    """The page the form was sent from, if it is this site's (htmx names it; a browser's Referer)."""
    sent_from = request.headers.get("HX-Current-URL") or request.referrer or ""
    parts = urlsplit(sent_from)
    if parts.netloc and parts.netloc != request.host:
        return ""
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "")


def _again(row: SubmissionKey):
    """The answer to a repeat: where the first answer led, and a calm word that it was kept once."""
    flash(ALREADY_SENT, "info")
    where = row.location or _form_page() or _group_page()
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = where
        return response
    return redirect(where, 303)


def _group_page() -> str:
    slug = (request.view_args or {}).get("slug")
    return url_for("groups.home", slug=slug) if isinstance(slug, str) else url_for("groups.index")


_last_prune = 0.0


def _prune_now_and_then() -> None:
    """Every `PRUNE_EVERY_S` seconds per process, delete some of the keys older than `KEEP`."""
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY_S:
        return
    _last_prune = time.monotonic()
    prune()


def prune(now: datetime | None = None, at_most: int = PRUNE_AT_MOST) -> int:
    """Delete up to `at_most` keys older than `KEEP` (oldest first; the caller commits). How many."""
    cutoff = (now or utcnow()) - KEEP
    oldest = (select(SubmissionKey.id).where(SubmissionKey.created_at < cutoff)
              .order_by(SubmissionKey.created_at).limit(at_most))
    gone = delete(SubmissionKey).where(SubmissionKey.id.in_(oldest)).execution_options(synchronize_session=False)
    return db.session.execute(gone).rowcount
