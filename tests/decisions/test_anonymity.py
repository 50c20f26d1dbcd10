"""Anonymous proposals never tell who voted what: not in any page, fragment, export or event,
not to anyone — admins included. Who took part may be shown (after close); what they chose, never
with their name. While open, nothing that moves with each vote is shown: no tally, no reasons, no
list of who took part. (What is stored after close: test_sealed_ballots.py.)
"""
import html
import re

import pytest
from sqlalchemy import select

from app.core.events import Event
from app.decisions.models import Participation, Vote
from app.core.extensions import db
from tests.conftest import ROLES
from tests.decisions.helpers import HX, REASON, DecisionScene, my_reason, section, text, tomorrow, without_my_form

VOTERS = {  # handle: display name — names that appear nowhere else
    "quillon": "Quillon Ardent",
    "zephyrine": "Zephyrine Blau",
    "mirabel": "Mirabel Oakes",
}
CHOICE_WORDS = re.compile(r"\b(Consent|Concern|Object|Agree|Abstain|Disagree|Block)\b")
BLOCK_TAG = re.compile(
    r"</?(?:p|li|ul|ol|div|section|tr|td|th|h\d|details|summary|form|fieldset|legend|label|table|article|header"
    r"|footer|nav|aside|main|dl|dt|dd|br|time|blockquote)\b[^>]*>", re.I)


def leaks(body: str, names) -> list[str]:
    """Pieces of the page (one paragraph, list item, row…) that hold a voter's name together with a choice."""
    found = []
    for piece in BLOCK_TAG.split(body):
        words = html.unescape(text(piece))
        if CHOICE_WORDS.search(words) and any(name in words for name in names):
            found.append(words)
    return found


class AnonymousProposal:
    """A public group (everyone may look) with an anonymous consent proposal that went through it all."""

    def __init__(self, app, make_cast, anonymous=True):
        self.scene = scene = DecisionScene(app, make_cast("town", "public"))
        for handle, name in VOTERS.items():
            scene.join(handle, name=name)
        self.names = list(VOTERS.values()) + ["Townmember", "Townadmin"]
        self.pid = pid = scene.propose("facilitator", title="Buy a shared cargo bike", anonymous=anonymous)
        scene.vote(pid, "quillon", "consent")
        scene.vote(pid, "zephyrine", "object", REASON)
        scene.vote(pid, "mirabel", "concern", "Where will it live?")
        scene.vote(pid, "member", "object", "Nobody can ride it safely.")
        scene.vote(pid, "admin", "consent")
        scene.vote(pid, "admin", "concern", "Changed my mind a little.")
        scene.amend(pid, "facilitator", body="Buy a used cargo bike, with a lock.")
        scene.settle(pid, "zephyrine", "resolved")
        self.thread_id = scene.thread_id(pid)

    def finish(self):
        self.scene.close(self.pid)
        self.scene.outcome(self.pid, result="not_adopted", statement="We wait until spring.", review_on=tomorrow(),
                           actions=[("Ask the bike shop", "mirabel", None)])

    def pages(self, who) -> dict[str, str]:
        """Every page that could mention the proposal, as this person sees it."""
        client = self.scene.client(who)
        paths = [f"/p/{self.pid}", f"/p/{self.pid}/history", f"/t/{self.thread_id}", "/g/town", "/g/town/timeline",
                 "/g/town/decisions", "/g/town/register", "/g/town/register.csv", "/needs-me", "/notifications"]
        seen = {}
        for path in paths:
            response = client.get(path)
            if who == "anonymous" and path in ("/needs-me", "/notifications"):
                assert response.status_code == 302
                continue
            assert response.status_code == 200, path
            seen[path] = response.get_data(as_text=True)
        return seen


@pytest.fixture
def story(app, make_cast):
    return AnonymousProposal(app, make_cast)


VIEWERS = ROLES + list(VOTERS)


def test_no_vote_of_an_anonymous_proposal_stores_who_gave_it(story):
    rows = story.scene.votes(story.pid, current_only=False)
    assert len(rows) == 6
    assert all(user_id is None for user_id, *_ in rows)
    # Who took part is kept (it may be shown after close); what they chose is not tied to them.
    assert story.scene.count(Participation, Participation.proposal_id == story.pid) == 5


def test_settling_an_anonymous_objection_records_no_event(story):
    """Even a nameless event would tell, while open, that someone objected — and when they settled."""
    assert story.scene.events("proposal.objection") == []


@pytest.mark.parametrize("who", VIEWERS)
def test_no_page_shows_a_voters_name_with_their_choice_while_open(story, who):
    for path, body in story.pages(who).items():
        assert leaks(body, story.names) == [], path
    proposal = html.unescape(story.pages(who)[f"/p/{story.pid}"])
    votes = section(proposal, "votes")
    assert "Who answered what" not in votes
    assert not any(name in text(votes) for name in set(story.names) - {"Townadmin", "Townmember"})


