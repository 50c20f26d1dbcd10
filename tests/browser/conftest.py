"""Real-browser tests: Playwright driving Debian's Chromium against a live Canoe server.

- Every test in this folder is marked `browser` (`pytest -m "not browser"` leaves them out).
- Chromium comes from Debian (/usr/bin/chromium); Playwright's own download is not used.
  Missing chromium: the tests are skipped, loudly (a warning in the terminal summary names
  them), except under CI=true, where that is a failure.
- `live_server` serves this test's app (real CSRF, real rate limits) with werkzeug on
  127.0.0.1 and a free port. Settings for one test: `@pytest.mark.live_settings(NAME=value)`.
- `new_context(width=1280, height=900, java_script_enabled=True)` makes a browser context
  (one person) pointed at the live server; every page in it is watched for console errors,
  page errors and CSP violations, which fail the test.
- Every page a context is sent goes through axe-core and the Nu HTML checker (page_checks.py),
  each page kind once per test process; a violation fails the test that visited the page.
  Missing checkers (node_modules, java): the checks are skipped loudly, and under CI=true
  that is a failure.
"""
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import got_request_exception, request_finished
from flask import request as flask_request
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.page_checks import CONTEXT_HEADER, ContextShape, PageChecks, SeenPage, missing_tools
from tests.conftest import found_group, register_person

HERE = Path(__file__).resolve().parent
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = "chromium is not installed (apt-get install chromium): the real-browser tests cannot run"

_not_run: list[str] = []  # node ids of the browser tests skipped for want of chromium
_unchecked: list[str] = []  # node ids of the browser tests whose pages went unchecked for want of the checkers


