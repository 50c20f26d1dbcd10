"""Care work in a real browser, with JavaScript (slot actions update in place) and without.

A facilitator starts the rota with the starter tasks and pauses two, so three remain, and plans
the future; a member asks another to swap a slot of this week, who accepts and marks it done;
a third member thanks them; the fairness dashboard shows that they earned the points.
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.labour.models import Assignment, CareTask
from tests.browser.journey import JS, MARKER, SAME_PAGE, expect_said, log_in

CARE = "/g/riverside/care"




@pytest.fixture
def coop(live_server):
    """Olga's co-op: Ana, Ben and Cara are members, Fred facilitates."""
    olga = live_server.make_user("olga", name="Olga Berg")
    people = [
        (live_server.make_user("ana", name="Ana Lima"), "member"),
        (live_server.make_user("ben", name="Ben Okafor"), "member"),
        (live_server.make_user("cara", name="Cara Diaz"), "member"),
        (live_server.make_user("fred", name="Fred Ito"), "facilitator"),
    ]
    live_server.make_group(olga, "Riverside Food Co-op", "riverside", members=people)


def this_weeks_slot(live_server) -> tuple[int, str, str]:
    """A slot of this week for an active task: (its id, the task's name, its holder's handle)."""
    with live_server.app.app_context():
        first = db.session.scalar(select(Assignment.period).order_by(Assignment.period).limit(1))
        a, name, handle = db.session.execute(
            select(Assignment.id, CareTask.name, User.handle)
            .join(CareTask, CareTask.id == Assignment.task_id).join(User, User.id == Assignment.user_id)
            .where(Assignment.period == first, Assignment.status == "assigned", CareTask.active.is_(True))
            .order_by(CareTask.effort.desc(), Assignment.id)
        ).first()
        return a, name, handle


def act_in_place(page, js: bool, click, message: str) -> None:
    """Press a slot button; with htmx the region updates in place and the page stays the same."""
    if js:
        page.evaluate(MARKER)
    click()
    if js:
        expect_said(page, message)
        assert page.evaluate(SAME_PAGE), "the care action with htmx reloaded the page"
    else:
        expect(page.get_by_role("status").first).to_contain_text(message)


@JS
def test_set_up_swap_do_thank_and_see_the_balances(new_context, live_server, console, coop, java_script_enabled):
    js = java_script_enabled
    names = {"olga": "Olga Berg", "ana": "Ana Lima", "ben": "Ben Okafor", "cara": "Cara Diaz", "fred": "Fred Ito"}

    # Fred starts the rota with the starter tasks, and pauses two of them: three remain.
    fred = new_context(java_script_enabled=js).new_page()
    log_in(fred, "fred@example.org")
    fred.goto(CARE)
    fred.get_by_role("checkbox", name=re.compile(r"Add the starter tasks")).check()
    fred.get_by_role("button", name="Start the rota").click()
    expect(fred.get_by_role("status").first).to_contain_text("The rota is started")
    for task in ("Welcome newcomers", "Check in on members"):
        fred.goto(f"{CARE}/tasks")
        fred.get_by_role("link", name=f"Edit {task}").click()
        fred.get_by_label("Active: put it on the rota").uncheck()
        fred.get_by_role("button", name="Save", exact=True).click()
        expect(fred.get_by_role("status").first).to_contain_text("Saved. Changes count from now on")
    expect(fred.locator("table.tasks tbody tr:not(.inactive)")).to_have_count(3)
    fred.goto(f"{CARE}/rota")
    fred.get_by_role("link", name=re.compile("Regenerate the future")).click()
    fred.get_by_role("button", name="Re-plan these weeks").click()
    expect(fred.get_by_role("status").first).to_contain_text("The future of the rota is planned again")

    # Whoever holds a slot this week asks another member to take it.
    slot_id, task, holder = this_weeks_slot(live_server)
    taker, thanker = [h for h in ("ana", "ben", "cara", "olga", "fred") if h != holder][:2]
    asker = new_context(java_script_enabled=js).new_page()
    log_in(asker, f"{holder}@example.org")
    asker.goto(CARE)
    slot = asker.locator(f"#slot-{slot_id}")
    expect(slot).to_contain_text(task)
    slot.get_by_text("Swap with…").click()
    slot.get_by_label("Swap with", exact=True).select_option(label=names[taker])
    act_in_place(asker, js, lambda: slot.get_by_role("button", name="Ask").click(), "Asked.")
    expect(asker.locator("#swaps")).to_contain_text(f"You asked {names[taker]} to take {task}.")

    # The one asked accepts, and now holds it; they mark it done.
    other = new_context(java_script_enabled=js).new_page()
    log_in(other, f"{taker}@example.org")
    other.goto(CARE)
    request = other.locator("#swaps li").filter(has_text=f"{names[holder]} asked you to take {task}")
    act_in_place(other, js, lambda: request.get_by_role("button", name="Accept").click(), "It's yours now.")
    mine = other.locator(f"#slot-{slot_id}")
    expect(mine).to_contain_text(task)
    act_in_place(other, js, lambda: mine.get_by_role("button", name="✓ Done").click(), "Marked done.")
    expect(other.locator(f"#slot-{slot_id} .care-status")).to_contain_text("done")

    # A third member thanks them.
    third = new_context(java_script_enabled=js).new_page()
    log_in(third, f"{thanker}@example.org")
    third.goto(CARE)
    row = third.locator("#thanks .thank-row").filter(has_text=f"{names[taker]} did {task}.")
    row.get_by_label("A word of thanks (optional)").fill("The room was ready on time.")
    row.get_by_role("button", name="♥ Thank").click()
    expect(third.get_by_role("status").first).to_contain_text("Your thanks are sent.")
    expect(third.locator("#thanks .thank-row").filter(has_text=f"{names[taker]} did {task}.")).to_contain_text(
        "You thanked them")

    # The dashboard shows the balances: the one who did it earned points.
    third.goto(f"{CARE}/fairness")
    table = third.locator("table.numbers").first
    expect(table.locator("tbody tr")).to_have_count(5)
    doer = table.locator("tbody tr").filter(has=third.locator("th", has_text=names[taker]))
    earned = doer.locator("td").first.inner_text()
    assert float(earned) > 0, f"{names[taker]} earned {earned}"
    expect(doer.locator("td.balance")).to_be_visible()

    console.check()
