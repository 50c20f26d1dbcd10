"""Screenshots of the main pages, wide and narrow, from a throw-away demo co-op.

    .venv/bin/python scripts/screenshots.py OUTDIR

Starts Canoe on a temporary SQLite database filled by `flask demo`, logs in as the demo
co-op's admin (minji@demo.canoe) in Debian's Chromium, and saves the group home, members,
invitations and login pages at 1280 and 375 pixels wide into OUTDIR, plus the group home at
1280 wide as docs/screenshot.png for the README.
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from app.web import create_app  # noqa: E402
from app.core.extensions import db  # noqa: E402

CHROMIUM = os.environ.get("CANOE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMAIL, PASSWORD = "minji@demo.canoe", "canoe-demo-2026"
WIDTHS = {"wide": 1280, "narrow": 375}
PAGES = [  # name, path, logged in
    ("group-home", "/g/sunshine", True),
    ("members", "/g/sunshine/members", True),
    ("invitations", "/g/sunshine/invitations", True),
    ("login", "/login", False),
]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


def demo_app(workdir: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'canoe.db'}",
            "SECRET_KEY": "screenshots-only",
            "CANOE_ENV": "development",
            "RATELIMIT_ENABLED": False,
        }
    )
    app.instance_path = str(workdir / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo"])
    if result.exit_code != 0:
        raise SystemExit(f"flask demo failed:\n{result.output}{result.exception!r}")
    return app


def log_in(context, base: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/login")
    page.locator("#email").fill(EMAIL)  # by id: the page is in Korean
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if "/login" in page.url:
        raise SystemExit(f"could not log in as {EMAIL}")
    page.close()


def shoot(browser, base: str, outdir: Path, readme_shot: Path) -> list[Path]:
    saved = []
    for label, width in WIDTHS.items():
        for logged_in in (True, False):
            context = browser.new_context(
                viewport={"width": width, "height": 900}, locale="ko-KR", timezone_id="Asia/Seoul"
            )
            try:
                if logged_in:
                    log_in(context, base)
                page = context.new_page()
                for name, path, needs_login in PAGES:
                    if needs_login != logged_in:
                        continue
                    response = page.goto(f"{base}{path}")
                    if response is None or response.status >= 400:
                        print(f"warning: {path} answered {response and response.status}", file=sys.stderr)
                    target = outdir / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
                    if name == "group-home" and label == "wide":
                        readme_shot.parent.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(readme_shot))
                        saved.append(readme_shot)
            finally:
                context.close()
    return saved


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="where to save the screenshots")
    args = parser.parse_args(argv)
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium (or set CANOE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    args.outdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="canoe-screenshots-"))
    app = server = thread = None
    try:
        app = demo_app(workdir)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                saved = shoot(browser, base, args.outdir, ROOT / "docs" / "screenshot.png")
            finally:
                browser.close()
        for path in saved:
            print(path)
    finally:
        if server is not None:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
