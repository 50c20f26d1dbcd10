"""Who is asking, what may come back to them: sessions, safe redirects, headers, error pages."""
from urllib.parse import unquote, urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from jinja2_fragments import render_block
from sqlalchemy.exc import DataError, DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core import outage
from app.core.errors import Missing, NotAllowed
from app.core.extensions import db, htmx, login_manager
from app.core.i18n import locale_without_database

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


def safe_next(target, default: str) -> str:
    r"""`target` if it is a path on this site, else `default`. Every redirect to an address the
    visitor supplied (`next=`) goes through here.

    Refused: anything with a scheme or host (`https://…`, `javascript:`, `//host`), and every
    spelling a browser or proxy may turn into one — backslashes (`/\host`, `\\host`), control
    characters (browsers drop tab and newline, so `/<tab>/host` is `//host`), and the same
    tricks percent-encoded once or more (`/%2F/host`, `/%09/host`, `/%252F/host`).
    """
    if not isinstance(target, str) or not _is_local(target):
        return default
    decoded = target
    for _ in range(3):  # %252F → %2F → /
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            break
    path = decoded.split("?", 1)[0].split("#", 1)[0]
    return target if _is_local(path) else default


def _is_local(url: str) -> bool:
    """A path starting with one "/" and nothing a browser could read as the start of a host."""
    if any(c < " " or c == "\x7f" or c == "\\" for c in url):
        return False
    parts = urlsplit(url)
    return url.startswith("/") and not url.startswith("//") and not parts.scheme and not parts.netloc


def return_address() -> str | None:
    """The page a visitor sent to log in comes back to: never a fragment or a form's endpoint,
    which answer a GET with 405 or a bare piece of page.

    - htmx: the page the request was made from (`HX-Current-URL`, sent by htmx itself);
    - a GET: this very address (an htmx GET too, if it didn't say: without htmx it is a page);
    - a form (a POST): the page it was sent from (`Referer`).

    Only its path and query are kept, through `safe_next`: a header can't send anyone off-site.
    """
    source = request.headers.get("HX-Current-URL") if htmx else None
    if not source and request.method in ("GET", "HEAD"):
        source = request.full_path
    elif not source:
        source = request.referrer
    if not source:
        return None
    parts = urlsplit(source)
    return safe_next(parts.path + ("?" + parts.query if parts.query else ""), None)


def send_to_login():
    """To the login page, and back here afterwards (`return_address`). The answer depends on
    nothing but the address asked for, so it can't tell a private thing from a missing one."""
    login_url = url_for("accounts.login", next=return_address())
    flash(_l("Please log in to continue."), "info")
    if htmx:
        # htmx would swap a login page into a fragment; send the browser there instead.
        response = make_response("", 200)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


@login_manager.unauthorized_handler
def unauthorized():
    return send_to_login()


def _logging_in_may_help() -> bool:
    """A 404 (or 403) that logging in might turn into a page: an anonymous visitor asking for an
    address of the site's own (a private group's thread, a notification, …). Not a secret link
    (`/join/<token>`: a wrong one stays wrong), not a static file, not an address no route has."""
    return (
        request.url_rule is not None
        and request.endpoint != "static"
        and "token" not in (request.view_args or {})
        and not _signed_in()
    )


def not_found():
    """404 — or, for an anonymous visitor, the login page. Every 404 comes through here, so a
    private thread and a thread that never existed get the very same answer."""
    if _logging_in_may_help():
        return send_to_login()
    return render_error(404)


def not_allowed():
    """403 for someone logged in; an anonymous visitor may be allowed once logged in."""
    if _logging_in_may_help():
        return send_to_login()
    return render_error(403)


def render_error(code: int, message=None):
    body = render_template(
        "errors/error.html",
        code=code,
        title=ERROR_TITLES.get(code, ERROR_TITLES[500]),
        message=message or ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]),
    )
    return body, code


