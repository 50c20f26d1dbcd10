"""The main journeys through Canoe in a real browser, once with JavaScript and once without.

Every page visited is watched for console errors, uncaught errors and CSP violations
(see conftest.py); with JavaScript on, htmx must load and take its settings from the page.
"""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from tests.conftest import PASSWORD

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
KO_CATALOG = Path(__file__).resolve().parents[2] / "app" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"


def korean(msgid: str) -> str | None:
    """The Korean catalog's translation of `msgid`, or None while it is untranslated."""
    with KO_CATALOG.open("rb") as f:
        message = read_po(f).get(msgid)
    return message.string if message is not None and message.string else None


def register(page, email: str, name: str, handle: str) -> None:
    """Fill a registration form (the register page's or the join page's) and send it."""
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Display name", exact=True).fill(name)
    page.get_by_label("Handle", exact=True).fill(handle)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again", exact=True).fill(PASSWORD)


def assert_htmx_ready(page, js: bool) -> None:
    """With JavaScript, htmx is loaded and has read the page's htmx-config; without, nothing ran."""
    # htmx reads its config on DOMContentLoaded; a page just navigated to by a click may not be there yet.
    page.wait_for_load_state("load")
    # Playwright's own evaluate works even where the page's scripts may not run.
    loaded = page.evaluate("() => typeof window.htmx !== 'undefined'")
    assert loaded is js, "htmx should load exactly when JavaScript is on"
    if js:
        config = page.evaluate(
            "() => ({allowEval: htmx.config.allowEval, selfRequestsOnly: htmx.config.selfRequestsOnly,"
            " historyRestoreAsHxRequest: htmx.config.historyRestoreAsHxRequest})"
        )
        assert config == {"allowEval": False, "selfRequestsOnly": True, "historyRestoreAsHxRequest": False}


def group_tab(page, name: str):
    return page.get_by_role("navigation", name="Group").get_by_role("link", name=name, exact=True)


@JS
def test_found_a_group_invite_someone_and_make_them_facilitator(new_context, live_server, console, js):
    # Ana registers and starts a private group.
    ana = new_context(java_script_enabled=js).new_page()
    ana.goto("/register")
    register(ana, "ana@example.org", "Ana Lima", "ana")
    ana.get_by_role("button", name="Create my account").click()
    expect(ana).to_have_url(re.compile(r"/groups$"))
    expect(ana.get_by_role("status")).to_contain_text("Welcome to Canoe, Ana Lima.")
    assert_htmx_ready(ana, js)

    ana.get_by_role("link", name="Start a group").click()
    expect(ana).to_have_url(re.compile(r"/groups/new$"))
    ana.get_by_label("Name", exact=True).fill("Riverside Food Co-op")
    ana.get_by_label("Web address").fill("riverside")
    ana.get_by_label("What is this group for?").fill("We run the **Saturday** market together.")
    ana.get_by_label("Private — only members see anything").check()
    ana.get_by_role("button", name="Create group").click()
    expect(ana).to_have_url(re.compile(r"/g/riverside$"))
    expect(ana.get_by_role("heading", level=1)).to_have_text("Riverside Food Co-op")
    expect(ana.locator(".prose strong")).to_have_text("Saturday")
    expect(ana.get_by_text("Private", exact=True)).to_be_visible()

    # She makes an invitation link and copies it from the read-only field.
    group_tab(ana, "Invitations").click()
    expect(ana).to_have_url(re.compile(r"/g/riverside/invitations$"))
    ana.get_by_label("Joins as").select_option("member")
    ana.get_by_label("Note for yourself").fill("for Ben")
    ana.get_by_role("button", name="Make link").click()
    link_field = ana.locator("#invitation-link")
    expect(link_field).to_have_attribute("readonly", "")
    link = link_field.input_value()
    assert link.startswith(f"{live_server.url}/join/"), link
    expect(ana.get_by_role("cell", name="for Ben")).to_be_visible()

    # Ben, in his own browser, opens the link and registers right on the join page.
    ben = new_context(java_script_enabled=js).new_page()
    ben.goto(link)
    expect(ben.get_by_role("heading", level=1)).to_have_text("Join Riverside Food Co-op")
    register(ben, "ben@example.org", "Ben Okafor", "ben")
    ben.get_by_role("button", name="Create account and join").click()
    expect(ben).to_have_url(f"{live_server.url}/g/riverside")
    expect(ben.get_by_role("heading", level=1)).to_have_text("Riverside Food Co-op")
    expect(ben.get_by_role("status")).to_contain_text("Welcome to Riverside Food Co-op.")
    assert_htmx_ready(ben, js)
    # Membership news is folded on the home page; the full timeline tells it.
    ben.goto("/g/riverside/timeline")
    expect(ben.locator(".timeline")).to_contain_text("Ben Okafor joined as member.")
    ben.goto("/g/riverside")

    # Ana finds him on the Members page and makes him a facilitator.
    group_tab(ana, "Members").click()
    expect(ana).to_have_url(re.compile(r"/g/riverside/members$"))
    row = ana.locator("#members > li").filter(has_text="Ben Okafor")
    expect(row).to_contain_text("@ben")
    expect(row.locator(".badge").first).to_have_text("member")
    row.get_by_text("Manage").click()
    row.get_by_label("Role").select_option("facilitator")
    row.get_by_role("button", name="Change role").click()
    expect(ana).to_have_url(re.compile(r"/g/riverside/members$"))
    expect(ana.get_by_role("status")).to_contain_text("Ben Okafor is now: Facilitator.")
    row = ana.locator("#members > li").filter(has_text="Ben Okafor")
    expect(row.locator(".badge").first).to_have_text("facilitator")

    # Ben sees it in the group's history.
    ben.goto("/g/riverside/timeline")
    expect(ben.locator(".timeline")).to_contain_text("Ana Lima made Ben Okafor facilitator.")
    console.check()


