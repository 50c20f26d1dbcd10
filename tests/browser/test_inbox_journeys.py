"""The inbox and the timeline in a real browser, on a 390 px phone, in Korean and in English:
each notification is one link that marks it read; a vote request on a closed proposal says so;
dates read "just now" / "방금" with the full date on hover."""
import re

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.core.extensions import db
from app.decisions import closing, proposals
from app.groups.models import Group
from tests.browser.journey import JS, log_in

WORDS = {
    "en": {"ask": "Ben Okafor proposed “Paint the door”. Your vote is needed.",
           "closed": "Ben Okafor proposed “Fix the roof”.", "settled": "Closed — see the outcome",
           "new": "● new", "just_now": "just now", "heading": "Notifications"},
    "ko": {"ask": "Ben Okafor 님이 “Paint the door” 제안을 올렸습니다. 투표해 주세요.",
           "closed": "Ben Okafor 님이 “Fix the roof” 제안을 올렸습니다.", "settled": "마감됨 — 결론 보기",
           "new": "● 새 글", "just_now": "방금", "heading": "알림"},
}
LANGS = pytest.mark.parametrize("lang", ["ko", "en"])


@pytest.fixture
def coop(live_server):
    """Ana's co-op with Ben, who proposes two things; one of them has closed already."""
    def make(lang):
        ana = live_server.make_user("ana", locale=lang, name="Ana Lima")
        ben = live_server.make_user("ben", name="Ben Okafor")
        live_server.make_group(ana, "Riverside Food Co-op", "riverside", members=[(ben, "member")])
        with live_server.app.test_request_context():
            ben = db.session.scalar(db.select(User).where(User.handle == "ben"))
            ana = db.session.scalar(db.select(User).where(User.handle == "ana"))
            group = db.session.scalar(db.select(Group).where(Group.slug == "riverside"))
            roof = proposals.propose(ben, group, proposals.Draft(title="Fix the roof", body="Before winter."))
            closing.close(ana, roof)
            door = proposals.propose(ben, group, proposals.Draft(title="Paint the door", body="Blue."))
            ids = roof.id, door.id
            db.session.remove()
        return ids

    return make


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@LANGS
@JS
def test_inbox_items_are_links_that_mark_read_on_a_phone(new_context, live_server, coop, lang, java_script_enabled):
    roof, door = coop(lang)
    words = WORDS[lang]
    page = new_context(width=390, height=844, java_script_enabled=java_script_enabled).new_page()
    log_in(page, "ana@example.org")
    page.goto("/notifications")
    expect(page.get_by_role("heading", name=words["heading"])).to_be_visible()
    no_sideways_scroll(page)

    # Each item is one link named by its sentence; no separate "Open" button.
    ask = page.get_by_role("link", name=words["ask"], exact=True)
    expect(ask).to_be_visible()
    expect(page.locator(".notes button")).to_have_count(0)
    expect(page.locator(".notes li.note.unread")).to_have_count(2)

    # The closed proposal no longer asks for a vote, and is not drawn as a call to action.
    closed_item = page.locator("li.note", has=page.get_by_role("link", name=words["closed"], exact=True))
    expect(closed_item).to_have_class(re.compile(r"\bsettled\b"))
    expect(closed_item).to_contain_text(words["settled"])
    weight = closed_item.get_by_role("link").evaluate("a => getComputedStyle(a).fontWeight")
    assert weight == "400"
    assert ask.evaluate("a => getComputedStyle(a).fontWeight") == "600"

    # The date reads "just now"; the full date is its title (hover) and what a screen reader hears.
    stamp = page.locator("li.note time").first
    expect(stamp.locator("[aria-hidden=true]")).to_have_text(words["just_now"])
    title = stamp.get_attribute("title")
    assert title and re.search(r"\d{4}", title)
    expect(stamp.locator(".visually-hidden")).to_have_text(title)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.get_attribute("datetime"))
    stamp.hover()

    # Following the link opens the proposal and marks the note read.
    ask.click()
    expect(page).to_have_url(re.compile(rf"/p/{door}$"))
    page.goto("/notifications")
    expect(page.locator(".notes li.note.unread")).to_have_count(1)
    expect(page.locator("#bell .count")).to_have_text("1")

    # The closed one leads to the outcome.
    page.get_by_role("link", name=words["closed"], exact=True).click()
    expect(page).to_have_url(re.compile(rf"/p/{roof}#outcome$"))


@LANGS
def test_the_group_home_timeline_is_relative_with_the_full_date_on_hover(new_context, live_server, coop, lang):
    coop(lang)
    words = WORDS[lang]
    page = new_context(width=390, height=844).new_page()
    log_in(page, "ana@example.org")
    page.goto("/g/riverside")
    no_sideways_scroll(page)
    first = page.locator("ol.timeline > li").first
    expect(first.get_by_role("link")).to_have_text("Paint the door")
    stamp = first.locator("time")
    expect(stamp.locator("[aria-hidden=true]")).to_have_text(words["just_now"])
    stamp.hover()
    assert stamp.get_attribute("title") == stamp.locator(".visually-hidden").inner_text()
    # Membership and invitations fold into one line that leads to the full timeline.
    page.locator(".timeline-folded a").click()
    expect(page).to_have_url(re.compile(r"/g/riverside/timeline$"))
