"""The two checkers every page of the browser journeys goes through: axe-core (accessibility,
WCAG 2.1 A and AA) and the Nu HTML checker (vnu, valid HTML).

Both come from npm (`package.json` at the root; `npm ci` in `scripts/setup.sh test`); the Nu
checker also needs Java (Debian's `default-jre-headless`).

How a page gets checked:
- The live server notes every full HTML page it answers to a browser context (its URL, status,
  Flask endpoint, language and body, exactly as sent), tagged with the context it went to.
- When the test ends, each *page kind* not yet checked in this test process — the endpoint,
  the status, the language, JavaScript on or off — is checked once, so the suite stays fast:
  - its body goes to ONE Nu checker server per test process (started with the first browser
    test, waited for on first use); the HTML is the same with or without JavaScript, so this
    is once per endpoint, status and language;
  - the same body is served again, from memory, to a checker page with the visiting context's
    viewport, where axe runs (with the page's own scripts only if that context had JavaScript).
- Any error or violation fails the test that visited the page, listed readably.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CONTEXT_HEADER = "X-Canoe-Test-Context"  # which browser context asked: how a page is traced back to it

_LANG = re.compile(r"<html[^>]*\blang=\"([^\"]+)\"", re.IGNORECASE)
_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""


@dataclass(frozen=True)
class SeenPage:
    """One full HTML page the live server sent to a browser context."""

    context: int
    url: str
    endpoint: str
    status: int
    body: str

    @property
    def lang(self) -> str:
        found = _LANG.search(self.body)
        return found.group(1) if found else "?"


@dataclass(frozen=True)
class ContextShape:
    """What a checker page copies from the context that saw a page."""

    width: int
    height: int
    java_script_enabled: bool


def missing_tools() -> str | None:
    """Why the checkers cannot run here (None when they can)."""
    if not AXE_JS.exists() or not VNU_JAR.exists():
        return "the page checkers are not installed (run `npm ci` at the repository root: axe-core and vnu-jar)"
    if subprocess.run(["sh", "-c", "command -v java"], capture_output=True).returncode != 0:
        return "java is not installed (apt-get install default-jre-headless): the Nu HTML checker cannot run"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NuChecker:
    """One Nu HTML checker server (vnu.jar's servlet) on a free local port, started on first use."""

    def __init__(self, jar: Path = VNU_JAR):
        self.jar = jar
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.ready = False

    def launch(self) -> None:
        """Start the server without waiting for it: Java takes a few seconds to wake, meanwhile the
        first test runs."""
        if self.process is not None:
            return
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.process = subprocess.Popen(
            ["java", "-Xss1024k", "-cp", str(self.jar), "nu.validator.servlet.Main", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.ready = False

    def wait(self) -> None:
        self.launch()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Nu HTML checker stopped at start (exit {self.process.returncode})")
            try:
                with urllib.request.urlopen(self.url, timeout=5):
                    self.ready = True
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError("the Nu HTML checker did not answer within 180 s")

    def errors(self, html: str) -> list[dict]:
        """The checker's errors for a document (warnings and notes left out)."""
        if not self.ready:
            self.wait()
        request = urllib.request.Request(
            f"{self.url}?out=json", data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            messages = json.load(answer)["messages"]
        return [m for m in messages if m.get("type") in {"error", "non-document-error"}]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            self.ready = False


class AxeChecker:
    """axe-core in a checker page of its own context: each page is served from memory and checked."""

    def __init__(self, browser, source: str | None = None):
        self.browser = browser
        self.source = source
        self.context = None
        self.page = None
        self._served: dict[str, str] = {}  # URL -> the body the checker page gets for it
        self._scripts_on = True

    def _open(self) -> None:
        if self.source is None:
            self.source = AXE_JS.read_text(encoding="utf-8")
        # axe needs JavaScript itself; a page seen without it is checked with its own scripts refused.
        self.context = self.browser.new_context(java_script_enabled=True)
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        request = route.request
        if request.url in self._served and request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self._served[request.url])
        elif request.resource_type == "script" and not self._scripts_on:
            route.abort()
        else:
            route.continue_()

    def violations(self, url: str, html: str, shape: ContextShape) -> list[dict]:
        if self.page is None:
            self._open()
        self._served = {url: html}
        self._scripts_on = shape.java_script_enabled
        self.page.set_viewport_size({"width": shape.width, "height": shape.height})
        self.page.goto(url, wait_until="load")
        self.page.evaluate(self.source)
        return self.page.evaluate(_AXE_RUN, AXE_TAGS)

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = self.page = None


def page_kind(page: SeenPage, shape: ContextShape) -> tuple:
    return (page.endpoint, page.status, page.lang, "js" if shape.java_script_enabled else "no-js")


def describe_kind(kind: tuple) -> str:
    endpoint, status, lang, js = kind
    return f"{endpoint} ({status}, {lang}, {js})"


def nu_lines(errors: list[dict]) -> list[str]:
    lines = []
    for e in errors:
        extract = " ".join((e.get("extract") or "").split())
        lines.append(f"    Nu, line {e.get('lastLine', '?')}: {e.get('message', '')}" + (f"  «{extract}»" if extract else ""))
    return lines


def axe_lines(violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"    axe {v['id']} ({v.get('impact') or '?'}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join(node["summary"].split())
            lines.append(f"      at {node['target']}: {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"      … and {len(v['nodes']) - 5} more")
    return lines


class PageChecks:
    """Both checkers, and the page kinds this test process has already checked."""

    def __init__(self, browser, nu: NuChecker | None = None, axe: AxeChecker | None = None):
        self.nu = nu or NuChecker()
        self.axe = axe or AxeChecker(browser)
        self.checked: set[tuple] = set()
        self.validated: set[tuple] = set()  # the HTML is the same with or without JavaScript: validated once

    def warm(self) -> None:
        self.nu.launch()

    def check(self, pages: list[SeenPage], shapes: dict[int, ContextShape]) -> list[str]:
        """A readable report of what is wrong with the pages of kinds not checked before ([] if all is well)."""
        report = []
        for page in pages:
            shape = shapes.get(page.context)
            if shape is None:
                continue
            kind = page_kind(page, shape)
            if kind in self.checked:
                continue
            self.checked.add(kind)
            found = []
            if kind[:3] not in self.validated:
                self.validated.add(kind[:3])
                found += nu_lines(self.nu.errors(page.body))
            found += axe_lines(self.axe.violations(page.url, page.body, shape))
            if found:
                report.append(f"  {page.url} — {describe_kind(kind)}, {shape.width}px:")
                report.extend(found)
        return report

    def close(self) -> None:
        self.axe.close()
        self.nu.stop()
