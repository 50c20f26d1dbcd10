"""Search in a real browser: type a Korean word in the box on any page and open a result —
with JavaScript (results arrive as you type, the page stays) and without (a plain form)."""
import re

import pytest
from playwright.sync_api import expect

from app.search import service
from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in

# As a site runs: every save indexed as it is committed, into an index made when the site was.
pytestmark = pytest.mark.live_settings(CANOE_SEARCH_SYNC=True)


@pytest.fixture(autouse=True)
def index(live_server):
    with live_server.app.app_context():
        service.rebuild()


def write_thread(live_server, author, slug: str, title: str, body: str) -> int:
    from app.accounts.models import User
    from app.archive import threads
    from app.core.extensions import db
    from app.groups.models import Group

    with live_server.app.test_request_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == slug))
        thread = threads.start_thread(db.session.get(User, author.id), group, title, body)
        return thread.id


@JS
def test_a_korean_word_typed_in_the_search_box_opens_the_thread(new_context, live_server, java_script_enabled):
    minji = live_server.make_user("minji", locale="ko", name="김민지")
    outsider = live_server.make_user("sam", name="Sam")
    live_server.make_group(minji, "햇살 협동조합", "sunshine")
    live_server.make_group(outsider, "Other Co-op", "other")
    wanted = write_thread(live_server, minji, "sunshine", "11월 정기 회의록", "협동조합에서 돌봄 노동을 나누는 방법을 정했습니다.")
    write_thread(live_server, outsider, "other", "Private notes", "협동조합 비밀")

    page = new_context(java_script_enabled=java_script_enabled).new_page()
    log_in(page, "minji@example.org")
    page.goto("/groups")  # outside a group, the top bar searches everything
    everywhere = page.get_by_role("search", name="전체 검색").get_by_role("searchbox")  # minji reads Korean
    everywhere.fill("협동조합")
    everywhere.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=%ED%98%91"))
    hits = page.locator(".search-hit")
    expect(hits).to_have_count(1)
    expect(hits.locator("mark").first).to_have_text("협동조합")

    # Narrowing the words: with htmx the results change in place as the person types.
    if java_script_enabled:
        page.evaluate(MARKER)
    box = page.locator("#q")
    box.fill("돌봄 노동")
    if not java_script_enabled:
        box.press("Enter")
    expect(hits.locator("mark")).to_have_text(["돌봄", "노동"])
    if java_script_enabled:
        assert page.evaluate(SAME_PAGE), "typing a search reloaded the page"
        expect(page).to_have_url(re.compile(r"q=%EB%8F%8C"))  # the address follows, for back and sharing

    box.fill("없는말")
    if not java_script_enabled:
        box.press("Enter")
    expect(page.locator("#search-results")).to_contain_text("없는말")
    expect(hits).to_have_count(0)

    box.fill("회의록")
    if not java_script_enabled:
        box.press("Enter")
    hits.get_by_role("link", name="11월 정기 회의록").click()
    expect(page).to_have_url(re.compile(rf"/t/{wanted}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("11월 정기 회의록")
