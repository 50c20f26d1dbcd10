"""Keyboard only, with JavaScript: where focus lands after each htmx action, and what is said.

A member (in Korean, and in English; on a 1280 px screen and on a 390 px phone) tabs through a
thread, presses Reply (focus in the new text box), sends (focus on the new comment, the count in
the heading updated); votes on a proposal (focus on the result, the confirmation shown and said
by the live region); offers up a care slot (focus on the slot, the confirmation said). After
each, the next Tab goes on from there — never back to "Skip to content" at the top.
"""
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.archive import comments, threads
from app.core.extensions import db
from app.decisions import proposals
from app.groups.models import Group
from app.labour import periods, planning
from app.labour.models import Assignment
from tests.browser.journey import log_in

LANGS = pytest.mark.parametrize("lang", ["ko", "en"])
WIDTHS = pytest.mark.parametrize("width", [1280, 390])

# What the focused element is, in a few words (for a readable failure).
_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "<body>";
  return `<${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).split(" ").join(".") : ""}> ${(e.innerText || e.value || "").trim().slice(0, 60)}`;
}"""


def say(app, lang: str, text: str, **values) -> str:
    """A message as the app says it in `lang`."""
    with app.test_request_context(), force_locale(lang):
        return gettext(text, **values)


@pytest.fixture
def scene(live_server, request):
    """Olga's co-op with a thread Ben started and wrote in, an open proposal, and a rota.

    Ana, the one at the keyboard, reads the app in the test's language."""
    lang = request.node.callspec.params["lang"]
    olga = live_server.make_user("olga", name="Olga Berg")
    ana = live_server.make_user("ana", locale=lang, name="Ana Lima")
    ben = live_server.make_user("ben", name="Ben Okafor")
    fred = live_server.make_user("fred", name="Fred Ito")
    live_server.make_group(olga, "Riverside Food Co-op", "riverside",
                           members=[(ana, "member"), (ben, "member"), (fred, "facilitator")])
    with live_server.app.test_request_context():
        group = db.session.scalar(select(Group).where(Group.slug == "riverside"))
        people = {u.handle: u for u in db.session.scalars(select(User))}
        thread = threads.start_thread(people["ben"], group, "Saturday market", "Who opens the stall?")
        first = comments.add_comment(people["ben"], thread, "I can, if someone brings the float.")
        proposal = proposals.propose(people["ben"], group, proposals.Draft("Buy a second float", "For the stall.", days=5))
        today = periods.today_in(group)
        planning.set_up(people["fred"], group, today - timedelta(days=today.weekday()), 4, True)
        planning.generate(people["fred"], group)
        ids = dict(thread=thread.id, comment=first.id, proposal=proposal.id)
        ana_id = people["ana"].id
        slot = db.session.scalar(select(Assignment.id).where(Assignment.user_id == ana_id, Assignment.status == "assigned")
                                 .order_by(Assignment.period, Assignment.id).limit(1))
        if slot is None:  # the rota gave Ana nothing yet: she takes the first open slot of this month
            slot_row = db.session.scalar(select(Assignment).where(Assignment.status == "assigned")
                                         .order_by(Assignment.period.desc(), Assignment.id).limit(1))
            slot_row.user_id = ana_id
            db.session.commit()
            slot = slot_row.id
        ids["slot"] = slot
        db.session.remove()
    return ids


def focused(page) -> str:
    return page.evaluate(_FOCUSED)


def tab_to(page, selector: str, limit: int = 250, key: str = "Tab") -> None:
    """Press Tab until the focused element matches `selector` (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {selector}; focus is on {focused(page)}")


def expect_focus_within(page, selector: str) -> None:
    """Focus is on `selector` or inside it — not on <body>."""
    check = "(s) => !!document.activeElement && !!document.activeElement.closest(s)"
    try:
        page.wait_for_function(check, arg=selector, timeout=5_000)
    except PlaywrightTimeout:
        raise AssertionError(f"focus should be in {selector}, but is on {focused(page)}") from None


def expect_next_tab_goes_on(page) -> None:
    """The next Tab goes forward from where focus landed, not back to the top of the page."""
    page.keyboard.press("Tab")
    where = focused(page)
    assert where != "<body>", "after the swap, Tab went to <body>"
    assert not page.evaluate("() => document.activeElement.matches('a.skip')"), (
        "after the swap, the next Tab went back to 'Skip to content'")


@LANGS
@WIDTHS
def test_reply_vote_and_care_by_keyboard_keep_focus_where_the_work_is(new_context, live_server, scene, lang, width):
    page = new_context(width=width, height=800 if width > 400 else 844).new_page()
    log_in(page, "ana@example.org")
    app = live_server.app

    # The thread: Tab to Reply under Ben's comment, press it: focus in the new text box.
    page.goto(f"/t/{scene['thread']}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    comment = scene["comment"]
    heading = page.locator("#replies-heading")
    with app.test_request_context(), force_locale(lang):
        one, two = (ngettext("%(num)d reply", "%(num)d replies", n) for n in (1, 2))
    expect(heading).to_have_text(one)
    tab_to(page, f"#comment-{comment} a[data-hx-get*='reply-form']")
    page.keyboard.press("Enter")
    box = page.locator(f"#body-{comment}")
    expect(box).to_be_focused()

    # Type, Tab to the send button, press it: focus on the new comment, the count is 2.
    page.keyboard.type("I'll bring it at eight.")
    tab_to(page, f"#reply-slot-{comment} button.primary")
    page.keyboard.press("Enter")
    mine = page.locator("li.comment > article").filter(has_text="I'll bring it at eight.")
    expect(mine).to_have_count(1)
    expect(heading).to_have_text(two)
    expect_focus_within(page, f"#{mine.evaluate('(e) => e.parentElement.id')}")
    expect_next_tab_goes_on(page)

    # The proposal: choose Consent, give a reason, Vote — all by keyboard.
    page.goto(f"/p/{scene['proposal']}")
    tab_to(page, "#votes input[name=choice]")
    page.keyboard.press("Space")  # a radio group is entered on its first choice: Consent
    expect(page.locator("#votes input[name=choice][value=consent]")).to_be_checked()
    tab_to(page, "#votes textarea#reason")
    page.keyboard.type("A second float saves a trip.")
    tab_to(page, "#votes .vote-form button.primary")
    page.keyboard.press("Enter")
    recorded = say(app, lang, "Your vote is recorded. You can change it until the proposal closes.")
    expect(page.locator("#announce")).to_have_text(recorded)
    expect(page.locator("[data-canoe-said]")).to_have_text(recorded)  # shown, as without JavaScript
    expect(page.locator("#votes .my-vote")).to_be_visible()
    expect_focus_within(page, "#votes")
    assert page.evaluate("() => document.activeElement.matches('#votes [data-focus], #votes p')"), (
        f"after voting, focus should be on the result, but is on {focused(page)}")
    expect_next_tab_goes_on(page)

    # Care work: offer up a slot by keyboard: focus stays with the slot, the outcome is said.
    page.goto("/g/riverside/care")
    slot = scene["slot"]
    tab_to(page, f"form[action$='/slots/{slot}/offer'] button")
    page.keyboard.press("Enter")
    offered = say(app, lang, "Offered up. The first member to take it gets it, and the credit.")
    expect(page.locator("#announce")).to_have_text(offered)
    expect_focus_within(page, "#mine-region")
    expect_next_tab_goes_on(page)
