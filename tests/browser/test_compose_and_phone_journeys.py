"""On a phone and while writing, in a real browser.

At 390 px the top bar is one row (the name and a menu that opens without JavaScript), a group
page has one search box (searching that group) and its tabs stay on one line that scrolls, the
current tab in view; at 1280 px the menu's contents stand in the row. A preview shows the text
as it will be saved, with JavaScript (in place) and without (the form comes back, text kept);
@mention completion offers the group's members and is driven by the keyboard.
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.archive.models import Thread
from app.core.extensions import db

from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def coop(live_server):
    """Ana's co-op with Ben, Jiho (이지호, who reads Korean) and Bea; Bo belongs to another group."""
    ana = live_server.make_user("ana", name="Ana Lima")
    ben = live_server.make_user("ben", name="Ben Okafor")
    jiho = live_server.make_user("jiho", locale="ko", name="이지호")
    bea = live_server.make_user("bea", name="Bea Quinn")
    bo = live_server.make_user("bo", name="Bo Elsewhere")
    live_server.make_group(ana, "Riverside Food Co-op", "riverside",
                           members=[(ben, "member"), (jiho, "member"), (bea, "member")])
    live_server.make_group(bo, "Another Co-op", "another")
    return ana


def threads_in(live_server) -> int:
    with live_server.app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Thread))
        db.session.remove()
        return count


def box(page, selector: str) -> dict:
    return page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; }",
                         selector)


# ---------------------------------------------------------------- the header on a phone and a desktop


