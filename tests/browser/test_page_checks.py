"""The page checkers themselves: a page with known faults is reported, readably, once per kind."""
import pytest

from tests.browser.page_checks import ContextShape, PageChecks, SeenPage

BAD_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A page with known faults</title></head>
<body><main>
  <h1>Faults</h1>
  <p style="color: #aaaaaa; background: #ffffff">Pale grey on white is hard to read.</p>
  <span aria-label="three unread">3</span>
  <time datetime="2026-12-03T10:00:00.123456">today</time>
</main></body>
</html>"""

GOOD_PAGE = """<!doctype html>
<html lang="ko">
<head><meta charset="utf-8"><title>괜찮은 쪽</title></head>
<body><main><h1>괜찮은 쪽</h1><p>읽기 쉬운 글.</p></main></body>
</html>"""


@pytest.fixture
def checks(page_checks, browser):
    """Both checkers of this test process, with no page kind counted as checked yet."""
    if page_checks is None:
        pytest.skip("the page checkers are not installed (npm ci; java)")
    return PageChecks(browser, nu=page_checks.nu, axe=page_checks.axe)


def test_the_nu_checker_reports_invalid_html(checks):
    messages = [e["message"] for e in checks.nu.errors(BAD_PAGE)]
    assert any("aria-label" in m and "span" in m for m in messages), messages
    assert any("fraction of a second" in m for m in messages), messages
    assert checks.nu.errors(GOOD_PAGE) == []


def test_axe_reports_text_without_enough_contrast(checks, live_server):
    shape = ContextShape(1280, 900, java_script_enabled=False)
    found = checks.axe.violations(f"{live_server.url}/checker/bad", BAD_PAGE, shape)
    assert [v["id"] for v in found] == ["color-contrast"], found
    assert checks.axe.violations(f"{live_server.url}/checker/good", GOOD_PAGE, shape) == []


def test_a_page_kind_is_reported_with_what_is_wrong_and_checked_once(checks, live_server):
    shapes = {0: ContextShape(390, 844, java_script_enabled=True)}
    seen = SeenPage(0, f"{live_server.url}/checker/bad", "checker.bad", 200, BAD_PAGE)
    report = "\n".join(checks.check([seen], shapes))
    assert "/checker/bad — checker.bad (200, en, js), 390px" in report
    assert "Nu, line 7:" in report and "aria-label" in report
    assert "axe color-contrast (serious)" in report and "at p" in report
    # The same kind again (another URL of the same endpoint): not checked twice in one process.
    again = SeenPage(0, f"{live_server.url}/checker/bad?again=1", "checker.bad", 200, BAD_PAGE)
    assert checks.check([again], shapes) == []
    # Pages the checkers find nothing wrong with make no report.
    good = SeenPage(0, f"{live_server.url}/checker/good", "checker.good", 200, GOOD_PAGE)
    assert checks.check([good], shapes) == []
