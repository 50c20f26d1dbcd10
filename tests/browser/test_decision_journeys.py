"""A decision by consent in a real browser, with JavaScript (votes update in place) and without.

A member proposes in three fields, two others vote (one objects, with a reason), the author
amends, the objector marks the objection resolved, a facilitator closes the proposal and
records the outcome; the result says Adopted and the decision register lists it.
"""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in

TITLE = "Share the Saturday set-up between two teams"




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


def vote(page, choice: str, js: bool, reason: str = "") -> None:
    """Answer on the proposal page; with JavaScript the votes section must update in place."""
    votes = page.locator("#votes")
    if js:
        page.evaluate(MARKER)
    votes.get_by_role("radio", name=choice).check()
    if reason:
        votes.get_by_label("Your reason").fill(reason)
    votes.get_by_role("button", name="Vote", exact=True).click()
    expect(page.locator("#votes .my-vote")).to_contain_text(re.compile(rf"You answered: \W*{choice}"))
    if js:
        assert page.evaluate(SAME_PAGE), "voting with htmx reloaded the page"
        expect(page.locator("#votes").get_by_role("button", name="Change my vote")).to_be_visible()
    else:
        expect(page).to_have_url(re.compile(r"/p/\d+#votes$"))
        expect(page.get_by_role("status").first).to_contain_text("Your vote is recorded.")


@JS
def test_propose_vote_object_amend_resolve_close_and_record_the_outcome(
    new_context, live_server, console, coop, java_script_enabled
):
    js = java_script_enabled

    # Ana proposes, in three fields.
    ana = new_context(java_script_enabled=js).new_page()
    log_in(ana, "ana@example.org")
    ana.goto("/g/riverside/decisions")
    ana.get_by_role("link", name="Propose something").click()
    ana.get_by_label("Title").fill(TITLE)
    ana.get_by_label("What we propose").fill("Two teams alternate the Saturday set-up, **starting next month**.")
    ana.get_by_label("Closes in (days)").fill("5")
    ana.get_by_role("button", name="Propose", exact=True).click()
    expect(ana).to_have_url(re.compile(r"/p/\d+$"))
    proposal_url = ana.url
    expect(ana.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(ana.locator(".page-head")).to_contain_text("Open")
    expect(ana.locator(".prose strong")).to_have_text("starting next month")

    # Ben consents.
    ben = new_context(java_script_enabled=js).new_page()
    log_in(ben, "ben@example.org")
    ben.goto(proposal_url)
    vote(ben, "Consent", js)
    expect(ben.locator("#votes")).to_contain_text("So far: 1 of 5 members took part.")

    # Cara objects, and an objection needs a reason.
    cara = new_context(java_script_enabled=js).new_page()
    log_in(cara, "cara@example.org")
    cara.goto(proposal_url)
    if js:
        cara.evaluate(MARKER)
    cara.locator("#votes").get_by_role("radio", name="Object").check()
    cara.locator("#votes").get_by_role("button", name="Vote", exact=True).click()
    expect(cara.locator("#reason-errors")).to_contain_text("Please give your reason")
    if js:
        assert cara.evaluate(SAME_PAGE), "a refused vote with htmx reloaded the page"
    vote(cara, "Object", js, reason="One team of two can't carry the tables safely.")
    objections = cara.locator(".objections")
    expect(objections).to_contain_text("Cara Diaz")
    expect(objections).to_contain_text("One team of two can't carry the tables safely.")
    expect(objections.locator(".badge").first).to_contain_text("open")
    expect(cara.locator("#votes")).to_contain_text("Not adopted: 1 unresolved objection.")

    # Ana amends the proposal in answer to the objection.
    ana.goto(proposal_url)
    ana.get_by_role("link", name="Amend").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("Amend the proposal")
    ana.get_by_label("What we propose").fill(
        "Two teams of **three** alternate the Saturday set-up, starting next month."
    )
    ana.get_by_role("button", name="Save the new version").click()
    expect(ana).to_have_url(proposal_url)
    expect(ana.get_by_role("status").first).to_contain_text("The proposal is amended.")
    expect(ana.get_by_role("link", name="version 2")).to_be_visible()
    expect(ana.locator(".prose strong")).to_have_text("three")

    # Cara sees her vote was on the first version, and marks her objection resolved.
    cara.goto(proposal_url)
    expect(cara.locator(".my-vote")).to_contain_text("on version 1")
    cara.get_by_role("button", name="My objection is resolved").click()
    expect(cara.get_by_role("status").first).to_contain_text("Your objection is marked as settled.")
    expect(cara.locator(".my-vote")).to_contain_text("Your objection is resolved.")
    expect(cara.locator(".objections .badge").first).to_contain_text("resolved")

    # Fred, a facilitator, closes it: adopted, in words.
    fred = new_context(java_script_enabled=js).new_page()
    log_in(fred, "fred@example.org")
    fred.goto(proposal_url)
    fred.get_by_role("button", name="Close now").click()
    expect(fred.get_by_role("status").first).to_contain_text("The proposal is closed.")
    result = fred.locator("#votes .result")
    expect(result).to_have_text(
        "Adopted: no unresolved objections. 2 of 5 members took part."
    )

    # He records the outcome, with a review date and a follow-up action for Ben.
    fred.get_by_role("link", name="Record the outcome").click()
    expect(fred.get_by_label("Result")).to_have_value("adopted")
    fred.get_by_label("What we decided").fill("From next month two teams of three alternate the set-up.")
    review = (date.today() + timedelta(days=90)).isoformat()
    fred.get_by_label("Review on").fill(review)
    fred.locator("#actions-0-description").fill("Draw up the two teams")
    fred.locator("#actions-0-owner_id").select_option(label="Ben Okafor")
    fred.get_by_role("button", name="Record the outcome").click()
    expect(fred).to_have_url(re.compile(r"/p/\d+#outcome$"))
    expect(fred.get_by_role("status").first).to_contain_text("The outcome is recorded in the decision register.")
    outcome = fred.locator("#outcome")
    expect(outcome).to_contain_text("Adopted")
    expect(outcome).to_contain_text("From next month two teams of three alternate the set-up.")
    expect(outcome).to_contain_text("Draw up the two teams")
    expect(outcome).to_contain_text("Ben Okafor")

    # The decision register lists it.
    fred.goto("/g/riverside/decisions")
    fred.get_by_role("link", name="Decision register").click()
    expect(fred).to_have_url(re.compile(r"/g/riverside/register$"))
    row = fred.locator("table.register tbody tr").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Adopted")
    expect(row.locator("td").nth(4)).to_have_text("1")
    expect(row.get_by_role("link", name=TITLE)).to_have_attribute("href", re.compile(r"/p/\d+$"))

    console.check()