@JS
def test_switch_the_language_to_korean_and_back(new_context, console, js):
    page = new_context(java_script_enabled=js).new_page()
    page.goto("/")
    html = page.locator("html")
    topbar = page.locator("header.topbar")
    expect(html).to_have_attribute("lang", "en")
    expect(topbar.get_by_role("link", name="Log in", exact=True)).to_be_visible()

    topbar.get_by_role("button", name="한국어").click()
    expect(html).to_have_attribute("lang", "ko")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(topbar.get_by_role("button", name="English")).to_be_visible()
    expect(topbar.get_by_role("button", name="한국어")).to_have_count(0)
    if korean("Log in") is not None:
        expect(topbar.get_by_role("link", name="로그인", exact=True)).to_be_visible()
        expect(topbar.get_by_role("link", name="Log in", exact=True)).to_have_count(0)
    # The choice is remembered for the visit.
    page.goto("/login")
    expect(html).to_have_attribute("lang", "ko")

    topbar.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(topbar.get_by_role("button", name="한국어")).to_be_visible()
    expect(topbar.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    console.check()


@JS
@pytest.mark.live_settings(CANOE_LOGIN_LIMIT_PER_ACCOUNT="3 per 10 minutes")
def test_wrong_password_then_the_rate_limit(new_context, live_server, console, js):
    live_server.make_user("dana", name="Dana Cho")
    page = new_context(java_script_enabled=js).new_page()
    page.goto("/login")

    def attempt(password: str):
        page.get_by_label("Email", exact=True).fill("dana@example.org")
        page.get_by_label("Password", exact=True).fill(password)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Log in", exact=True).click()
        return navigation.value

    for _ in range(3):
        response = attempt("not her password")
        assert response.status == 422
        expect(page.get_by_role("alert")).to_have_text("That email and password don't match an account.")
        expect(page.get_by_label("Email", exact=True)).to_have_value("dana@example.org")

    # The fourth try for this account is turned away, even with the right password.
    response = attempt(PASSWORD)
    assert response.status == 429
    expect(page.locator("main")).to_contain_text(re.compile(r"Too many (login )?attempts"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    console.check()


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/groups$"))


@pytest.fixture
def busy_group(live_server):
    """A co-op with a long bilingual name, a description and a few members; returns its admin."""
    minji = live_server.make_user("minji", locale="ko", name="김민지")
    others = [
        (live_server.make_user("samtaylor", name="Samantha Taylor-Richardson"), "facilitator"),
        (live_server.make_user("jiho", locale="ko", name="이지호"), "member"),
        (live_server.make_user("averyveryverylonghandle1234", name="Alexandra Kim"), "member"),
    ]
    live_server.make_group(
        minji,
        "햇살 협동조합 · Sunshine Neighbourhood Kitchen Co-operative",
        "sunshine",
        "햇살 협동조합은 동네 부엌과 돌봄 모임을 함께 꾸리는 작은 협동조합입니다.\n\n"
        "Sunshine Co-op runs a neighbourhood kitchen and a care circle: "
        "https://example.org/a/very/long/link/that/should/wrap/instead/of/widening/the/page",
        members=others,
    )
    return minji


def test_group_pages_fit_a_360px_screen(new_context, busy_group, console):
    page = new_context(width=360, height=740).new_page()
    log_in(page, busy_group.email)
    for path in ("/g/sunshine", "/g/sunshine/members", "/g/sunshine/invitations"):
        page.goto(path)
        expect(page.locator("h1")).to_contain_text("햇살 협동조합")
        # Open every <details> (member management, the group switcher): they must fit too.
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        sizes = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
        assert sizes["scroll"] <= sizes["inner"], f"{path} scrolls sideways at 360px: {sizes}"
    console.check()


def from_the_top(page) -> None:
    """Put the keyboard at the very top of the page, as on arrival, ignoring the autofocus."""
    page.evaluate(
        """() => {
            document.body.setAttribute("tabindex", "-1");
            document.body.focus();
            document.body.removeAttribute("tabindex");
        }"""
    )


def test_tabbing_from_the_top_of_the_login_page_reaches_the_email_field_with_visible_focus(page, console):
    page.goto("/login")
    from_the_top(page)
    focused = []
    for _ in range(25):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {id: el.id, tag: el.tagName, text: (el.innerText || el.value || "").trim().slice(0, 40),
                        outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                        focusVisible: el.matches(":focus-visible"), left: el.getBoundingClientRect().left};
            }"""
        )
        focused.append(info)
        assert info["tag"] != "BODY", f"focus fell off the page: {focused}"
        assert info["outline"] != "none" and info["width"] > 0, f"no visible focus on {info}"
        if info["id"] == "email":
            break
    else:
        pytest.fail(f"Tab never reached the email field: {focused}")
    # The first stop is the skip link, and it comes on screen when focused.
    assert focused[0]["text"] == "Skip to content" and focused[0]["left"] >= 0, focused[0]
    assert focused[-1]["focusVisible"]

    # Keyboard users can jump straight to the form with the skip link.
    page.goto("/login")
    from_the_top(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "email"
    console.check()


# Layout at 360 px: menus open on screen, tables scroll rather than break Korean words apart.


def test_group_switcher_menu_opens_on_screen_at_360px(new_context, busy_group, console):
    page = new_context(width=360, height=740).new_page()
    log_in(page, busy_group.email)
    page.goto("/g/sunshine")
    page.locator(".menu > summary").click()  # on a phone the top bar's links are in its menu
    page.locator(".group-switcher > summary").click()
    menu = page.locator(".group-switcher ul")
    expect(menu).to_be_visible()
    box = page.evaluate(
        "() => { const r = document.querySelector('.group-switcher ul').getBoundingClientRect();"
        " return {left: r.left, right: r.right, inner: window.innerWidth}; }"
    )
    console.check()
    assert box["left"] >= 0 and box["right"] <= box["inner"], f"the group menu is off screen: {box}"


def test_invitation_table_keeps_korean_words_whole_at_360px(new_context, busy_group, console):
    page = new_context(width=360, height=740).new_page()
    log_in(page, busy_group.email)
    page.goto("/g/sunshine/invitations")
    lines = page.evaluate(
        """() => [...document.querySelectorAll("table.grid tbody tr td:nth-child(2)")].map((td) => {
            const range = document.createRange();
            range.selectNodeContents(td);
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return [td.innerText.trim(), tops.size];
        })"""
    )
    console.check()
    assert lines and all(count == 1 for _, count in lines), f"role words broken across lines: {lines}"
