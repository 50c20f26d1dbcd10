"""Every rule of docs/DECISIONS.md that changes something, called through the services."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import false, select
from sqlalchemy.exc import IntegrityError

from app.archive import threads as archive
from app.archive.models import Thread
from app.core.events import Event
from app.core.revisions import Revision
from app.decisions import ballots, closing, outcomes, queries, votes
from app.decisions.models import Action, Outcome, Participation, Proposal, Vote
from app.core.errors import Missing, NotAllowed, Refused
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group
from tests.decisions.helpers import REASON, DecisionScene, tomorrow, utc, yesterday


def refused(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


# ---------------------------------------------------------------- proposing


def test_three_fields_make_a_consent_proposal_closing_in_three_days(scene):
    before = datetime.now(timezone.utc)
    pid = scene.propose("member", title="Paint the door", body="Blue.")
    with scene.ctx():
        p = scene.proposal(pid)
        assert (p.kind, p.status, p.version, p.quorum_percent, p.anonymous, p.hide_results) == (
            "consent", "open", 1, 0, False, False)
        assert before + timedelta(days=3) <= p.closes_at <= datetime.now(timezone.utc) + timedelta(days=3)
        assert p.opened_at is not None


def test_proposing_without_a_thread_starts_one_and_puts_it_on_the_timeline(scene):
    pid = scene.propose("member", title="Paint the door")
    with scene.ctx():
        p = scene.proposal(pid)
        assert (p.thread.title, p.thread.group_id) == ("Paint the door", scene.group_id)
        rev = db.session.scalar(select(Revision).where(Revision.target_type == "proposal", Revision.target_id == pid))
        assert (rev.number, rev.title) == (1, "Paint the door")
    assert ("proposal.opened", scene.uid("member")) in scene.events("proposal.")


def test_a_proposal_made_in_a_thread_stays_in_that_thread(scene):
    with scene.ctx():
        thread_id = archive.start_thread(scene.user("member"), scene.group(), "Kitchen", "Rota talk").id
    pid = scene.propose("facilitator", thread=thread_id)
    assert scene.thread_id(pid) == thread_id
    assert scene.count(Thread) == 1


def test_a_proposal_in_another_groups_thread_is_refused(scene, make_cast):
    other = make_cast("other", "private")
    with scene.ctx():
        thread_id = archive.start_thread(db.session.get(type(other.admin), other.admin.id),
                                         db.session.get(Group, other.group.id), "Elsewhere", "Not yours").id
    with pytest.raises(Missing):
        scene.propose("member", thread=thread_id)


def test_proposals_start_every_kind_and_refuse_an_unknown_one(scene):
    for kind in ("consent", "consensus", "advice"):
        assert scene.get(Proposal, scene.propose(kind=kind), "kind") == kind
    assert scene.get(Proposal, scene.propose(kind="poll", options=("Tea", "Coffee")), "kind") == "poll"
    before = scene.counts()
    assert refused(scene.propose, kind="lottery").field == "kind"
    assert scene.counts() == before


def test_only_members_propose(town):
    with pytest.raises(NotAllowed):
        town.propose("outsider")


@pytest.mark.parametrize("title, body, field", [("", "Body", "title"), ("   ", "Body", "title"),
                                                ("Title", "", "body"), ("Title", "  \n ", "body"),
                                                ("x" * 201, "Body", "title")])
def test_empty_or_oversized_title_and_body_are_refused(scene, title, body, field):
    before = scene.counts()
    assert refused(scene.propose, title=title, body=body).field == field
    assert scene.counts() == before


@pytest.mark.parametrize("days", [0, -1, 91, None])
def test_days_outside_1_to_90_are_refused(scene, days):
    before = scene.counts()
    assert refused(scene.propose, days=days).field == "days"
    assert scene.counts() == before


@pytest.mark.parametrize("days", [1, 90])
def test_days_from_1_to_90_are_accepted(scene, days):
    pid = scene.propose(days=days)
    closes_at = scene.get(Proposal, pid, "closes_at")
    assert abs(closes_at - (datetime.now(timezone.utc) + timedelta(days=days))) < timedelta(minutes=1)


def test_a_closing_time_in_the_past_is_refused(scene):
    for past in (datetime.now(timezone.utc) - timedelta(minutes=1), datetime.now(timezone.utc)):
        assert refused(scene.propose, closes_at=past).field == "closes_at"
    assert scene.count(Proposal) == 0


def test_a_closing_time_more_than_90_days_ahead_is_refused(scene):
    assert refused(scene.propose, closes_at=datetime.now(timezone.utc) + timedelta(days=91)).field == "closes_at"


def test_an_exact_closing_time_wins_over_days(scene):
    at = (datetime.now(timezone.utc) + timedelta(hours=5)).replace(microsecond=0)
    assert scene.get(Proposal, scene.propose(days=3, closes_at=at), "closes_at") == at


@pytest.mark.parametrize("quorum", [-1, 101])
def test_quorum_outside_0_to_100_is_refused(scene, quorum):
    assert refused(scene.propose, quorum_percent=quorum).field == "quorum_percent"
    assert scene.count(Proposal) == 0


@pytest.mark.parametrize("options", [(), ("Only one",), ("Same", "Same"), ("Tea", " Tea "),
                                     tuple(f"Option {i}" for i in range(21)), ("Tea", "x" * 201)])
def test_a_poll_needs_2_to_20_distinct_options(scene, options):
    assert refused(scene.propose, kind="poll", options=options).field == "options"
    assert scene.count(Proposal) == 0


def test_a_poll_keeps_its_options_in_order_and_skips_blank_lines(scene):
    pid = scene.propose(kind="poll", options=("Tea", "", "  ", "Coffee"))
    with scene.ctx():
        assert [o.label for o in scene.proposal(pid).options] == ["Tea", "Coffee"]
    pid = scene.propose(kind="poll", options=tuple(f"Option {i}" for i in range(20)))
    assert len(scene.option_ids(pid)) == 20


def test_options_are_ignored_and_multiple_choice_is_off_for_other_kinds(scene):
    pid = scene.propose(kind="consent", options=("A", "B"), multiple_choice=True)
    assert scene.option_ids(pid) == []
    assert scene.get(Proposal, pid, "multiple_choice") is False


# ---------------------------------------------------------------- drafts


def test_a_draft_takes_no_votes_and_tells_nobody_until_its_author_opens_it(scene):
    pid = scene.propose("member", draft=True)
    assert scene.get(Proposal, pid, "status") == "draft"
    assert scene.notifications("facilitator", "proposal") == []
    refused(scene.vote, pid, "member", "consent")
    scene.open_draft(pid, "member", days=5)
    assert scene.get(Proposal, pid, "status") == "open"
    assert scene.notifications("facilitator", "proposal") == [("proposal", "proposal", pid)]
    scene.vote(pid, "facilitator", "consent")


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_only_the_author_opens_a_draft(scene, who):
    pid = scene.propose("member", draft=True)
    with pytest.raises(NotAllowed):
        scene.open_draft(pid, who)
    assert scene.get(Proposal, pid, "status") == "draft"


@pytest.mark.parametrize("days", [0, 91, -3])
def test_opening_a_draft_with_days_outside_1_to_90_is_refused(scene, days):
    pid = scene.propose("member", draft=True)
    refused(scene.open_draft, pid, "member", days=days)
    assert scene.get(Proposal, pid, "status") == "draft"


def test_a_draft_is_read_only_by_its_author(scene):
    pid = scene.propose("member", draft=True)
    with scene.ctx():
        assert queries.proposal_for(scene.user("member"), pid).id == pid
        for who in ("facilitator", "admin", "outsider"):
            with pytest.raises(Missing):
                queries.proposal_for(scene.user(who), pid)


# ---------------------------------------------------------------- votes


def test_one_current_vote_per_member_and_every_change_is_kept(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "member", "consent")
    scene.vote(pid, "member", "concern", "Mind the stairs.")
    scene.vote(pid, "member", "object", REASON)
    member = scene.uid("member")
    assert scene.votes(pid, current_only=False) == [
        (member, "consent", [], False, 1, None),
        (member, "concern", [], False, 1, None),
        (member, "object", [], True, 1, "open"),
    ]
    assert scene.count(Participation, Participation.proposal_id == pid) == 1


@pytest.mark.parametrize("kind, choice", [("consent", "object"), ("consensus", "block"), ("consensus", "disagree"),
                                          ("advice", "advice")])
def test_a_reason_is_required_for_object_block_and_disagree(scene, kind, choice):
    pid = scene.propose("facilitator", kind=kind)
    before = scene.counts()
    for empty in ("", "   \n"):
        assert refused(scene.vote, pid, "member", choice, empty).field == "reason"
    assert scene.counts() == before
    scene.vote(pid, "member", choice, REASON)
    assert scene.votes(pid)[0][1] == choice


@pytest.mark.parametrize("kind, choice", [("consent", "consent"), ("consent", "concern"), ("consensus", "agree"),
                                          ("consensus", "abstain")])
def test_other_choices_need_no_reason(scene, kind, choice):
    pid = scene.propose("facilitator", kind=kind)
    scene.vote(pid, "member", choice, "")
    assert scene.votes(pid)[0][1] == choice


def test_a_reason_is_required_for_every_vote_when_the_proposal_asks(scene):
    pid = scene.propose("facilitator", reason_required=True)
    assert refused(scene.vote, pid, "member", "consent").field == "reason"
    scene.vote(pid, "member", "consent", "It is cheap.")
    poll = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"), reason_required=True)
    assert refused(scene.vote, poll, "member", "option", "", scene.option_ids(poll)[:1]).field == "reason"


@pytest.mark.parametrize("kind, choice", [("consent", "agree"), ("consensus", "consent"), ("consent", ""),
                                          ("consent", "option"), ("poll", "consent")])
def test_an_answer_the_kind_does_not_offer_is_refused(scene, kind, choice):
    pid = scene.propose("facilitator", kind=kind, options=("Tea", "Coffee"))
    before = scene.counts()
    assert refused(scene.vote, pid, "member", choice, REASON, scene.option_ids(pid)[:1]).field == "choice"
    assert scene.counts() == before


@pytest.mark.parametrize("status", ["draft", "closed", "withdrawn"])
def test_votes_are_taken_only_while_open(scene, status):
    pid = scene.propose("member", draft=status == "draft")
    if status == "closed":
        scene.close(pid)
    elif status == "withdrawn":
        scene.withdraw(pid, "member")
    before = scene.counts()
    refused(scene.vote, pid, "member", "consent")
    assert scene.counts() == before


def test_a_member_of_another_group_cannot_vote(scene, make_cast):
    other = make_cast("other", "public")
    pid = scene.propose("facilitator")
    with pytest.raises(NotAllowed):
        scene.vote(pid, other.member, "consent")
    with pytest.raises(NotAllowed):
        scene.vote(pid, "outsider", "consent")
    assert scene.votes(pid) == []


def test_someone_who_left_the_group_can_no_longer_vote(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "member", "consent")
    with scene.ctx():
        groups.leave(scene.user("member"), scene.group())
    with pytest.raises(NotAllowed):
        scene.vote(pid, "member", "concern")


# ---------------------------------------------------------------- poll votes


def test_a_poll_vote_must_name_an_option_of_this_proposal(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    other = scene.propose("facilitator", kind="poll", options=("Red", "Blue"))
    before = scene.counts()
    for chosen in ([], [999_999], scene.option_ids(other)[:1], [scene.option_ids(pid)[0], scene.option_ids(other)[0]],
                   ["tea"]):
        assert refused(scene.vote, pid, "member", "option", "", chosen).field == "option_ids"
    assert scene.counts() == before


def test_a_single_choice_poll_takes_exactly_one_option(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee", "Water"))
    tea, coffee, _ = scene.option_ids(pid)
    assert refused(scene.vote, pid, "member", "option", "", [tea, coffee]).field == "option_ids"
    scene.vote(pid, "member", "option", "", [coffee])
    assert scene.votes(pid)[0][2] == [coffee]


def test_a_multiple_choice_poll_counts_each_option_once_per_voter(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee", "Water"), multiple_choice=True)
    tea, coffee, water = scene.option_ids(pid)
    scene.vote(pid, "member", "option", "", [coffee, tea, coffee])
    scene.vote(pid, "admin", "option", "", [coffee])
    assert scene.votes(pid)[0][2] == [tea, coffee]
    result = scene.live_result(pid)
    assert result.counts == {tea: 1, coffee: 2, water: 0}
    assert (result.took_part, result.winners) == (2, [coffee])


# ---------------------------------------------------------------- two votes at once


def _insert_current_vote(scene, pid, who, choice="concern"):
    """A vote that another window (another request) has just written for this person."""
    with scene.ctx():
        db.session.add(Vote(proposal_id=pid, voter_key=ballots.voter_key(scene.proposal(pid), scene.uid(who)),
                            user_id=scene.uid(who), choice=choice, reason_md="From the other window."))
        db.session.add(Participation(proposal_id=pid, user_id=scene.uid(who)))
        db.session.commit()


def test_the_database_holds_at_most_one_current_vote_per_member(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "member", "consent")
    with scene.ctx():
        db.session.add(Vote(proposal_id=pid, voter_key=ballots.voter_key(scene.proposal(pid), scene.uid("member")),
                            user_id=scene.uid("member"), choice="concern"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert len(scene.votes(pid)) == 1


def test_a_vote_after_another_windows_vote_replaces_it_and_nothing_is_duplicated(scene):
    pid = scene.propose("facilitator")
    _insert_current_vote(scene, pid, "member")
    scene.vote(pid, "member", "consent")
    assert [v[1] for v in scene.votes(pid)] == ["consent"]
    assert [v[3] for v in scene.votes(pid, current_only=False)] == [False, True]
    assert scene.count(Participation, Participation.proposal_id == pid) == 1


def test_two_votes_from_one_member_at_once_one_wins_and_nothing_is_duplicated(scene, monkeypatch):
    """The other window's vote lands between our retiring the old vote and adding the new one."""
    pid = scene.propose("facilitator")
    _insert_current_vote(scene, pid, "member")
    real_update = votes.update
    # Our UPDATE ran before the other vote was committed, so it retired nothing.
    monkeypatch.setattr(votes, "update", lambda model: real_update(model).where(false()))
    before = scene.counts()
    message = refused(scene.vote, pid, "member", "object", REASON).message
    assert "another window" in str(message)
    assert scene.counts() == before
    assert [v[1] for v in scene.votes(pid)] == ["concern"]


