"""What the browser journeys share: with/without JavaScript, a same-page marker, logging in."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

JS = pytest.mark.parametrize("java_script_enabled", [True, False], ids=["js", "no-js"])
# Set on window before an htmx action; still there afterwards only if no full page load happened.
MARKER = "() => { window.__canoeMarker = 'still the same page'; }"
SAME_PAGE = "() => window.__canoeMarker === 'still the same page'"


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/groups$"))


def expect_said(page, message: str) -> None:
    """After an htmx action: the outcome is shown just before the swapped region, and said by the
    page's one live region (app.core.announce, static/js/canoe.js)."""
    expect(page.locator("[data-canoe-said]")).to_contain_text(message)
    expect(page.locator("#announce")).to_contain_text(message)
