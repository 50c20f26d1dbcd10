"""The archive in a real browser, with JavaScript (htmx in place) and without (full pages).

A member starts a thread, a second member replies, the first replies to that reply and
mentions a third, who sees the bell count and the notification; long sub-threads fold and
unfold; a reaction toggles with its count.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in





def comment_id(locator) -> int:
    return int(locator.get_attribute("id").removeprefix("comment-"))


@pytest.fixture
def coop(live_server):
    """Ana's co-op, with Ben and Cara as members."""
    ana = live_server.make_user("ana", name="Ana Lima")
    ben = live_server.make_user("ben", name="Ben Okafor")
    cara = live_server.make_user("cara", name="Cara Diaz")
    live_server.make_group(ana, "Riverside Food Co-op", "riverside", members=[(ben, "member"), (cara, "member")])
    return ana, ben, cara


def add_replies(live_server, parent_id: int, people_and_bodies) -> None:
    """More replies under one comment, written through the services as other members would."""
    from app.accounts.models import User
    from app.archive import comments
    from app.archive.models import Comment
    from app.core.extensions import db

    with live_server.app.app_context():
        parent = db.session.get(Comment, parent_id)
        for handle, body in people_and_bodies:
            author = db.session.scalar(db.select(User).where(User.handle == handle))
            comments.add_comment(author, parent.thread, body, parent_id)
        db.session.remove()