# ---------------------------------------------------------------- closing


def test_a_proposal_closes_at_its_time_when_it_is_next_read(scene, clock):
    pid = scene.propose("facilitator", days=2)
    scene.vote(pid, "member", "consent")
    clock.advance(days=2, seconds=-1)
    with scene.ctx():
        assert queries.proposal_for(scene.user("member"), pid).status == "open"
    clock.advance(seconds=1)
    with scene.ctx():
        p = queries.proposal_for(scene.user("member"), pid)
        assert (p.status, p.result, p.closed_at) == ("closed", "adopted", p.closes_at)
    assert scene.events("proposal.closed") == [("proposal.closed", None)]


def test_reading_a_due_proposal_closes_it_once_whoever_reads_it(scene):
    pid = scene.propose("facilitator")
    scene.expire(pid)
    with scene.ctx():
        for who in ("member", "admin", "facilitator"):
            assert queries.proposal_for(scene.user(who), pid).status == "closed"
    assert scene.events("proposal.closed") == [("proposal.closed", None)]


def test_a_vote_after_the_closing_time_is_refused_and_closes_the_proposal(scene):
    pid = scene.propose("facilitator")
    scene.expire(pid)
    refused(scene.vote, pid, "member", "consent")
    assert scene.get(Proposal, pid, "status") == "closed"
    assert scene.votes(pid) == []


