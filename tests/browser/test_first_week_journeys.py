"""A co-op's first week in a real browser: no dead ends.

- A person who reads only Korean registers, starts a co-op with a Hangul name (its web address
  is suggested, never asked for in Latin letters), invites someone through the link (copied with
  one button when JavaScript runs), and the co-op's "Get started" list shrinks as the second
  member joins and a thread, a proposal and the care rota are made — then it is gone. On the
  way the proposal is decided (a consent, closed, its outcome in the register) and the rota's
  first week has people on it.
- A logged-out member follows a link to a private thread: the login page, then the thread.
- A session that ended while a thread was open: pressing a reaction leads to the login page for
  the thread (not for the reaction's address), and logging in leads back to the thread.

At 1280 px and at 390 px (a phone), with JavaScript and without.
"""
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.journey import JS
from tests.conftest import PASSWORD

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["wide", "phone"])
SHOTS = "/tmp/shots/dead-ends"


def korean(new_context, width, js):
    """A browser whose only language is Korean."""
    return patient(new_context(width=width, height=900, java_script_enabled=js, locale="ko-KR",
                               extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"}))


def patient(context):
    """A page of this context. These journeys are long and the machine is shared: waits of 30 s."""
    context.set_default_timeout(30_000)
    return context.new_page()


def first_steps(page) -> list[str]:
    steps = page.locator("#first-steps + p + ol li")
    return [text.strip() for text in steps.all_inner_texts()]


def fill_registration(page, prefix, email, name, handle):
    page.locator(f"#{prefix}email").fill(email)
    page.locator(f"#{prefix}display_name").fill(name)
    page.locator(f"#{prefix}handle").fill(handle)
    page.locator(f"#{prefix}password").fill(PASSWORD)
    page.locator(f"#{prefix}confirm").fill(PASSWORD)


@WIDTHS
@JS
def test_a_korean_co_op_goes_from_registration_to_its_first_week_without_a_dead_end(
    new_context, live_server, java_script_enabled, width
):
    js = java_script_enabled
    founder = korean(new_context, width, js)
    founder.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    # Registration, in Korean.
    founder.goto("/register")
    expect(founder.locator("html")).to_have_attribute("lang", "ko")
    fill_registration(founder, "", "sujin@example.org", "김수진", "수진")
    founder.locator("form.stack button.primary").click()
    expect(founder).to_have_url(re.compile(r"/groups$"))

    # A co-op with a Hangul name: the address is suggested, and an empty field takes it.
    founder.goto("/groups/new")
    founder.locator("#name").fill("마포 돌봄 협동조합")
    if js:
        expect(founder.locator("#slug-hint")).to_contain_text("/g/mapo-dolbom-hyeopdongjohap")
    expect(founder.locator("#slug-hint")).to_contain_text("비워 두면")
    founder.screenshot(path=f"{SHOTS}/new-group-{width}-{'js' if js else 'nojs'}.png", full_page=True)
    founder.locator("form.stack button.primary").click()
    expect(founder).to_have_url(re.compile(r"/g/mapo-dolbom-hyeopdongjohap$"))
    expect(founder.locator(".flashes")).to_contain_text("먼저 함께할 사람들을 초대하세요")
    expect(founder.get_by_role("heading", name="시작하기")).to_be_visible()
    assert len(first_steps(founder)) == 4
    founder.screenshot(path=f"{SHOTS}/get-started-{width}-{'js' if js else 'nojs'}.png", full_page=True)

    # The first step: an invitation link, ready to copy.
    founder.get_by_role("link", name="사람들 초대하기: 초대 링크 만들기").click()
    expect(founder).to_have_url(re.compile(r"/invitations$"))
    founder.locator("form.stack button.primary").click()
    link_field = founder.locator("#invitation-link")
    expect(link_field).to_have_attribute("readonly", "")
    link = link_field.input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/join/[\w-]+", link), link
    copy = founder.locator(".copy-field button")
    if js:
        copy.click()
        expect(founder.locator("#copy-status")).to_contain_text("복사했습니다")
        assert founder.evaluate("navigator.clipboard.readText()") == link
    else:
        expect(copy).to_have_count(0)  # no button that can't work; the field is there to select
    founder.screenshot(path=f"{SHOTS}/invitation-{width}-{'js' if js else 'nojs'}.png", full_page=True)

    # A second member joins through the link, registering on the spot.
    friend = korean(new_context, width, js)
    friend.goto(link)
    fill_registration(friend, "reg-", "minho@example.org", "이민호", "민호")
    friend.locator("form button.primary").click()
    expect(friend).to_have_url(re.compile(r"/g/mapo-dolbom-hyeopdongjohap$"))

    founder.goto("/g/mapo-dolbom-hyeopdongjohap")
    assert len(first_steps(founder)) == 3, "inviting is done once someone joined"

    # The first thread.
    founder.get_by_role("link", name="첫 스레드 시작하기").click()
    founder.locator("#title").fill("첫 모임 날짜")
    founder.locator("#body").fill("다음 주 토요일 어때요?")
    founder.locator("form.stack button.primary").click()
    expect(founder).to_have_url(re.compile(r"/t/\d+$"))
    founder.goto("/g/mapo-dolbom-hyeopdongjohap")
    assert len(first_steps(founder)) == 2

    # The first proposal.
    founder.get_by_role("link", name="첫 제안 올리기").click()
    founder.locator("#title").fill("회비를 월 1만 원으로")
    founder.locator("#body").fill("모임 운영비로 씁니다.")
    founder.locator("form.stack button.primary").click()
    expect(founder).to_have_url(re.compile(r"/p/\d+$"))
    proposal = urlsplit(founder.url).path
    founder.goto("/g/mapo-dolbom-hyeopdongjohap")
    assert first_steps(founder) == ["돌봄 노동 나누기: 당번표와 첫 돌봄 일 시작하기"]

    # The first decision: the new member consents; the founder closes it and records the outcome.
    friend.goto(proposal)
    friend.locator("#votes input[type=radio][value=consent]").check()
    friend.locator("#votes button.primary").click()
    expect(friend.locator("#votes .my-vote")).to_be_visible()
    founder.goto(proposal)
    founder.locator(f"form[action='{proposal}/close'] button").click()
    founder.locator(f"a[href='{proposal}/outcome']").click()
    founder.locator("#statement").fill("다음 달부터 회비는 월 1만 원입니다.")
    founder.locator("form.stack button.primary").click()
    expect(founder).to_have_url(re.compile(rf"{proposal}(#.*)?$"))
    founder.goto("/g/mapo-dolbom-hyeopdongjohap/register")
    expect(founder.locator("main")).to_contain_text("회비를 월 1만 원으로")
    founder.goto("/g/mapo-dolbom-hyeopdongjohap")

    # The care rota, with its starter tasks: the list is done, and gone.
    founder.get_by_role("link", name="돌봄 노동 나누기: 당번표와 첫 돌봄 일 시작하기").click()
    founder.locator("form.stack button.primary").first.click()
    founder.goto("/g/mapo-dolbom-hyeopdongjohap")
    expect(founder.locator("#first-steps")).to_have_count(0)

    # The first rota week has people on it.
    founder.goto("/g/mapo-dolbom-hyeopdongjohap/care/rota")
    expect(founder.locator("main")).to_contain_text("김수진")


@pytest.fixture
def private_thread(live_server):
    """A private co-op where Ana started a thread; its address."""
    from app.accounts.models import User
    from app.archive.threads import start_thread
    from app.core.extensions import db
    from app.groups import services

    ana = live_server.make_user("ana", name="Ana Lima")
    ben = live_server.make_user("ben", name="Ben Okafor")
    live_server.make_group(ana, "Riverside Food Co-op", "riverside", members=[(ben, "member")])
    with live_server.app.test_request_context():
        author = db.session.get(User, ana.id)
        thread = start_thread(author, services.group_for(author, "riverside"), "Saturday market", "Who opens?")
        path = f"/t/{thread.id}"
        db.session.remove()
    return path


def log_in_here(page, email="ben@example.org"):
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button.primary").click()


@WIDTHS
@JS
def test_a_logged_out_member_follows_a_link_logs_in_and_lands_on_the_thread(
    new_context, live_server, private_thread, java_script_enabled, width
):
    page = patient(new_context(width=width, java_script_enabled=java_script_enabled))
    page.goto(private_thread)
    expect(page).to_have_url(re.compile(r"/login\?next=%2Ft%2F\d+$|/login\?next=/t/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("Please log in to continue.")
    page.screenshot(path=f"{SHOTS}/login-from-link-{width}.png", full_page=True)

    # A thread that doesn't exist looks just the same from outside.
    missing = patient(new_context(width=width, java_script_enabled=java_script_enabled))
    missing.goto("/t/987654")
    expect(missing).to_have_url(re.compile(r"/login\?next=(%2F|/)t(%2F|/)987654$"))

    log_in_here(page)
    expect(page).to_have_url(live_server.url + private_thread)
    expect(page.get_by_role("heading", level=1)).to_have_text("Saturday market")


@JS
def test_the_top_bar_login_link_comes_back_to_the_page(new_context, live_server, java_script_enabled):
    ana = live_server.make_user("ana", name="Ana Lima")
    live_server.make_group(ana, "Open Town", "town", visibility="public")
    page = patient(new_context(width=390, java_script_enabled=java_script_enabled))
    page.goto("/g/town/threads")
    menu = page.locator("details.menu > summary")
    if menu.count() and menu.is_visible():
        menu.click()  # on a phone the top bar's links are in the menu
    page.get_by_role("link", name="Log in", exact=True).click()
    log_in_here(page, "ana@example.org")
    expect(page).to_have_url(live_server.url + "/g/town/threads")


@WIDTHS
def test_a_reaction_after_the_cookies_were_cleared_leads_to_login_and_back_to_the_thread(
    new_context, live_server, private_thread, width
):
    context = new_context(width=width)
    page = patient(context)
    page.goto("/login")
    log_in_here(page)
    page.goto(private_thread)
    context.clear_cookies()  # the session is gone; the page is still open
    thread_id = private_thread.rsplit("/", 1)[1]
    page.locator(f"#reactions-thread-{thread_id} button[value=heart]").click()
    expect(page).to_have_url(re.compile(rf"/login\?next=(%2F|/)t(%2F|/){thread_id}$"))
    expect(page.locator(".flashes")).to_contain_text("Please log in to continue.")
    page.screenshot(path=f"{SHOTS}/login-after-reaction-{width}.png", full_page=True)
    log_in_here(page)
    expect(page).to_have_url(live_server.url + private_thread)
    expect(page.get_by_role("heading", level=1)).to_have_text("Saturday market")


def test_without_javascript_a_reaction_after_a_logout_elsewhere_comes_back_to_the_thread(
    new_context, live_server, private_thread
):
    """Logged out on another device (every sign-in ended): the form's page, not its address."""
    from app.accounts.models import LoginSession
    from app.core.extensions import db

    page = patient(new_context(java_script_enabled=False))
    page.goto("/login")
    log_in_here(page)
    page.goto(private_thread)
    with live_server.app.app_context():
        db.session.execute(db.delete(LoginSession))
        db.session.commit()
        db.session.remove()
    thread_id = private_thread.rsplit("/", 1)[1]
    page.locator(f"#reactions-thread-{thread_id} button[value=heart]").click()
    expect(page).to_have_url(re.compile(rf"/login\?next=(%2F|/)t(%2F|/){thread_id}$"))
    log_in_here(page)
    expect(page).to_have_url(live_server.url + private_thread)