@pytest.mark.parametrize("who", ["outsider", "member", "admin", "quillon"])
def test_anonymous_results_and_who_took_part_are_hidden_until_close(story, who):
    """Counts, reasons and the took-part list move with each vote: reloading between two votes would
    tell what the second voter chose. They appear only once the proposal has closed."""
    votes = html.unescape(section(html.unescape(story.pages(who)[f"/p/{story.pid}"]), "votes"))
    assert 'class="plain tally"' not in votes
    # A voter's own reason waits in their own vote form ("Change my vote" starts from it); nobody else's shows.
    own = {"member": "Nobody can ride it safely.", "admin": "Changed my mind a little."}.get(who)
    form_reason = re.search(r"<textarea[^>]*>(.*?)</textarea>", votes, re.S)
    assert (form_reason.group(1) if form_reason else "") == (own or "")
    votes = re.sub(r"<textarea[^>]*>.*?</textarea>", "<textarea></textarea>", votes, flags=re.S)
    assert REASON not in votes and "Nobody can ride it safely." not in votes and "Where will it live?" not in votes
    assert "Objections" not in votes and "Took part:" not in votes and "Not voted yet:" not in votes
    assert "of 6 members" not in text(votes) and "5 of" not in text(votes)
    assert "shown only after the proposal closes" in text(votes)
    assert "that link is erased" in text(votes)

    story.finish()
    votes = html.unescape(section(html.unescape(story.pages(who)[f"/p/{story.pid}"]), "votes"))
    assert 'class="plain tally"' in votes
    assert REASON in votes and "Nobody can ride it safely." in votes and "Where will it live?" in votes
    took_part = re.search(r"Took part:(.*?)\.", text(votes)).group(1)
    assert all(name in took_part for name in story.names)
    assert "The ballots are sealed" in text(votes)


def test_hiding_results_can_not_be_turned_off_for_an_anonymous_proposal(app, make_cast):
    """Anonymous means results after close, whatever the hide-results option says."""
    scene = DecisionScene(app, make_cast("coop", "private"))
    pid = scene.propose("facilitator", anonymous=True, hide_results=False)
    scene.vote(pid, "member", "object", REASON)
    for who in ("member", "admin", "facilitator"):
        votes = html.unescape(section(scene.client(who).get(f"/p/{pid}").get_data(as_text=True), "votes"))
        assert my_reason(votes) == (REASON if who == "member" else "")  # only the voter's own form holds it
        votes = without_my_form(votes)
        assert 'class="plain tally"' not in votes and REASON not in votes
        assert "Took part:" not in votes and "1 of" not in text(votes)


@pytest.mark.parametrize("who", ["quillon", "admin"])
def test_the_htmx_fragment_of_an_anonymous_proposal_shows_no_tally_while_open(story, who):
    fragment = html.unescape(story.scene.client(who).post(
        f"/p/{story.pid}/vote", data={"choice": "concern", "reason": "A fresh thought."}, headers=HX).get_data(as_text=True))
    assert 'class="plain tally"' not in fragment and "Took part:" not in fragment
    assert REASON not in fragment and "Where will it live?" not in fragment
    assert "You answered:" in fragment  # a voter sees their own ballot, and only theirs


@pytest.mark.parametrize("who", VIEWERS)
def test_no_page_shows_a_voters_name_with_their_choice_after_close_and_outcome(story, who):
    story.finish()
    pages = story.pages(who)
    for path, body in pages.items():
        assert leaks(body, story.names) == [], path
    votes = section(html.unescape(pages[f"/p/{story.pid}"]), "votes")
    assert "Not adopted: 1 unresolved objection. 5 of 6 members took part." in text(votes)
    assert 'class="plain tally"' in votes  # the numbers are shown…
    assert "Who answered what" not in votes  # …the people behind them are not


@pytest.mark.parametrize("who", ["quillon", "member", "admin"])
def test_the_htmx_vote_fragment_names_nobody_with_a_choice(story, who):
    client = story.scene.client(who)
    response = client.post(f"/p/{story.pid}/vote", data={"choice": "object", "reason": "On second thought."},
                           headers=HX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert leaks(fragment, story.names) == []
    assert "Who answered what" not in fragment
    bad = client.post(f"/p/{story.pid}/vote", data={"choice": "object", "reason": ""}, headers=HX)
    assert bad.status_code == 422
    assert leaks(bad.get_data(as_text=True), story.names) == []


def test_the_register_csv_names_no_voter(story):
    story.finish()
    body = story.scene.client("admin").get("/g/town/register.csv").get_data(as_text=True)
    assert "Buy a shared cargo bike" in body
    assert not any(name in body for name in VOTERS.values())


def test_notifications_about_an_anonymous_proposal_name_no_voter(story):
    """The author's amendment tells each voter; nobody is told who voted what."""
    with story.scene.ctx():
        from app.notifications.models import Notification

        notes = list(db.session.scalars(select(Notification).where(
            Notification.target_type == "proposal", Notification.target_id == story.pid)))
        assert notes
        assert all(n.actor_id in (None, story.scene.uid("facilitator")) for n in notes)
        assert all(set(n.payload) <= {"title", "version"} for n in notes)


def test_no_event_about_an_anonymous_proposal_names_a_voter(story):
    story.finish()
    voters = {story.scene.uid(h) for h in VOTERS} | {story.scene.uid("member")}
    with story.scene.ctx():
        events = list(db.session.scalars(select(Event).where(Event.group_id == story.scene.group_id,
                                                              Event.kind.startswith("proposal."))))
        assert events
        assert not any(e.actor_id in voters for e in events)
        assert not any(str(story.scene.uid(h)) in str(e.payload) for h in VOTERS for e in events)


def test_the_leak_check_does_see_names_next_to_choices_on_an_ordinary_proposal(app, make_cast):
    """The check above can fail: on a proposal that isn't anonymous, the page does say who chose what."""
    story = AnonymousProposal(app, make_cast, anonymous=False)
    body = story.pages("outsider")[f"/p/{story.pid}"]
    found = leaks(body, story.names)
    assert any("Zephyrine Blau" in piece and "Object" in piece for piece in found)
    assert "Who answered what" in body
    with story.scene.ctx():
        assert None not in set(db.session.scalars(select(Vote.user_id).where(Vote.proposal_id == story.pid)))