# ---------------------------------------------------------------- pytest hooks


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "live_settings(**settings): app settings for this test's live server (browser tests)"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_runtest_logreport(report):
    if report.skipped and NO_CHROMIUM in str(report.longrepr):
        _not_run.append(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _unchecked:
        tr = terminalreporter
        tr.section("pages NOT CHECKED", sep="!", red=True, bold=True)
        tr.write_line(f"WARNING: {missing_tools()}.", red=True, bold=True)
        tr.write_line(f"{len(_unchecked)} browser test(s) ran without axe-core and the Nu HTML checker:", red=True)
        for nodeid in _unchecked:
            tr.write_line(f"  {nodeid}", red=True)
        tr.write_line("Under CI=true this is a failure.", red=True)
    if not _not_run:
        return
    tr = terminalreporter
    tr.section("browser tests NOT RUN", sep="!", red=True, bold=True)
    tr.write_line(f"WARNING: {NO_CHROMIUM}.", red=True, bold=True)
    tr.write_line(f"{len(_not_run)} browser test(s) were skipped:", red=True)
    for nodeid in _not_run:
        tr.write_line(f"  {nodeid}", red=True)
    tr.write_line("Under CI=true these are failures, not skips.", red=True)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no", "off"}


# ---------------------------------------------------------------- chromium and playwright


def find_chromium() -> str | None:
    explicit = os.environ.get("CANOE_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The path of Debian's chromium; fails under CI and skips (loudly) elsewhere when missing."""
    path = find_chromium()
    if path is None:
        if _in_ci():
            pytest.fail(f"{NO_CHROMIUM}, and browser tests must run in CI (CI is set).", pytrace=False)
        pytest.skip(f"{NO_CHROMIUM}.")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# ---------------------------------------------------------------- the live server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


@dataclass
class LiveServer:
    app: object
    url: str
    errors: list = field(default_factory=list)  # exceptions raised while answering requests
    pages: list = field(default_factory=list, repr=False)  # SeenPage: every full HTML page sent to a browser context

    def make_user(self, handle: str, locale: str = "en", name: str | None = None):
        """A registered person (email handle@example.org, the shared test password)."""
        return register_person(self.app, handle, locale, name)

    def make_group(self, creator, name: str, slug: str, description: str = "", visibility: str = "private", members=()):
        """A group made by `creator`; `members` is a list of (user, role) who join by invitation."""
        return found_group(self.app, creator, name, slug, description, visibility, members)


@pytest.fixture
def live_server(request, make_app):
    """This test's app, with real CSRF and rate limits, served over HTTP on 127.0.0.1."""
    marker = request.node.get_closest_marker("live_settings")
    settings = {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True, **(marker.kwargs if marker else {})}
    # Built last, so the (process-wide) rate limiter is configured by this app.
    app = make_app(**settings)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")

    def _record(sender, exception, **extra):
        live.errors.append(exception)

    def _note_page(sender, response, **extra):
        context = flask_request.headers.get(CONTEXT_HEADER)
        if (context is None or flask_request.headers.get("HX-Request") or response.mimetype != "text/html"
                or flask_request.headers.get("Sec-Fetch-Dest", "document") != "document"  # a script's fetch()
                or response.is_streamed or response.direct_passthrough):
            return  # not a page a person's browser shows whole
        live.pages.append(SeenPage(int(context), flask_request.url, flask_request.endpoint or "(no route)",
                                   response.status_code, response.get_data(as_text=True)))

    got_request_exception.connect(_record, app)
    request_finished.connect(_note_page, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        got_request_exception.disconnect(_record, app)
        request_finished.disconnect(_note_page, app)
    assert not live.errors, f"the server raised while answering: {live.errors!r}"


# ---------------------------------------------------------------- contexts and pages


# Reported to the page by Chromium before any of the page's own scripts run.
_CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


class ConsoleWatch:
    """Console errors, uncaught page errors and CSP violations of every page in a test."""

    def __init__(self):
        self.problems: list[str] = []
        self._statuses: dict[str, int] = {}  # document (or htmx 422) URL -> status, for answers meant to be 4xx

    def attach(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: uncaught error: {error}"))
        page.on("response", self._response)

    def _response(self, response) -> None:
        request = response.request
        if request.resource_type == "document":
            self._statuses[response.url] = response.status
        elif response.status == 422 and request.headers.get("hx-request") == "true":
            # htmx swaps a 422 in place (the form with its errors): working as designed too.
            self._statuses[response.url] = response.status

    def _console(self, page, message) -> None:
        if message.type not in {"error", "assert"}:
            return
        text = message.text
        where = message.location.get("url") or page.url
        # Chromium reports a 4xx *document* (a form re-shown with its errors: 422, 429) as a
        # failed load. That is the page working as designed, not a broken resource.
        status = self._statuses.get(where)
        if status and 400 <= status < 500 and text.startswith("Failed to load resource") and f" {status} " in text + " ":
            return
        self.problems.append(f"{where}: console {message.type}: {text}")

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def console():
    return ConsoleWatch()


# ---------------------------------------------------------------- axe-core and the Nu HTML checker


@pytest.fixture(scope="session")
def page_checks(browser):
    """Both page checkers for this test process (None where they are missing and CI is not set)."""
    missing = missing_tools()
    if missing and _in_ci():
        pytest.fail(f"{missing}, and every page must be checked in CI (CI is set).", pytrace=False)
    if missing:
        yield None
        return
    checks = PageChecks(browser)
    checks.warm()
    try:
        yield checks
    finally:
        checks.close()


def check_pages(request, page_checks, live_server, shapes: dict) -> None:
    """Fails the test if a page kind it was the first to visit has accessibility or HTML errors."""
    if page_checks is None:
        if live_server.pages:
            _unchecked.append(request.node.nodeid)
        return
    report = page_checks.check(live_server.pages, shapes)
    if report:
        pytest.fail("axe-core or the Nu HTML checker found problems on pages this test visited:\n"
                    + "\n".join(report), pytrace=False)


@pytest.fixture
def new_context(request, browser, live_server, console, page_checks):
    """new_context(width=1280, height=900, java_script_enabled=True) → a browser context (one person)."""
    made = []
    shapes: dict[int, ContextShape] = {}  # context number -> viewport and JavaScript, for the page checks

    def make(width: int = 1280, height: int = 900, java_script_enabled: bool = True, **options):
        options.setdefault("locale", "en-US")
        options.setdefault("timezone_id", "Asia/Seoul")
        number = len(made)
        headers = {**options.pop("extra_http_headers", {}), CONTEXT_HEADER: str(number)}
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            java_script_enabled=java_script_enabled,
            extra_http_headers=headers,
            **options,
        )
        context.set_default_timeout(10_000)
        context.add_init_script(_CSP_WATCH)
        context.on("page", console.attach)
        made.append(context)
        shapes[number] = ContextShape(width, height, java_script_enabled)
        return context

    yield make
    for context in made:
        context.close()
    try:
        console.check()
    finally:
        check_pages(request, page_checks, live_server, shapes)


@pytest.fixture
def page(new_context):
    """A page in a fresh 1280×900 context with JavaScript on."""
    return new_context().new_page()
