"""Who is asking, what may come back to them: sessions, safe redirects, headers, error pages."""
from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from app.extensions import db, htmx, login_manager

CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: _l("That request didn't make sense to us. Please go back and try again."),
    403: _l("You don't have permission to do that here."),
    404: _l("There's nothing here. It may have moved, or it may not be yours to see."),
    405: _l("That page can't be used this way."),
    413: _l("That upload is too large."),
    429: _l("Too many attempts in a short time. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Nothing you did caused it; please try again."),
}
ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    413: _l("Too large"),
    429: _l("Slow down"),
    500: _l("Something went wrong"),
}


def safe_next(target: str | None, default: str) -> str:
    """Follow `next` only to a path on this site: no scheme, no host, no `//` or `\\` tricks."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 for c in target) or "\\" in target:
        return default
    return target


@login_manager.user_loader
def load_user(session_id: str):
    from app.accounts.models import User

    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A password change renews the token, which signs out every other session.
    if user is None or user.session_token != token:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    login_url = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if htmx:
        # htmx would swap a login page into a fragment; send the browser there instead.
        response = make_response("", 200)
        response.headers["HX-Redirect"] = login_url
        return response
    flash(_l("Please log in to continue."), "info")
    return redirect(login_url)


def render_error(code: int, message=None):
    body = render_template(
        "errors/error.html",
        code=code,
        title=ERROR_TITLES.get(code, ERROR_TITLES[500]),
        message=message or ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]),
    )
    return body, code


def init_app(app) -> None:
    # Cookies are Secure outside development. configure_app's setdefault can't do this:
    # Flask's own defaults already hold SESSION_COOKIE_SECURE = False.
    if app.config["CANOE_ENV"] != "development":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.vary.add("HX-Request")
        return response

    def _http_error(e):
        # An exception that carries its own page (the login form when throttled) keeps it.
        if getattr(e, "response", None) is not None:
            return e.response
        return render_error(e.code)

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _http_error)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, _l("This form had expired. Please go back, reload the page and try again."))

    @app.errorhandler(500)
    def _server_error(e):
        db.session.rollback()
        return render_error(500)