@JS
def test_a_conversation_with_replies_to_replies_folds_reactions_and_a_mention(
    new_context, live_server, console, coop, java_script_enabled
):
    js = java_script_enabled

    # Ana starts a thread.
    ana = new_context(java_script_enabled=js).new_page()
    log_in(ana, "ana@example.org")
    ana.goto("/g/riverside/threads")
    ana.get_by_role("link", name="Start a thread").click()
    ana.get_by_label("Title").fill("Saturday market rota")
    ana.get_by_label("What do you want to talk about?").fill("Who can open the stall this **Saturday**?")
    ana.get_by_role("button", name="Start thread").click()
    expect(ana).to_have_url(re.compile(r"/t/\d+$"))
    thread_url = ana.url
    expect(ana.get_by_role("heading", level=1)).to_have_text("Saturday market rota")
    expect(ana.locator(".prose strong")).to_have_text("Saturday")

    # Ben replies to the thread.
    ben = new_context(java_script_enabled=js).new_page()
    log_in(ben, "ben@example.org")
    ben.goto(thread_url)
    if js:
        ben.evaluate(MARKER)
    ben.get_by_label("Add to the conversation").fill("I can open at 8, if someone brings the float.")
    ben.get_by_role("button", name="Post", exact=True).click()
    bens = ben.locator("#comments > li.comment").filter(has_text="I can open at 8")
    expect(bens).to_have_count(1)
    if js:
        assert ben.evaluate(SAME_PAGE), "posting a reply with htmx reloaded the page"
        expect(ben.get_by_label("Add to the conversation")).to_have_value("")
    else:
        expect(ben).to_have_url(re.compile(r"/t/\d+\?show=\d+#comment-\d+$"))
    ben_comment = comment_id(bens)

    # Ana replies to Ben's reply, mentioning Cara.
    ana.goto(thread_url)
    bens = ana.locator(f"#comment-{ben_comment}")
    if js:
        ana.evaluate(MARKER)
    bens.locator("footer").get_by_role("link", name="Reply", exact=True).click()
    if not js:
        expect(ana).to_have_url(re.compile(rf"reply_to={ben_comment}"))
    box = ana.locator(f"#reply-slot-{ben_comment}")
    box.get_by_label("Your reply").fill("Thank you Ben! @cara could you bring the float?")
    box.get_by_role("button", name="Reply", exact=True).click()
    anas = ana.locator(f"#replies-{ben_comment} > li.comment").filter(has_text="could you bring the float")
    expect(anas).to_have_count(1)
    expect(anas.get_by_role("link", name="@cara")).to_have_attribute("href", "/u/cara")
    if js:
        assert ana.evaluate(SAME_PAGE), "replying with htmx reloaded the page"
        expect(ana.locator(f"#reply-slot-{ben_comment} textarea")).to_have_count(0)
    else:
        expect(ana).to_have_url(re.compile(rf"#comment-{comment_id(anas)}$"))
    ana_reply = comment_id(anas)
    # A reply to a reply is shown nested under it, one level deeper.
    expect(ana.locator(f"#comment-{ana_reply}")).to_have_class(re.compile(r"\bdepth-2\b"))

    # Ben thanks Ana: the reaction toggles on with its count, and off again.
    ben.goto(thread_url)
    if js:
        ben.evaluate(MARKER)
    reactions = ben.locator(f"#reactions-comment-{ana_reply}")
    thanks = reactions.locator("button[value=thanks]")
    expect(thanks).to_have_attribute("aria-pressed", "false")
    expect(thanks.locator(".n")).to_have_count(0)
    thanks.click()
    thanks = ben.locator(f"#reactions-comment-{ana_reply} button[value=thanks]")
    expect(thanks).to_have_attribute("aria-pressed", "true")
    expect(thanks.locator(".n")).to_have_text("1")
    expect(thanks).to_have_class(re.compile(r"\bmine\b"))
    thanks.click()
    thanks = ben.locator(f"#reactions-comment-{ana_reply} button[value=thanks]")
    expect(thanks).to_have_attribute("aria-pressed", "false")
    expect(thanks.locator(".n")).to_have_count(0)
    thanks.click()
    expect(ben.locator(f"#reactions-comment-{ana_reply} button[value=thanks] .n")).to_have_text("1")
    if js:
        assert ben.evaluate(SAME_PAGE), "a reaction with htmx reloaded the page"
    # Ana sees the count on her reply.
    ana.goto(thread_url)
    expect(ana.locator(f"#reactions-comment-{ana_reply} button[value=thanks] .n")).to_have_text("1")

    # The conversation under Ben's comment grows past three replies.
    add_replies(live_server, ben_comment, [
        ("cara", "I'll bring the float."), ("ben", "Great, see you at 8."), ("ana", "I'll do the afternoon."),
        ("cara", "And I'll close up."),
    ])

    # Cara logs in: the bell shows her one unread notification, the mention.
    cara = new_context(java_script_enabled=js).new_page()
    log_in(cara, "cara@example.org")
    expect(cara.locator("#bell .count")).to_have_text("1")
    cara.locator("#bell").click()
    expect(cara).to_have_url(re.compile(r"/notifications$"))
    note = cara.locator("li.note").filter(has_text="Ana Lima mentioned you in “Saturday market rota”.")
    expect(note).to_have_count(1)
    expect(note.locator(".badge")).to_contain_text("new")
    note.get_by_role("link", name="Ana Lima mentioned you in “Saturday market rota”.").click()
    expect(cara).to_have_url(re.compile(rf"/t/\d+(\?show={ana_reply})?#comment-{ana_reply}$"))
    expect(cara.locator(f"#comment-{ana_reply}")).to_contain_text("could you bring the float")
    expect(cara.locator("#bell .count")).to_have_count(0)

    # Five replies under Ben's comment: three show, the rest fold away.
    cara.goto(thread_url)
    replies = cara.locator(f"#replies-{ben_comment} > li.comment")
    expect(replies).to_have_count(3)
    fold = cara.locator(f"#replies-{ben_comment}").get_by_role("link", name="Show 2 more replies")
    expect(fold).to_be_visible()
    if js:
        cara.evaluate(MARKER)
    fold.click()
    expect(cara.locator(f"#replies-{ben_comment} > li.comment")).to_have_count(5)
    expect(cara.locator(f"#replies-{ben_comment}")).to_contain_text("And I'll close up.")
    expect(cara.get_by_role("link", name="Show 2 more replies")).to_have_count(0)
    if js:
        assert cara.evaluate(SAME_PAGE), "unfolding with htmx reloaded the page"
    else:
        expect(cara).to_have_url(re.compile(rf"expand={ben_comment}#comment-{ben_comment}$"))

    console.check()