def render_unavailable(error):
    """503 while the database can't be reached, on a page that needs no database to show.

    Not `render_template`: its context processors load `current_user`, and base.html asks the
    database for the navigation. So the template is rendered by Jinja alone, in the language the
    request itself asks for (`locale_without_database`), and htmx gets just its `notice` block.
    """
    outage.mark_down()
    outage.rollback_quietly()
    current_app.logger.warning("database unavailable, answering 503 (%s)", type(error).__name__)
    context = {
        "lang": locale_without_database(),
        "sent": request.method not in ("GET", "HEAD"),
        "again": safe_next(request.full_path.rstrip("?"), "/"),
    }
    with force_locale(context["lang"]):
        if htmx:
            body = render_block(current_app.jinja_env, "errors/unavailable.html", "notice", **context)
        else:
            body = current_app.jinja_env.get_template("errors/unavailable.html").render(**context)
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(outage.RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"  # nobody should keep this page once the database is back
    response.headers["Content-Language"] = context["lang"]
    return response


def _signed_in() -> bool:
    """Whether someone is logged in. When the database can't say, assume they are: the
    stricter caching is the safe mistake, and /healthz must answer without the database."""
    if outage.database_down():
        return True
    try:
        return current_user.is_authenticated
    except SQLAlchemyError as error:
        if not outage.is_outage(error):
            raise
        outage.mark_down()
        return True


def _cache_control(response) -> None:
    """Who may keep a copy of a page. Static files keep Flask's caching; a view that says
    otherwise itself (an attachment, the calendar feed) is left alone. Else:

    - for someone logged in, and for a page reached by a secret link (`/join/<token>`, the
      unsubscribe page): `private, no-store` — nothing kept, not even by their own browser,
      so the back button on a shared computer shows nothing;
    - for an anonymous visitor of a public page: `private, no-cache` — no shared cache keeps
      it (pages carry a per-visitor CSRF token and language), their browser must ask again.
    """
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return
    private = _signed_in() or "token" in (request.view_args or {})
    response.headers["Cache-Control"] = "private, no-store" if private else "private, no-cache"


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
        _cache_control(response)
        return response

    def _http_error(e):
        # An exception that carries its own page (the login form when throttled) keeps it.
        if getattr(e, "response", None) is not None:
            return e.response
        if e.code in (403, 404) and _logging_in_may_help():
            return send_to_login()
        return render_error(e.code)

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _http_error)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _number_too_large(error):
        """An id past what the database can hold names nothing here: 404, not 500.

        SQLite can't bind it (OverflowError); PostgreSQL refuses it, "integer out of range" (22003).
        """
        if isinstance(error, DataError) and getattr(error.orig, "sqlstate", None) != "22003":
            raise error
        db.session.rollback()  # PostgreSQL's transaction is aborted; the error page still reads
        return not_found()

    # Services raise domain errors; this is the one place they become HTTP answers.
    # For an anonymous visitor both become the login page: logging in may help.
    app.register_error_handler(Missing, lambda e: not_found())
    app.register_error_handler(NotAllowed, lambda e: not_allowed())

    @app.errorhandler(CSRFError)
    def _csrf(e):
        # A button pressed with htmx after the browser lost its cookies: its token no longer
        # matches any session. Nobody is logged in, so log in again and come back to the page.
        if htmx and _logging_in_may_help():
            return send_to_login()
        return render_error(400, _l("This form had expired. Please go back, reload the page and try again."))

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_error(error):
        """The database out of reach (anywhere in a view, a before_request, the user loader, a
        template): 503. Any other database error is a bug and goes on to the 500 page."""
        if not outage.is_outage(error):
            raise error
        return render_unavailable(error)

    @app.errorhandler(500)
    def _server_error(e):
        # Reached by errors no handler took, including those raised by an error page or an
        # after_request function: one of them may be the database going away too.
        cause = getattr(e, "original_exception", None)
        if outage.is_outage(cause):
            return render_unavailable(cause)
        try:
            db.session.rollback()
            return render_error(500)
        except SQLAlchemyError as error:  # the error page itself needs the database (base.html)
            if not outage.is_outage(error):
                raise
            return render_unavailable(error)

    # Runs before Flask-SQLAlchemy's own teardown (registered earlier; teardowns run in reverse).
    app.teardown_appcontext(outage.release_session)