def test_close_due_closes_each_due_proposal_once(scene):
    due = [scene.propose("facilitator", title=f"Due {i}") for i in range(2)]
    later = scene.propose("facilitator", title="Later")
    for pid in due:
        scene.expire(pid)
    with scene.ctx():
        assert closing.close_due() == 2
    with scene.ctx():
        assert closing.close_due() == 0
    assert [scene.get(Proposal, pid, "status") for pid in due + [later]] == ["closed", "closed", "open"]
    assert len(scene.events("proposal.closed")) == 2


def test_a_closer_with_a_stale_copy_does_not_close_it_twice(scene):
    """Cron and a reader reach the same due proposal at once: only one of them closes it."""
    pid = scene.propose("facilitator")
    scene.expire(pid)
    with scene.ctx():
        stale = scene.proposal(pid)  # loaded while open
        assert stale.status == "open"
        with scene.app.app_context():  # meanwhile, cron closes it in a session of its own
            assert closing.close_due() == 1
        assert closing.close_if_due(stale) is False
        assert stale.status == "closed"
    assert len(scene.events("proposal.closed")) == 1


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_facilitator_closes_early(scene, who):
    pid = scene.propose("member")
    with pytest.raises(NotAllowed):
        scene.close(pid, who)
    assert scene.get(Proposal, pid, "status") == "open"


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_a_facilitator_or_admin_closes_early_and_is_named(scene, who):
    pid = scene.propose("member")
    scene.close(pid, who)
    assert scene.get(Proposal, pid, "status") == "closed"
    assert scene.events("proposal.closed") == [("proposal.closed", scene.uid(who))]
    refused(scene.close, pid, who)  # once closed, it stays closed


