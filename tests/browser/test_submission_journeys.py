"""One submit, one post, in a real browser: a reply sent while the server is slow, with the
"Post" button pressed again — with JavaScript (htmx disables the button while it sends) and
without (the browser really sends the form twice; the submission key keeps it to one reply).
"""
import re
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import event, func, select

from app.archive import attachments, threads
from app.archive.models import Comment
from app.core.extensions import db
from tests.browser.journey import log_in


@pytest.fixture
def thread_url(live_server):
    ana = live_server.make_user("ana", name="Ana Lima")
    ben = live_server.make_user("ben", name="Ben Okafor")
    group = live_server.make_group(ana, "Riverside Food Co-op", "riverside", members=[(ben, "member")])
    with live_server.app.test_request_context():
        author = db.session.merge(ana)
        thread = threads.start_thread(author, db.session.merge(group), "Saturday market", "Who opens?", [])
        url = f"/t/{thread.id}"
        db.session.remove()
    return url


@pytest.fixture
def slow_replies(monkeypatch):
    """Posting a reply waits inside the view until `release` is set; `inside` says one is waiting."""
    inside, release = threading.Event(), threading.Event()
    real = attachments.add_comment_with_files

    def held(*args, **kwargs):
        inside.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(attachments, "add_comment_with_files", held)
    yield inside, release
    release.set()


@pytest.fixture
def claims(live_server):
    """How many times a request has tried to hold a submission key."""
    seen = []

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSION_KEYS"):
            seen.append(statement)

    with live_server.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def replies(live_server) -> int:
    with live_server.app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Comment))
        db.session.remove()
        return count


def test_with_htmx_the_post_button_is_disabled_while_the_reply_is_sent(new_context, live_server, thread_url,
                                                                       slow_replies):
    inside, release = slow_replies
    ben = new_context().new_page()
    log_in(ben, "ben@example.org")
    ben.goto(thread_url)
    ben.get_by_label("Add to the conversation").fill("I can open at 8.")
    post = ben.get_by_role("button", name="Post", exact=True)
    post.click()
    assert inside.wait(10)
    expect(post).to_be_disabled()
    post.click(force=True, timeout=1000, no_wait_after=True)  # a second press does nothing
    release.set()
    expect(ben.locator("#comments > li.comment").filter(has_text="I can open at 8")).to_have_count(1)
    expect(ben.get_by_role("button", name="Post", exact=True)).to_be_enabled()
    assert replies(live_server) == 1


def test_without_javascript_a_form_sent_twice_makes_one_reply(new_context, live_server, thread_url, slow_replies,
                                                                claims):
    inside, release = slow_replies
    ben = new_context(java_script_enabled=False).new_page()
    log_in(ben, "ben@example.org")
    ben.goto(thread_url)
    ben.get_by_label("Add to the conversation").fill("I can open at 8.")
    box = ben.get_by_role("button", name="Post", exact=True).bounding_box()
    at = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    ben.mouse.click(*at)
    assert inside.wait(10)
    ben.mouse.click(*at)  # the page is still there: the browser drops the first answer, sends the form again
    deadline = time.monotonic() + 10
    while len(claims) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(claims) == 2, "the second press never reached the server"
    time.sleep(0.2)  # it now waits on the key the first one holds
    release.set()
    expect(ben.get_by_text("That was already sent, so it was saved only once.")).to_be_visible()
    expect(ben).to_have_url(re.compile(r"/t/\d+"))
    expect(ben.locator("#comments > li.comment").filter(has_text="I can open at 8")).to_have_count(1)
    assert replies(live_server) == 1
