"""Notifications in a real browser: a mention lights the bell; a changed preference stops the email.

Runs with JavaScript (the settings form saves through htmx, in place) and without (a full page post).
"""
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in
from tests.notifications.conftest import smtp  # noqa: F401 — the same loopback SMTP server fixture


@pytest.fixture
def coop(live_server, smtp):
    """Ana's co-op with Ben; the live app sends its outbox to the test's SMTP server."""
    state = live_server.app.extensions["mail"]
    state.server, state.port, state.suppress = "127.0.0.1", smtp.port, False
    ana = live_server.make_user("ana", name="Ana Lima")
    ben = live_server.make_user("ben", name="Ben Okafor")
    live_server.make_group(ana, "Riverside Food Co-op", "riverside", members=[(ben, "member")])
    return ana, ben


def mention(live_server, title: str, body: str) -> int:
    """Ben starts a thread that mentions Ana, through the services as another member would."""
    from app.accounts.models import User
    from app.archive import threads
    from app.core.extensions import db
    from app.groups.models import Group

    with live_server.app.test_request_context():
        ben = db.session.scalar(db.select(User).where(User.handle == "ben"))
        group = db.session.scalar(db.select(Group).where(Group.slug == "riverside"))
        thread_id = threads.start_thread(ben, group, title, body).id
        db.session.remove()
    return thread_id


def send_queued(live_server) -> int:
    from app.core.extensions import db
    from app.notifications import mail

    with live_server.app.app_context():
        sent = mail.send_queued().sent
        db.session.remove()
    return sent


@JS
def test_a_mention_shows_in_the_bell_and_turning_its_email_off_stops_the_email(
    new_context, live_server, console, coop, smtp, java_script_enabled
):
    page = new_context(java_script_enabled=java_script_enabled).new_page()
    log_in(page, "ana@example.org")
    expect(page.locator("#bell .count")).to_have_count(0)

    # Ben mentions Ana: the bell shows it, and by default an email goes.
    mention(live_server, "Market stall", "@ana can you open the stall on Saturday?")
    page.reload()
    expect(page.locator("#bell .count")).to_have_text("1")
    page.locator("#bell").click()
    expect(page.get_by_text("Ben Okafor mentioned you in “Market stall”.")).to_be_visible()
    assert send_queued(live_server) == 1
    deadline = time.monotonic() + 5
    while not smtp.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["To"] for m in smtp.messages] == ["ana@example.org"]

    # Ana keeps mentions in Canoe only, from the group's notification settings.
    page.goto("/g/riverside")
    page.get_by_role("link", name="Your notifications for this group").click()
    expect(page).to_have_url(re.compile(r"/g/riverside/notifications$"))
    choice = page.get_by_label("Someone mentions me: In Canoe", exact=True)
    expect(page.get_by_label("Someone mentions me: In Canoe and by email", exact=True)).to_be_checked()
    if java_script_enabled:
        page.evaluate(MARKER)
    choice.check()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_role("status").filter(has_text=re.compile("Saved|saved"))).to_be_visible()
    if java_script_enabled:
        assert page.evaluate(SAME_PAGE), "htmx should have saved in place"
    expect(page.get_by_label("Someone mentions me: In Canoe", exact=True)).to_be_checked()

    # The next mention still lights the bell, but no email goes.
    mention(live_server, "Chairs", "@ana do we have chairs?")
    page.goto("/notifications")
    expect(page.locator("#bell .count")).to_have_text("2")
    expect(page.get_by_text("Ben Okafor mentioned you in “Chairs”.")).to_be_visible()
    assert send_queued(live_server) == 0
    time.sleep(0.2)
    assert len(smtp.messages) == 1