def test_closing_fixes_how_many_could_vote_and_what_the_rule_said(scene):
    pid = scene.propose("facilitator", quorum_percent=50)
    scene.vote(pid, "member", "consent")
    scene.vote(pid, "admin", "concern", "Where will we park it?")
    scene.close(pid)
    assert scene.get(Proposal, pid, "eligible_count", "result") == (3, "adopted")
    scene.crowd(3)  # three people join after the close: the result stands
    live = scene.live_result(pid)
    assert (live.outcome, live.eligible) == ("adopted", 3)
    assert scene.get(Proposal, pid, "result_detail")["counts"] == {"consent": 1, "concern": 1, "object": 0}


def test_the_closing_result_follows_the_kinds_rule(scene):
    consensus = scene.propose("facilitator", kind="consensus")
    scene.vote(consensus, "member", "agree")
    scene.vote(consensus, "admin", "disagree", REASON)
    scene.close(consensus)
    assert scene.get(Proposal, consensus, "result") == "not_adopted"

    poll = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    tea, coffee = scene.option_ids(poll)
    scene.vote(poll, "member", "option", "", [coffee])
    scene.close(poll)
    assert scene.get(Proposal, poll, "result", "result_detail")[0] == "chosen"
    assert scene.get(Proposal, poll, "result_detail")["winners"] == [coffee]

    advice = scene.propose("facilitator", kind="advice")
    scene.vote(advice, "member", "advice", "Ask the neighbours first.")
    scene.close(advice)
    assert scene.get(Proposal, advice, "result") == "advice"


def test_quorum_exactly_at_the_boundary_passes_at_close(scene):
    scene.crowd(1)  # four members
    pid = scene.propose("facilitator", quorum_percent=50)
    scene.vote(pid, "member", "consent")
    scene.vote(pid, "admin", "consent")
    scene.close(pid)
    assert scene.get(Proposal, pid, "result") == "adopted"
    short = scene.propose("facilitator", quorum_percent=51)
    scene.vote(short, "member", "consent")
    scene.vote(short, "admin", "consent")
    scene.close(short)
    assert scene.get(Proposal, short, "result") == "no_quorum"


# ---------------------------------------------------------------- reopening


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_a_facilitator_reopens_a_closed_proposal_with_a_new_closing_time(scene, who):
    pid = scene.propose("member")
    scene.vote(pid, "member", "consent")
    scene.close(pid)
    scene.reopen(pid, who, days=7)
    status, result, closes_at = scene.get(Proposal, pid, "status", "result", "closes_at")
    assert (status, result) == ("open", None)
    assert closes_at > datetime.now(timezone.utc) + timedelta(days=6)
    assert scene.votes(pid)[0][1] == "consent"  # votes stay
    scene.vote(pid, "admin", "concern", "Later, then.")
    assert ("proposal.reopened", scene.uid(who)) in scene.events("proposal.")


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_facilitator_reopens(scene, who):
    pid = scene.propose("member")
    scene.close(pid)
    with pytest.raises(NotAllowed):
        scene.reopen(pid, who)
    assert scene.get(Proposal, pid, "status") == "closed"


def test_an_anonymous_proposal_is_never_reopened(scene):
    pid = scene.propose("member", anonymous=True)
    scene.close(pid)
    refused(scene.reopen, pid, "admin")
    assert scene.get(Proposal, pid, "status") == "closed"