@JS
@pytest.mark.parametrize("who", ["ana", "jiho"], ids=["en", "ko"])
def test_at_390px_one_row_a_menu_one_search_box_and_tabs_that_scroll(new_context, coop, console, who,
                                                                      java_script_enabled):
    page = new_context(java_script_enabled=java_script_enabled, **PHONE).new_page()
    log_in(page, f"{who}@example.org")
    page.goto("/g/riverside/members")

    # One row: the name and the menu button, nothing else showing.
    menu = page.locator("header.topbar .menu > summary")
    expect(menu).to_be_visible()
    assert box(page, "header.topbar")["height"] < 70
    assert abs(box(page, ".brand")["top"] - box(page, ".menu > summary")["top"]) < 12
    nav = page.get_by_role("navigation", name=re.compile("Main|주 메뉴"))
    expect(nav).to_be_hidden()

    # The menu opens (a <details>: no script needed), on screen, with the group's search box.
    menu.click()
    expect(nav).to_be_visible()
    panel = box(page, ".menu-panel")
    assert panel["left"] >= 0 and panel["right"] <= 390
    expect(page.locator("input[type=search]")).to_have_count(1)
    search = page.locator("#topbar-q")
    expect(search).to_be_visible()
    expect(page.locator(".topbar-search input[name=group]")).to_have_value("riverside")
    expect(nav.locator("#bell")).to_be_visible()

    # The group's tabs: one line that scrolls sideways, the current one (far right) in view.
    tabs = page.locator("ul.tabs > li")
    tops = {round(t) for t in tabs.evaluate_all("(items) => items.map((li) => li.getBoundingClientRect().top)")}
    assert len(tops) == 1, f"the tabs wrap onto {len(tops)} lines"
    current = page.locator("ul.tabs a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("href", "/g/riverside/members")
    if who == "ana":  # English labels are wider than the phone
        assert page.evaluate("() => { const t = document.querySelector('ul.tabs'); return t.scrollWidth > t.clientWidth; }")
    tab, strip = box(page, "ul.tabs a[aria-current=page]"), box(page, "ul.tabs")
    assert strip["left"] - 1 <= tab["left"] and tab["right"] <= strip["right"] + 1, "the current tab is out of view"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"

    if java_script_enabled:  # Escape closes the menu and gives focus back to its button
        search.focus()
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        expect(menu).to_be_focused()
        menu.click()

    # Searching from the menu searches the group.
    search.fill("soap")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?group=riverside&q=soap$"))
    console.check()


def test_at_1280px_everything_stands_in_one_row(new_context, coop, console):
    page = new_context(width=1280).new_page()
    log_in(page, "ana@example.org")
    page.goto("/g/riverside")
    expect(page.locator(".menu > summary")).to_be_hidden()
    needs = page.get_by_role("link", name="Needs you", exact=True)
    expect(needs).to_be_visible()
    expect(page.locator("#topbar-q")).to_be_visible()
    expect(page.locator("input[type=search]")).to_have_count(1)
    assert box(page, "header.topbar")["height"] < 70
    assert abs(box(page, ".brand")["top"] - box(page, "#bell")["top"]) < 16
    needs.click()
    expect(page).to_have_url(re.compile(r"/needs-me$|/needs$|/me/needs"))
    console.check()


# ---------------------------------------------------------------- preview


@JS
def test_previewing_a_new_thread_shows_it_as_saved_and_keeps_the_text(new_context, live_server, coop, console,
                                                                       java_script_enabled):
    js = java_script_enabled
    page = new_context(java_script_enabled=js).new_page()
    log_in(page, "ana@example.org")
    page.goto("/g/riverside/threads/new")
    if js:
        page.evaluate(MARKER)
    page.get_by_label("Title").fill("Soap for the kitchen")
    body = "We need **soap**, @ben.\n\n<script>alert(1)</script>"
    page.get_by_label("What do you want to talk about?").fill(body)
    page.get_by_role("button", name="Preview", exact=True).click()

    preview = page.locator("#preview-body")
    expect(preview.locator(".prose strong")).to_have_text("soap")
    expect(preview.locator(".prose a.mention")).to_have_attribute("href", "/u/ben")
    expect(preview.locator(".prose")).to_contain_text("<script>alert(1)</script>")  # shown as text
    expect(preview.get_by_role("heading", name=re.compile("Preview"))).to_be_focused()
    if js:
        assert page.evaluate(SAME_PAGE), "the preview reloaded the page"
    expect(page.get_by_label("Title")).to_have_value("Soap for the kitchen")
    expect(page.get_by_label("What do you want to talk about?")).to_have_value(body)

    # Nothing was saved; the form still saves (to its own address, not the preview's).
    assert threads_in(live_server) == 0
    page.get_by_role("button", name="Start thread").click()
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
    expect(page.locator(".thread .prose strong").first).to_have_text("soap")
    assert threads_in(live_server) == 1
    console.check()


@JS
def test_previewing_a_reply(new_context, coop, console, java_script_enabled):
    js = java_script_enabled
    page = new_context(java_script_enabled=js).new_page()
    log_in(page, "ben@example.org")
    page.goto("/g/riverside/threads/new")
    page.get_by_label("Title").fill("Market day")
    page.get_by_label("What do you want to talk about?").fill("Who opens the stall?")
    page.get_by_role("button", name="Start thread").click()
    if js:
        page.evaluate(MARKER)
    page.get_by_label("Add to the conversation").fill("I can, at *eight*.")
    page.locator("#reply-form-top").get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-reply-top .prose em")).to_have_text("eight")
    expect(page.get_by_label("Add to the conversation")).to_have_value("I can, at *eight*.")
    expect(page.locator("#comments > li.comment")).to_have_count(0)
    if js:
        assert page.evaluate(SAME_PAGE)
    page.locator("#reply-form-top").get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#comments > li.comment")).to_have_count(1)
    expect(page.locator("#comments .prose em")).to_have_text("eight")
    console.check()


# ---------------------------------------------------------------- @mention completion


def test_mention_completion_by_keyboard(new_context, coop, console):
    page = new_context().new_page()
    log_in(page, "ana@example.org")
    page.goto("/g/riverside/threads/new")
    page.get_by_label("Title").fill("Who is around?")
    text = page.get_by_label("What do you want to talk about?")
    text.click()
    text.press_sequentially("Thanks @b", delay=30)

    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    # The group's Ben and Bea; Bo, of another group, never.
    expect(options).to_have_count(2)
    expect(listbox).not_to_contain_text("Bo Elsewhere")
    expect(text).to_have_attribute("aria-expanded", "true")
    expect(text).to_have_attribute("role", "combobox")
    first = options.nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(text).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(text).to_be_focused()

    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(text).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    chosen = second.get_attribute("data-handle")
    page.keyboard.press("Enter")
    expect(text).to_have_value(f"Thanks @{chosen} ")
    expect(listbox).to_be_hidden()
    expect(text).not_to_have_attribute("aria-expanded", "true")

    # Escape closes the list and leaves the letters as typed; Tab chooses too; Korean names match.
    text.press_sequentially("and @b", delay=30)
    expect(page.get_by_role("listbox")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(text).to_have_value(f"Thanks @{chosen} and @b")
    text.press_sequentially("e", delay=30)
    expect(page.get_by_role("listbox")).to_be_hidden()  # closed for this @ until it is left
    text.press_sequentially(" @이", delay=30)
    expect(page.get_by_role("option")).to_have_text(re.compile("이지호"))
    page.keyboard.press("Tab")
    expect(text).to_have_value(f"Thanks @{chosen} and @be @jiho ")
    expect(text).to_be_focused()

    page.get_by_role("button", name="Start thread").click()
    expect(page.locator(".thread .prose a.mention")).to_have_count(2)
    console.check()


def test_without_javascript_a_typed_mention_still_works(new_context, coop, console):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "ana@example.org")
    page.goto("/g/riverside/threads/new")
    page.get_by_label("Title").fill("Hello")
    page.get_by_label("What do you want to talk about?").fill("Hi @jiho")
    page.get_by_role("button", name="Start thread").click()
    expect(page.locator(".thread .prose a.mention")).to_have_attribute("href", "/u/jiho")
    console.check()