def test_a_proposal_is_not_reopened_once_its_outcome_is_recorded(scene):
    pid = scene.decided()
    refused(scene.reopen, pid)
    assert scene.get(Proposal, pid, "status") == "closed"


@pytest.mark.parametrize("days", [0, 91])
def test_reopening_needs_a_closing_time_1_to_90_days_ahead(scene, days):
    pid = scene.propose("member")
    scene.close(pid)
    refused(scene.reopen, pid, days=days)
    with scene.ctx():
        refused(closing.reopen, scene.user("facilitator"), scene.proposal(pid),
                closes_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert scene.get(Proposal, pid, "status") == "closed"


def test_only_a_closed_proposal_is_reopened(scene):
    pid = scene.propose("member")
    refused(scene.reopen, pid)
    scene.withdraw(pid, "member")
    refused(scene.reopen, pid)


# ---------------------------------------------------------------- withdrawing


@pytest.mark.parametrize("who", ["member", "facilitator", "admin"])
def test_the_author_or_a_facilitator_withdraws(scene, who):
    pid = scene.propose("member")
    scene.withdraw(pid, who)
    assert scene.get(Proposal, pid, "status") == "withdrawn"
    assert ("proposal.withdrawn", scene.uid(who)) in scene.events("proposal.")
    refused(scene.vote, pid, "member", "consent")


def test_another_member_cannot_withdraw_and_a_closed_proposal_stays_closed(scene):
    scene.crowd(1)
    pid = scene.propose("member")
    with pytest.raises(NotAllowed):
        scene.withdraw(pid, "voter0")
    scene.close(pid)
    with pytest.raises(NotAllowed):
        scene.withdraw(pid, "facilitator")
    assert scene.get(Proposal, pid, "status") == "closed"


# ---------------------------------------------------------------- amending


def test_amending_makes_a_new_version_with_its_revision(scene):
    pid = scene.propose("member", title="Bike", body="One bike.")
    scene.amend(pid, "member", title="Two bikes", body="Two bikes.")
    title, body, version = scene.get(Proposal, pid, "title", "body_md", "version")
    assert (title, body, version) == ("Two bikes", "Two bikes.", 2)
    with scene.ctx():
        revisions = db.session.execute(
            select(Revision.number, Revision.title, Revision.body_md)
            .where(Revision.target_type == "proposal", Revision.target_id == pid).order_by(Revision.number)
        ).all()
    assert [tuple(r) for r in revisions] == [(1, "Bike", "One bike."), (2, "Two bikes", "Two bikes.")]
    assert ("proposal.amended", scene.uid("member")) in scene.events("proposal.")


def test_everyone_who_voted_is_told_of_an_amendment_and_nobody_else(scene):
    scene.crowd(1)
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.vote(pid, "facilitator", "consent")
    scene.vote(pid, "member", "consent")  # the author's own vote: no note to themselves
    scene.amend(pid, "member")
    assert scene.notifications("admin", "amended") == [("amended", "proposal", pid)]
    assert scene.notifications("facilitator", "amended") == [("amended", "proposal", pid)]
    assert scene.notifications("member", "amended") == []
    assert scene.notifications("voter0", "amended") == []


def test_votes_stay_after_an_amendment_marked_on_the_version_they_were_given(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.amend(pid, "member")
    assert scene.votes(pid) == [(scene.uid("admin"), "object", [], True, 1, "open")]
    scene.vote(pid, "facilitator", "consent")
    assert [v[4] for v in scene.votes(pid)] == [1, 2]


def test_an_amendment_that_changes_nothing_is_no_new_version(scene):
    pid = scene.propose("member", title="Bike", body="One bike.")
    scene.amend(pid, "member", title="Bike", body="One bike.")
    assert scene.get(Proposal, pid, "version") == 1


@pytest.mark.parametrize("who", ["facilitator", "admin", "outsider"])
def test_only_the_author_amends(scene, who):
    pid = scene.propose("member")
    with pytest.raises(NotAllowed):
        scene.amend(pid, who)
    assert scene.get(Proposal, pid, "version") == 1


def test_a_closed_proposal_is_not_amended(scene):
    pid = scene.propose("member")
    scene.close(pid)
    with pytest.raises(NotAllowed):
        scene.amend(pid, "member")


def test_an_amendment_with_an_empty_title_or_body_is_refused(scene):
    pid = scene.propose("member")
    assert refused(scene.amend, pid, "member", title=" ", body="x").field == "title"
    assert refused(scene.amend, pid, "member", body="").field == "body"
    assert scene.get(Proposal, pid, "version") == 1


# ---------------------------------------------------------------- objections


def test_objection_blocks_adoption_until_resolved(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.vote(pid, "facilitator", "consent")
    assert scene.live_result(pid).outcome == "not_adopted"
    scene.amend(pid, "member")
    scene.settle(pid, "admin", "resolved")
    assert scene.votes(pid)[0][5] == "resolved"
    scene.close(pid)
    assert scene.get(Proposal, pid, "result") == "adopted"


def test_a_withdrawn_objection_no_longer_stops_adoption(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.settle(pid, "admin", "withdrawn")
    scene.close(pid)
    assert scene.get(Proposal, pid, "result") == "adopted"


def test_an_open_block_stops_consensus_until_its_voter_withdraws_it(scene):
    pid = scene.propose("member", kind="consensus")
    scene.vote(pid, "member", "agree")
    scene.vote(pid, "admin", "block", REASON)
    assert scene.live_result(pid).outcome == "not_adopted"
    scene.settle(pid, "admin", "withdrawn")
    scene.close(pid)
    assert scene.get(Proposal, pid, "result") == "adopted"


def test_an_unsettled_objection_stops_adoption_at_close(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.vote(pid, "facilitator", "consent")
    scene.close(pid)
    assert scene.get(Proposal, pid, "result") == "not_adopted"
    assert scene.get(Proposal, pid, "result_detail")["open_objections"] == 1


def test_only_the_objector_settles_their_objection(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    for who in ("member", "facilitator"):
        refused(scene.settle, pid, who, "resolved")
    assert scene.votes(pid)[0][5] == "open"


def test_settling_needs_an_open_objection(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "concern", "Hmm.")
    refused(scene.settle, pid, "admin", "resolved")
    scene.vote(pid, "admin", "object", REASON)
    refused(scene.settle, pid, "admin", "forgotten")
    scene.settle(pid, "admin", "resolved")
    refused(scene.settle, pid, "admin", "withdrawn")
    assert scene.votes(pid)[0][5] == "resolved"


def test_objecting_again_after_resolving_opens_a_new_objection(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.settle(pid, "admin", "resolved")
    scene.vote(pid, "admin", "object", "Still worried about the stairs.")
    assert scene.votes(pid)[0][5] == "open"
    scene.close(pid)
    assert scene.get(Proposal, pid, "result") == "not_adopted"


def test_an_objection_is_settled_only_while_the_proposal_is_open(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.close(pid)
    refused(scene.settle, pid, "admin", "resolved")
    assert scene.votes(pid)[0][5] == "open"


def test_settling_an_objection_is_on_the_timeline_naming_the_objector(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.settle(pid, "admin", "withdrawn")
    assert scene.events("proposal.objection") == [("proposal.objection_withdrawn", scene.uid("admin"))]


def test_a_former_member_cannot_settle_their_objection(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", REASON)
    scene.join("second", "admin")
    with scene.ctx():
        groups.leave(scene.user("admin"), scene.group())
    with pytest.raises(NotAllowed):
        scene.settle(pid, "admin", "withdrawn")
    assert scene.votes(pid)[0][5] == "open"


# ---------------------------------------------------------------- outcomes


def test_an_outcome_is_recorded_only_after_close(scene):
    pid = scene.propose("member")
    refused(scene.outcome, pid, result="adopted")
    scene.close(pid)
    oid = scene.outcome(pid, result="adopted", statement="We bought the bike.")
    assert scene.get(Outcome, oid, "result", "statement_md", "recorded_by_id") == (
        "adopted", "We bought the bike.", scene.uid("facilitator"))
    assert ("outcome.recorded", scene.uid("facilitator")) in scene.events("outcome.")


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_facilitator_records_the_outcome(scene, who):
    pid = scene.propose("member")
    scene.close(pid)
    with pytest.raises(NotAllowed):
        scene.outcome(pid, by=who)
    assert scene.count(Outcome) == 0


@pytest.mark.parametrize("kind, allowed", [
    ("consent", ["adopted", "not_adopted", "no_quorum"]),
    ("consensus", ["adopted", "not_adopted", "no_quorum"]),
    ("advice", ["decided", "not_decided"]),
    ("poll", ["chosen", "no_votes", "no_quorum"]),
])
def test_the_outcome_result_comes_from_the_kinds_list(scene, kind, allowed):
    pid = scene.propose("member", kind=kind, options=("Tea", "Coffee"))
    scene.close(pid)
    with scene.ctx():
        assert outcomes.result_choices(scene.proposal(pid)) == allowed
    for wrong in ({"adopted", "chosen", "decided", "advice", "", "passed"} - set(allowed)):
        assert refused(scene.outcome, pid, result=wrong).field == "result"
    scene.outcome(pid, result=allowed[-1])


@pytest.mark.parametrize("review_on", ["today", "yesterday"])
def test_a_review_date_must_be_in_the_future(scene, review_on):
    pid = scene.propose("member")
    scene.close(pid)
    day = datetime.now(timezone.utc).date() if review_on == "today" else yesterday()
    assert refused(scene.outcome, pid, review_on=day).field == "review_on"
    scene.outcome(pid, review_on=tomorrow())
    assert scene.count(Outcome) == 1


def test_an_action_owner_must_be_a_member(scene):
    pid = scene.propose("member")
    scene.close(pid)
    assert refused(scene.outcome, pid, actions=[("Buy a lock", "outsider", None)]).field == "actions"
    assert refused(scene.outcome, pid, actions=[("  ", "member", None)]).field == "actions"
    assert refused(scene.outcome, pid, actions=[("x" * 301, "member", None)]).field == "actions"
    assert scene.count(Outcome) == 0
    scene.outcome(pid, actions=[("Buy a lock", "member", tomorrow()), ("Find a shed", None, None)])
    assert scene.count(Action) == 2
    assert scene.notifications("member", "action") != []


def test_an_outcome_is_recorded_once_and_needs_a_statement(scene):
    pid = scene.propose("member")
    scene.close(pid)
    assert refused(scene.outcome, pid, statement="  ").field == "statement"
    scene.outcome(pid)
    refused(scene.outcome, pid)
    assert scene.count(Outcome) == 1


def _action(scene, owner="member"):
    pid = scene.propose("member")
    scene.close(pid)
    scene.outcome(pid, actions=[("Buy a lock", owner, tomorrow())])
    with scene.ctx():
        return db.session.scalar(select(Action.id))


def _tick(scene, who, action_id, done):
    with scene.ctx():
        user = scene.user(who)
        outcomes.set_action_done(user, queries.action_for(user, action_id), done)


@pytest.mark.parametrize("who", ["member", "facilitator", "admin"])
def test_an_action_is_ticked_off_by_its_owner_or_a_facilitator(scene, who):
    action_id = _action(scene, owner="member")
    _tick(scene, who, action_id, True)
    assert scene.get(Action, action_id, "done_at") is not None
    assert ("action.done", scene.uid(who)) in scene.events("action.")
    _tick(scene, who, action_id, False)
    assert scene.get(Action, action_id, "done_at") is None


def test_nobody_else_ticks_an_action_off(scene):
    scene.crowd(1)
    action_id = _action(scene, owner="member")
    with scene.ctx():
        with pytest.raises(NotAllowed):
            outcomes.set_action_done(scene.user("voter0"), db.session.get(Action, action_id), True)
        with pytest.raises(NotAllowed):
            outcomes.set_action_done(scene.user("outsider"), db.session.get(Action, action_id), True)
        with pytest.raises(Missing):
            queries.action_for(scene.user("outsider"), action_id)
        with pytest.raises(Missing):
            queries.action_for(scene.user("member"), 999_999)
    assert scene.get(Action, action_id, "done_at") is None


def test_ticking_an_action_that_is_already_done_changes_nothing(scene):
    action_id = _action(scene)
    _tick(scene, "member", action_id, True)
    done_at = scene.get(Action, action_id, "done_at")
    _tick(scene, "member", action_id, True)
    assert scene.get(Action, action_id, "done_at") == done_at
    assert len(scene.events("action.done")) == 1


# ---------------------------------------------------------------- the register


def _working_group(scene, slug, visibility, by="facilitator"):
    with scene.ctx():
        return groups.create_group(scene.user(by), slug.title(), slug, "", visibility, scene.group()).id


def _register(scene, who="member", **where):
    with scene.ctx():
        rows = queries.register(scene.group(), queries.RegisterFilter(**where), viewer=scene.user(who))
        return [o.proposal.title for o in rows]


def test_the_register_lists_outcomes_of_the_group_and_its_working_groups_newest_first(scene):
    kitchen = _working_group(scene, "kitchen", "public")
    scene.decided(title="Paint the door")
    wg = DecisionScene(scene.app, scene.cast)
    wg.group_id = kitchen
    pid = wg.propose("facilitator", title="New kettle")
    wg.close(pid)
    wg.outcome(pid)
    scene.propose("member", title="Still open")
    closed = scene.propose("member", title="Closed, no outcome")
    scene.close(closed)
    assert _register(scene) == ["New kettle", "Paint the door"]
    with scene.ctx():
        assert [o.proposal.title for o in queries.register(db.session.get(Group, kitchen))] == ["New kettle"]


def test_the_register_leaves_out_working_groups_the_reader_cannot_see(scene):
    care = _working_group(scene, "care", "private")
    wg = DecisionScene(scene.app, scene.cast)
    wg.group_id = care
    pid = wg.propose("facilitator", title="Secret rota")
    wg.close(pid)
    wg.outcome(pid)
    scene.decided(title="Paint the door")
    assert _register(scene, "member") == ["Paint the door"]
    assert _register(scene, "facilitator") == ["Paint the door", "Secret rota"]
    assert _register(scene, "admin") == ["Paint the door", "Secret rota"]


def test_the_register_filters_by_result(scene):
    scene.decided(title="Yes", result="adopted")
    scene.decided(title="No", result="not_adopted")
    assert _register(scene, result="adopted") == ["Yes"]
    assert _register(scene, result="not_adopted") == ["No"]
    assert _register(scene, result="chosen") == []


def test_the_register_filters_by_year(scene):
    old = scene.decided(title="Old")
    scene.decided(title="New")
    with scene.ctx():
        oid = db.session.scalar(select(Outcome.id).where(Outcome.proposal_id == old))
    scene.set(Outcome, oid, recorded_at=utc(2023, 6, 1, 12))
    year = datetime.now(timezone.utc).year
    assert _register(scene, year=2023) == ["Old"]
    assert _register(scene, year=year) == ["New"]
    assert _register(scene, year=2019) == []


def test_the_register_filters_by_tag_of_the_proposals_thread(scene):
    with scene.ctx():
        tagged = archive.start_thread(scene.user("member"), scene.group(), "Garden", "Beds", ["garden"]).id
    pid = scene.propose("member", title="Raised beds", thread=tagged)
    scene.close(pid)
    scene.outcome(pid)
    scene.decided(title="Untagged")
    assert _register(scene, tag="garden") == ["Raised beds"]
    assert _register(scene, tag="Garden") == ["Raised beds"]
    assert _register(scene, tag="kitchen") == []


# ---------------------------------------------------------------- what needs me


def _needs(scene, who="member", group_ids=None):
    with scene.ctx():
        needs = queries.needs_me(scene.user(who), group_ids)
        return ([p.title for p in needs.to_vote], [a.description for a in needs.actions],
                [o.proposal.title for o in needs.reviews])


def test_needs_me_lists_open_proposals_i_have_not_voted_on_closing_soonest_first(scene):
    scene.propose("facilitator", title="Late", days=9)
    scene.propose("facilitator", title="Soon", days=1)
    voted = scene.propose("facilitator", title="Voted", days=2)
    scene.propose("facilitator", title="Middle", days=4)
    scene.vote(voted, "member", "consent")
    assert _needs(scene)[0] == ["Soon", "Middle", "Late"]


def test_needs_me_leaves_out_drafts_closed_withdrawn_and_due_proposals(scene):
    scene.propose("member", title="My draft", draft=True)
    closed = scene.propose("facilitator", title="Closed")
    scene.close(closed)
    withdrawn = scene.propose("facilitator", title="Withdrawn")
    scene.withdraw(withdrawn, "facilitator")
    due = scene.propose("facilitator", title="Due")
    scene.expire(due)
    assert _needs(scene) == ([], [], [])


def test_needs_me_counts_a_vote_i_changed_as_voted(scene):
    pid = scene.propose("facilitator", title="Bike")
    scene.vote(pid, "member", "object", REASON)
    scene.settle(pid, "member", "withdrawn")
    assert _needs(scene)[0] == []


def test_needs_me_lists_actions_i_own_until_they_are_done(scene):
    action_id = _action(scene, owner="member")
    assert _needs(scene)[1] == ["Buy a lock"]
    assert _needs(scene, "facilitator")[1] == []
    _tick(scene, "member", action_id, True)
    assert _needs(scene)[1] == []


def test_reviews_due_appear_in_needs_me(scene):
    due = scene.decided(title="Review me", review_on=tomorrow())
    scene.decided(title="Not yet", review_on=tomorrow() + timedelta(days=30))
    assert _needs(scene)[2] == []
    with scene.ctx():
        oid = db.session.scalar(select(Outcome.id).where(Outcome.proposal_id == due))
    scene.set(Outcome, oid, review_on=datetime.now(timezone.utc).date())
    assert _needs(scene)[2] == ["Review me"]
    assert _needs(scene, "admin")[2] == ["Review me"]


def test_needs_me_never_lists_proposals_of_groups_i_am_not_in(scene, make_cast):
    other = make_cast("other", "public")
    theirs = DecisionScene(scene.app, other)
    theirs.propose("member", title="Their bike")
    mine = scene.propose("facilitator", title="Our bike")
    assert _needs(scene)[0] == ["Our bike"]
    assert _needs(scene, "outsider") == ([], [], [])
    with scene.ctx():
        groups.leave(scene.user("member"), scene.group())
    assert _needs(scene)[0] == []
    assert scene.get(Proposal, mine, "status") == "open"


def test_needs_me_for_one_group_leaves_out_the_others(scene, make_cast):
    other = make_cast("other", "private")
    scene.propose("facilitator", title="Here")
    with scene.ctx():
        _, token = groups.create_invitation(db.session.get(type(other.admin), other.admin.id),
                                            db.session.get(Group, other.group.id), "member", 7, 1)
        groups.accept_invitation(scene.user("member"), token)
    theirs = DecisionScene(scene.app, other)
    theirs.propose("admin", title="There")
    assert sorted(_needs(scene)[0]) == ["Here", "There"]
    assert _needs(scene, group_ids=[scene.group_id])[0] == ["Here"]


# ---------------------------------------------------------------- the thread


def test_the_thread_lists_its_proposals_but_not_drafts(scene):
    pid = scene.propose("member", title="Bike")
    thread_id = scene.thread_id(pid)
    scene.propose("member", title="Draft", draft=True, thread=thread_id)
    with scene.ctx():
        listed = queries.proposals_in_thread(db.session.get(Thread, thread_id))
        assert [p.title for p in listed] == ["Bike"]


def test_group_proposals_closes_the_due_ones_and_shows_only_my_drafts(scene):
    due = scene.propose("facilitator", title="Due")
    scene.expire(due)
    scene.propose("facilitator", title="Open")
    scene.propose("member", title="Mine", draft=True)
    scene.propose("admin", title="Theirs", draft=True)
    with scene.ctx():
        lists = queries.group_proposals(scene.user("member"), scene.group())
        assert [p.title for p in lists["open"]] == ["Open"]
        assert [p.title for p in lists["drafts"]] == ["Mine"]
        assert [p.title for p in lists["closed"]] == ["Due"]
    assert scene.get(Proposal, due, "status") == "closed"


def test_a_drafts_words_stay_with_its_author_until_it_opens(scene):
    scene.propose("member", title="Secret plan", body="Nobody must know yet.", draft=True)
    with scene.ctx():
        seen = [t.title for t in db.session.scalars(select(Thread).where(Thread.group_id == scene.group_id))]
        told = [e.payload for e in db.session.scalars(select(Event).where(Event.group_id == scene.group_id))]
    assert "Secret plan" not in seen
    assert not any("Secret plan" in str(payload) for payload in told)

