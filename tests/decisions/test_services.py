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
from tests.decisions.helpers import REASON, Board, tomorrow, utc, yesterday


def refused(call, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    return caught.value


# ---------------------------------------------------------------- proposing


def test_three_fields_make_a_consent_proposal_closing_in_three_days(board):
    before = datetime.now(timezone.utc)
    pid = board.propose("member", title="Paint the door", body="Blue.")
    with board.ctx():
        p = board.proposal(pid)
        assert (p.kind, p.status, p.version, p.quorum_percent, p.anonymous, p.hide_results) == (
            "consent", "open", 1, 0, False, False)
        assert before + timedelta(days=3) <= p.closes_at <= datetime.now(timezone.utc) + timedelta(days=3)
        assert p.opened_at is not None


def test_proposing_without_a_thread_starts_one_and_puts_it_on_the_timeline(board):
    pid = board.propose("member", title="Paint the door")
    with board.ctx():
        p = board.proposal(pid)
        assert (p.thread.title, p.thread.group_id) == ("Paint the door", board.group_id)
        rev = db.session.scalar(select(Revision).where(Revision.target_type == "proposal", Revision.target_id == pid))
        assert (rev.number, rev.title) == (1, "Paint the door")
    assert ("proposal.opened", board.uid("member")) in board.events("proposal.")


def test_a_proposal_made_in_a_thread_stays_in_that_thread(board):
    with board.ctx():
        thread_id = archive.start_thread(board.user("member"), board.group(), "Kitchen", "Rota talk").id
    pid = board.propose("facilitator", thread=thread_id)
    assert board.thread_id(pid) == thread_id
    assert board.count(Thread) == 1


def test_a_proposal_in_another_groups_thread_is_refused(board, make_cast):
    other = make_cast("other", "private")
    with board.ctx():
        thread_id = archive.start_thread(db.session.get(type(other.admin), other.admin.id),
                                         db.session.get(Group, other.group.id), "Elsewhere", "Not yours").id
    with pytest.raises(Missing):
        board.propose("member", thread=thread_id)


def test_proposals_start_every_kind_and_refuse_an_unknown_one(board):
    for kind in ("consent", "consensus", "advice"):
        assert board.get(Proposal, board.propose(kind=kind), "kind") == kind
    assert board.get(Proposal, board.propose(kind="poll", options=("Tea", "Coffee")), "kind") == "poll"
    before = board.counts()
    assert refused(board.propose, kind="lottery").field == "kind"
    assert board.counts() == before


def test_only_members_propose(town):
    with pytest.raises(NotAllowed):
        town.propose("outsider")


@pytest.mark.parametrize("title, body, field", [("", "Body", "title"), ("   ", "Body", "title"),
                                                ("Title", "", "body"), ("Title", "  \n ", "body"),
                                                ("x" * 201, "Body", "title")])
def test_empty_or_oversized_title_and_body_are_refused(board, title, body, field):
    before = board.counts()
    assert refused(board.propose, title=title, body=body).field == field
    assert board.counts() == before


@pytest.mark.parametrize("days", [0, -1, 91, None])
def test_days_outside_1_to_90_are_refused(board, days):
    before = board.counts()
    assert refused(board.propose, days=days).field == "days"
    assert board.counts() == before


@pytest.mark.parametrize("days", [1, 90])
def test_days_from_1_to_90_are_accepted(board, days):
    pid = board.propose(days=days)
    closes_at = board.get(Proposal, pid, "closes_at")
    assert abs(closes_at - (datetime.now(timezone.utc) + timedelta(days=days))) < timedelta(minutes=1)


def test_a_closing_time_in_the_past_is_refused(board):
    for past in (datetime.now(timezone.utc) - timedelta(minutes=1), datetime.now(timezone.utc)):
        assert refused(board.propose, closes_at=past).field == "closes_at"
    assert board.count(Proposal) == 0


def test_a_closing_time_more_than_90_days_ahead_is_refused(board):
    assert refused(board.propose, closes_at=datetime.now(timezone.utc) + timedelta(days=91)).field == "closes_at"


def test_an_exact_closing_time_wins_over_days(board):
    at = (datetime.now(timezone.utc) + timedelta(hours=5)).replace(microsecond=0)
    assert board.get(Proposal, board.propose(days=3, closes_at=at), "closes_at") == at


@pytest.mark.parametrize("quorum", [-1, 101])
def test_quorum_outside_0_to_100_is_refused(board, quorum):
    assert refused(board.propose, quorum_percent=quorum).field == "quorum_percent"
    assert board.count(Proposal) == 0


@pytest.mark.parametrize("options", [(), ("Only one",), ("Same", "Same"), ("Tea", " Tea "),
                                     tuple(f"Option {i}" for i in range(21)), ("Tea", "x" * 201)])
def test_a_poll_needs_2_to_20_distinct_options(board, options):
    assert refused(board.propose, kind="poll", options=options).field == "options"
    assert board.count(Proposal) == 0


def test_a_poll_keeps_its_options_in_order_and_skips_blank_lines(board):
    pid = board.propose(kind="poll", options=("Tea", "", "  ", "Coffee"))
    with board.ctx():
        assert [o.label for o in board.proposal(pid).options] == ["Tea", "Coffee"]
    pid = board.propose(kind="poll", options=tuple(f"Option {i}" for i in range(20)))
    assert len(board.option_ids(pid)) == 20


def test_options_are_ignored_and_multiple_choice_is_off_for_other_kinds(board):
    pid = board.propose(kind="consent", options=("A", "B"), multiple_choice=True)
    assert board.option_ids(pid) == []
    assert board.get(Proposal, pid, "multiple_choice") is False


# ---------------------------------------------------------------- drafts


def test_a_draft_takes_no_votes_and_tells_nobody_until_its_author_opens_it(board):
    pid = board.propose("member", draft=True)
    assert board.get(Proposal, pid, "status") == "draft"
    assert board.notifications("facilitator", "proposal") == []
    refused(board.vote, pid, "member", "consent")
    board.open_draft(pid, "member", days=5)
    assert board.get(Proposal, pid, "status") == "open"
    assert board.notifications("facilitator", "proposal") == [("proposal", "proposal", pid)]
    board.vote(pid, "facilitator", "consent")


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_only_the_author_opens_a_draft(board, who):
    pid = board.propose("member", draft=True)
    with pytest.raises(NotAllowed):
        board.open_draft(pid, who)
    assert board.get(Proposal, pid, "status") == "draft"


@pytest.mark.parametrize("days", [0, 91, -3])
def test_opening_a_draft_with_days_outside_1_to_90_is_refused(board, days):
    pid = board.propose("member", draft=True)
    refused(board.open_draft, pid, "member", days=days)
    assert board.get(Proposal, pid, "status") == "draft"


def test_a_draft_is_read_only_by_its_author(board):
    pid = board.propose("member", draft=True)
    with board.ctx():
        assert queries.proposal_for(board.user("member"), pid).id == pid
        for who in ("facilitator", "admin", "outsider"):
            with pytest.raises(Missing):
                queries.proposal_for(board.user(who), pid)


# ---------------------------------------------------------------- votes


def test_one_current_vote_per_member_and_every_change_is_kept(board):
    pid = board.propose("facilitator")
    board.vote(pid, "member", "consent")
    board.vote(pid, "member", "concern", "Mind the stairs.")
    board.vote(pid, "member", "object", REASON)
    member = board.uid("member")
    assert board.votes(pid, current_only=False) == [
        (member, "consent", [], False, 1, None),
        (member, "concern", [], False, 1, None),
        (member, "object", [], True, 1, "open"),
    ]
    assert board.count(Participation, Participation.proposal_id == pid) == 1


@pytest.mark.parametrize("kind, choice", [("consent", "object"), ("consensus", "block"), ("consensus", "disagree"),
                                          ("advice", "advice")])
def test_a_reason_is_required_for_object_block_and_disagree(board, kind, choice):
    pid = board.propose("facilitator", kind=kind)
    before = board.counts()
    for empty in ("", "   \n"):
        assert refused(board.vote, pid, "member", choice, empty).field == "reason"
    assert board.counts() == before
    board.vote(pid, "member", choice, REASON)
    assert board.votes(pid)[0][1] == choice


@pytest.mark.parametrize("kind, choice", [("consent", "consent"), ("consent", "concern"), ("consensus", "agree"),
                                          ("consensus", "abstain")])
def test_other_choices_need_no_reason(board, kind, choice):
    pid = board.propose("facilitator", kind=kind)
    board.vote(pid, "member", choice, "")
    assert board.votes(pid)[0][1] == choice


def test_a_reason_is_required_for_every_vote_when_the_proposal_asks(board):
    pid = board.propose("facilitator", reason_required=True)
    assert refused(board.vote, pid, "member", "consent").field == "reason"
    board.vote(pid, "member", "consent", "It is cheap.")
    poll = board.propose("facilitator", kind="poll", options=("Tea", "Coffee"), reason_required=True)
    assert refused(board.vote, poll, "member", "option", "", board.option_ids(poll)[:1]).field == "reason"


@pytest.mark.parametrize("kind, choice", [("consent", "agree"), ("consensus", "consent"), ("consent", ""),
                                          ("consent", "option"), ("poll", "consent")])
def test_an_answer_the_kind_does_not_offer_is_refused(board, kind, choice):
    pid = board.propose("facilitator", kind=kind, options=("Tea", "Coffee"))
    before = board.counts()
    assert refused(board.vote, pid, "member", choice, REASON, board.option_ids(pid)[:1]).field == "choice"
    assert board.counts() == before


@pytest.mark.parametrize("status", ["draft", "closed", "withdrawn"])
def test_votes_are_taken_only_while_open(board, status):
    pid = board.propose("member", draft=status == "draft")
    if status == "closed":
        board.close(pid)
    elif status == "withdrawn":
        board.withdraw(pid, "member")
    before = board.counts()
    refused(board.vote, pid, "member", "consent")
    assert board.counts() == before


def test_a_member_of_another_group_cannot_vote(board, make_cast):
    other = make_cast("other", "public")
    pid = board.propose("facilitator")
    with pytest.raises(NotAllowed):
        board.vote(pid, other.member, "consent")
    with pytest.raises(NotAllowed):
        board.vote(pid, "outsider", "consent")
    assert board.votes(pid) == []


def test_someone_who_left_the_group_can_no_longer_vote(board):
    pid = board.propose("facilitator")
    board.vote(pid, "member", "consent")
    with board.ctx():
        groups.leave(board.user("member"), board.group())
    with pytest.raises(NotAllowed):
        board.vote(pid, "member", "concern")


# ---------------------------------------------------------------- poll votes


def test_a_poll_vote_must_name_an_option_of_this_proposal(board):
    pid = board.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    other = board.propose("facilitator", kind="poll", options=("Red", "Blue"))
    before = board.counts()
    for chosen in ([], [999_999], board.option_ids(other)[:1], [board.option_ids(pid)[0], board.option_ids(other)[0]],
                   ["tea"]):
        assert refused(board.vote, pid, "member", "option", "", chosen).field == "option_ids"
    assert board.counts() == before


def test_a_single_choice_poll_takes_exactly_one_option(board):
    pid = board.propose("facilitator", kind="poll", options=("Tea", "Coffee", "Water"))
    tea, coffee, _ = board.option_ids(pid)
    assert refused(board.vote, pid, "member", "option", "", [tea, coffee]).field == "option_ids"
    board.vote(pid, "member", "option", "", [coffee])
    assert board.votes(pid)[0][2] == [coffee]


def test_a_multiple_choice_poll_counts_each_option_once_per_voter(board):
    pid = board.propose("facilitator", kind="poll", options=("Tea", "Coffee", "Water"), multiple_choice=True)
    tea, coffee, water = board.option_ids(pid)
    board.vote(pid, "member", "option", "", [coffee, tea, coffee])
    board.vote(pid, "admin", "option", "", [coffee])
    assert board.votes(pid)[0][2] == [tea, coffee]
    with board.ctx():
        p = board.proposal(pid)
        result = queries.live_result(p, ballots.current_votes(p))
    assert result.counts == {tea: 1, coffee: 2, water: 0}
    assert (result.took_part, result.winners) == (2, [coffee])


# ---------------------------------------------------------------- two votes at once


def _insert_current_vote(board, pid, who, choice="concern"):
    """A vote that another window (another request) has just written for this person."""
    with board.ctx():
        db.session.add(Vote(proposal_id=pid, voter_key=ballots.voter_key(board.proposal(pid), board.uid(who)),
                            user_id=board.uid(who), choice=choice, reason_md="From the other window."))
        db.session.add(Participation(proposal_id=pid, user_id=board.uid(who)))
        db.session.commit()


def test_the_database_holds_at_most_one_current_vote_per_member(board):
    pid = board.propose("facilitator")
    board.vote(pid, "member", "consent")
    with board.ctx():
        db.session.add(Vote(proposal_id=pid, voter_key=ballots.voter_key(board.proposal(pid), board.uid("member")),
                            user_id=board.uid("member"), choice="concern"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert len(board.votes(pid)) == 1


def test_a_vote_after_another_windows_vote_replaces_it_and_nothing_is_duplicated(board):
    pid = board.propose("facilitator")
    _insert_current_vote(board, pid, "member")
    board.vote(pid, "member", "consent")
    assert [v[1] for v in board.votes(pid)] == ["consent"]
    assert [v[3] for v in board.votes(pid, current_only=False)] == [False, True]
    assert board.count(Participation, Participation.proposal_id == pid) == 1


def test_two_votes_from_one_member_at_once_one_wins_and_nothing_is_duplicated(board, monkeypatch):
    """The other window's vote lands between our retiring the old vote and adding the new one."""
    pid = board.propose("facilitator")
    _insert_current_vote(board, pid, "member")
    real_update = votes.update
    # Our UPDATE ran before the other vote was committed, so it retired nothing.
    monkeypatch.setattr(votes, "update", lambda model: real_update(model).where(false()))
    before = board.counts()
    message = refused(board.vote, pid, "member", "object", REASON).message
    assert "another window" in str(message)
    assert board.counts() == before
    assert [v[1] for v in board.votes(pid)] == ["concern"]


# ---------------------------------------------------------------- closing


def test_a_proposal_closes_at_its_time_when_it_is_next_read(board, clock):
    pid = board.propose("facilitator", days=2)
    board.vote(pid, "member", "consent")
    clock.advance(days=2, seconds=-1)
    with board.ctx():
        assert queries.proposal_for(board.user("member"), pid).status == "open"
    clock.advance(seconds=1)
    with board.ctx():
        p = queries.proposal_for(board.user("member"), pid)
        assert (p.status, p.result, p.closed_at) == ("closed", "adopted", p.closes_at)
    assert board.events("proposal.closed") == [("proposal.closed", None)]


def test_reading_a_due_proposal_closes_it_once_whoever_reads_it(board):
    pid = board.propose("facilitator")
    board.expire(pid)
    with board.ctx():
        for who in ("member", "admin", "facilitator"):
            assert queries.proposal_for(board.user(who), pid).status == "closed"
    assert board.events("proposal.closed") == [("proposal.closed", None)]


def test_a_vote_after_the_closing_time_is_refused_and_closes_the_proposal(board):
    pid = board.propose("facilitator")
    board.expire(pid)
    refused(board.vote, pid, "member", "consent")
    assert board.get(Proposal, pid, "status") == "closed"
    assert board.votes(pid) == []


def test_close_due_closes_each_due_proposal_once(board):
    due = [board.propose("facilitator", title=f"Due {i}") for i in range(2)]
    later = board.propose("facilitator", title="Later")
    for pid in due:
        board.expire(pid)
    with board.ctx():
        assert closing.close_due() == 2
    with board.ctx():
        assert closing.close_due() == 0
    assert [board.get(Proposal, pid, "status") for pid in due + [later]] == ["closed", "closed", "open"]
    assert len(board.events("proposal.closed")) == 2


def test_a_closer_with_a_stale_copy_does_not_close_it_twice(board):
    """Cron and a reader reach the same due proposal at once: only one of them closes it."""
    pid = board.propose("facilitator")
    board.expire(pid)
    with board.ctx():
        stale = board.proposal(pid)  # loaded while open
        assert stale.status == "open"
        with board.app.app_context():  # meanwhile, cron closes it in a session of its own
            assert closing.close_due() == 1
        assert closing.close_if_due(stale) is False
        assert stale.status == "closed"
    assert len(board.events("proposal.closed")) == 1


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_facilitator_closes_early(board, who):
    pid = board.propose("member")
    with pytest.raises(NotAllowed):
        board.close(pid, who)
    assert board.get(Proposal, pid, "status") == "open"


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_a_facilitator_or_admin_closes_early_and_is_named(board, who):
    pid = board.propose("member")
    board.close(pid, who)
    assert board.get(Proposal, pid, "status") == "closed"
    assert board.events("proposal.closed") == [("proposal.closed", board.uid(who))]
    refused(board.close, pid, who)  # once closed, it stays closed


def test_closing_fixes_how_many_could_vote_and_what_the_rule_said(board):
    pid = board.propose("facilitator", quorum_percent=50)
    board.vote(pid, "member", "consent")
    board.vote(pid, "admin", "concern", "Where will we park it?")
    board.close(pid)
    assert board.get(Proposal, pid, "eligible_count", "result") == (3, "adopted")
    board.crowd(3)  # three people join after the close: the result stands
    with board.ctx():
        p = board.proposal(pid)
        live = queries.live_result(p, ballots.current_votes(p))
        assert (live.outcome, live.eligible) == ("adopted", 3)
        assert p.result_detail["counts"] == {"consent": 1, "concern": 1, "object": 0}


def test_the_closing_result_follows_the_kinds_rule(board):
    consensus = board.propose("facilitator", kind="consensus")
    board.vote(consensus, "member", "agree")
    board.vote(consensus, "admin", "disagree", REASON)
    board.close(consensus)
    assert board.get(Proposal, consensus, "result") == "not_adopted"

    poll = board.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    tea, coffee = board.option_ids(poll)
    board.vote(poll, "member", "option", "", [coffee])
    board.close(poll)
    assert board.get(Proposal, poll, "result", "result_detail")[0] == "chosen"
    assert board.get(Proposal, poll, "result_detail")["winners"] == [coffee]

    advice = board.propose("facilitator", kind="advice")
    board.vote(advice, "member", "advice", "Ask the neighbours first.")
    board.close(advice)
    assert board.get(Proposal, advice, "result") == "advice"


def test_quorum_exactly_at_the_boundary_passes_at_close(board):
    board.crowd(1)  # four members
    pid = board.propose("facilitator", quorum_percent=50)
    board.vote(pid, "member", "consent")
    board.vote(pid, "admin", "consent")
    board.close(pid)
    assert board.get(Proposal, pid, "result") == "adopted"
    short = board.propose("facilitator", quorum_percent=51)
    board.vote(short, "member", "consent")
    board.vote(short, "admin", "consent")
    board.close(short)
    assert board.get(Proposal, short, "result") == "no_quorum"


# ---------------------------------------------------------------- reopening


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_a_facilitator_reopens_a_closed_proposal_with_a_new_closing_time(board, who):
    pid = board.propose("member")
    board.vote(pid, "member", "consent")
    board.close(pid)
    board.reopen(pid, who, days=7)
    status, result, closes_at = board.get(Proposal, pid, "status", "result", "closes_at")
    assert (status, result) == ("open", None)
    assert closes_at > datetime.now(timezone.utc) + timedelta(days=6)
    assert board.votes(pid)[0][1] == "consent"  # votes stay
    board.vote(pid, "admin", "concern", "Later, then.")
    assert ("proposal.reopened", board.uid(who)) in board.events("proposal.")


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_facilitator_reopens(board, who):
    pid = board.propose("member")
    board.close(pid)
    with pytest.raises(NotAllowed):
        board.reopen(pid, who)
    assert board.get(Proposal, pid, "status") == "closed"


def test_an_anonymous_proposal_is_never_reopened(board):
    pid = board.propose("member", anonymous=True)
    board.close(pid)
    refused(board.reopen, pid, "admin")
    assert board.get(Proposal, pid, "status") == "closed"


def test_a_proposal_is_not_reopened_once_its_outcome_is_recorded(board):
    pid = board.decided()
    refused(board.reopen, pid)
    assert board.get(Proposal, pid, "status") == "closed"


@pytest.mark.parametrize("days", [0, 91])
def test_reopening_needs_a_closing_time_1_to_90_days_ahead(board, days):
    pid = board.propose("member")
    board.close(pid)
    refused(board.reopen, pid, days=days)
    with board.ctx():
        refused(closing.reopen, board.user("facilitator"), board.proposal(pid),
                closes_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert board.get(Proposal, pid, "status") == "closed"


def test_only_a_closed_proposal_is_reopened(board):
    pid = board.propose("member")
    refused(board.reopen, pid)
    board.withdraw(pid, "member")
    refused(board.reopen, pid)


# ---------------------------------------------------------------- withdrawing


@pytest.mark.parametrize("who", ["member", "facilitator", "admin"])
def test_the_author_or_a_facilitator_withdraws(board, who):
    pid = board.propose("member")
    board.withdraw(pid, who)
    assert board.get(Proposal, pid, "status") == "withdrawn"
    assert ("proposal.withdrawn", board.uid(who)) in board.events("proposal.")
    refused(board.vote, pid, "member", "consent")


def test_another_member_cannot_withdraw_and_a_closed_proposal_stays_closed(board):
    board.crowd(1)
    pid = board.propose("member")
    with pytest.raises(NotAllowed):
        board.withdraw(pid, "voter0")
    board.close(pid)
    with pytest.raises(NotAllowed):
        board.withdraw(pid, "facilitator")
    assert board.get(Proposal, pid, "status") == "closed"


# ---------------------------------------------------------------- amending


def test_amending_makes_a_new_version_with_its_revision(board):
    pid = board.propose("member", title="Bike", body="One bike.")
    board.amend(pid, "member", title="Two bikes", body="Two bikes.")
    title, body, version = board.get(Proposal, pid, "title", "body_md", "version")
    assert (title, body, version) == ("Two bikes", "Two bikes.", 2)
    with board.ctx():
        revisions = db.session.execute(
            select(Revision.number, Revision.title, Revision.body_md)
            .where(Revision.target_type == "proposal", Revision.target_id == pid).order_by(Revision.number)
        ).all()
    assert [tuple(r) for r in revisions] == [(1, "Bike", "One bike."), (2, "Two bikes", "Two bikes.")]
    assert ("proposal.amended", board.uid("member")) in board.events("proposal.")


def test_everyone_who_voted_is_told_of_an_amendment_and_nobody_else(board):
    board.crowd(1)
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.vote(pid, "facilitator", "consent")
    board.vote(pid, "member", "consent")  # the author's own vote: no note to themselves
    board.amend(pid, "member")
    assert board.notifications("admin", "amended") == [("amended", "proposal", pid)]
    assert board.notifications("facilitator", "amended") == [("amended", "proposal", pid)]
    assert board.notifications("member", "amended") == []
    assert board.notifications("voter0", "amended") == []


def test_votes_stay_after_an_amendment_marked_on_the_version_they_were_given(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.amend(pid, "member")
    assert board.votes(pid) == [(board.uid("admin"), "object", [], True, 1, "open")]
    board.vote(pid, "facilitator", "consent")
    assert [v[4] for v in board.votes(pid)] == [1, 2]


def test_an_amendment_that_changes_nothing_is_no_new_version(board):
    pid = board.propose("member", title="Bike", body="One bike.")
    board.amend(pid, "member", title="Bike", body="One bike.")
    assert board.get(Proposal, pid, "version") == 1


@pytest.mark.parametrize("who", ["facilitator", "admin", "outsider"])
def test_only_the_author_amends(board, who):
    pid = board.propose("member")
    with pytest.raises(NotAllowed):
        board.amend(pid, who)
    assert board.get(Proposal, pid, "version") == 1


def test_a_closed_proposal_is_not_amended(board):
    pid = board.propose("member")
    board.close(pid)
    with pytest.raises(NotAllowed):
        board.amend(pid, "member")


def test_an_amendment_with_an_empty_title_or_body_is_refused(board):
    pid = board.propose("member")
    assert refused(board.amend, pid, "member", title=" ", body="x").field == "title"
    assert refused(board.amend, pid, "member", body="").field == "body"
    assert board.get(Proposal, pid, "version") == 1


# ---------------------------------------------------------------- objections


def test_objection_blocks_adoption_until_resolved(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.vote(pid, "facilitator", "consent")
    with board.ctx():
        p = board.proposal(pid)
        assert queries.live_result(p, ballots.current_votes(p)).outcome == "not_adopted"
    board.amend(pid, "member")
    board.settle(pid, "admin", "resolved")
    assert board.votes(pid)[0][5] == "resolved"
    board.close(pid)
    assert board.get(Proposal, pid, "result") == "adopted"


def test_a_withdrawn_objection_no_longer_stops_adoption(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.settle(pid, "admin", "withdrawn")
    board.close(pid)
    assert board.get(Proposal, pid, "result") == "adopted"


def test_an_open_block_stops_consensus_until_its_voter_withdraws_it(board):
    pid = board.propose("member", kind="consensus")
    board.vote(pid, "member", "agree")
    board.vote(pid, "admin", "block", REASON)
    with board.ctx():
        p = board.proposal(pid)
        assert queries.live_result(p, ballots.current_votes(p)).outcome == "not_adopted"
    board.settle(pid, "admin", "withdrawn")
    board.close(pid)
    assert board.get(Proposal, pid, "result") == "adopted"


def test_an_unsettled_objection_stops_adoption_at_close(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.vote(pid, "facilitator", "consent")
    board.close(pid)
    assert board.get(Proposal, pid, "result") == "not_adopted"
    assert board.get(Proposal, pid, "result_detail")["open_objections"] == 1


def test_only_the_objector_settles_their_objection(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    for who in ("member", "facilitator"):
        refused(board.settle, pid, who, "resolved")
    assert board.votes(pid)[0][5] == "open"


def test_settling_needs_an_open_objection(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "concern", "Hmm.")
    refused(board.settle, pid, "admin", "resolved")
    board.vote(pid, "admin", "object", REASON)
    refused(board.settle, pid, "admin", "forgotten")
    board.settle(pid, "admin", "resolved")
    refused(board.settle, pid, "admin", "withdrawn")
    assert board.votes(pid)[0][5] == "resolved"


def test_objecting_again_after_resolving_opens_a_new_objection(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.settle(pid, "admin", "resolved")
    board.vote(pid, "admin", "object", "Still worried about the stairs.")
    assert board.votes(pid)[0][5] == "open"
    board.close(pid)
    assert board.get(Proposal, pid, "result") == "not_adopted"


def test_an_objection_is_settled_only_while_the_proposal_is_open(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.close(pid)
    refused(board.settle, pid, "admin", "resolved")
    assert board.votes(pid)[0][5] == "open"


def test_settling_an_objection_is_on_the_timeline_naming_the_objector(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.settle(pid, "admin", "withdrawn")
    assert board.events("proposal.objection") == [("proposal.objection_withdrawn", board.uid("admin"))]


def test_a_former_member_cannot_settle_their_objection(board):
    pid = board.propose("member")
    board.vote(pid, "admin", "object", REASON)
    board.join("second", "admin")
    with board.ctx():
        groups.leave(board.user("admin"), board.group())
    with pytest.raises(NotAllowed):
        board.settle(pid, "admin", "withdrawn")
    assert board.votes(pid)[0][5] == "open"


# ---------------------------------------------------------------- outcomes


def test_an_outcome_is_recorded_only_after_close(board):
    pid = board.propose("member")
    refused(board.outcome, pid, result="adopted")
    board.close(pid)
    oid = board.outcome(pid, result="adopted", statement="We bought the bike.")
    assert board.get(Outcome, oid, "result", "statement_md", "recorded_by_id") == (
        "adopted", "We bought the bike.", board.uid("facilitator"))
    assert ("outcome.recorded", board.uid("facilitator")) in board.events("outcome.")


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_facilitator_records_the_outcome(board, who):
    pid = board.propose("member")
    board.close(pid)
    with pytest.raises(NotAllowed):
        board.outcome(pid, by=who)
    assert board.count(Outcome) == 0


@pytest.mark.parametrize("kind, allowed", [
    ("consent", ["adopted", "not_adopted", "no_quorum"]),
    ("consensus", ["adopted", "not_adopted", "no_quorum"]),
    ("advice", ["decided", "not_decided"]),
    ("poll", ["chosen", "no_votes", "no_quorum"]),
])
def test_the_outcome_result_comes_from_the_kinds_list(board, kind, allowed):
    pid = board.propose("member", kind=kind, options=("Tea", "Coffee"))
    board.close(pid)
    with board.ctx():
        assert outcomes.result_choices(board.proposal(pid)) == allowed
    for wrong in ({"adopted", "chosen", "decided", "advice", "", "passed"} - set(allowed)):
        assert refused(board.outcome, pid, result=wrong).field == "result"
    board.outcome(pid, result=allowed[-1])


@pytest.mark.parametrize("review_on", ["today", "yesterday"])
def test_a_review_date_must_be_in_the_future(board, review_on):
    pid = board.propose("member")
    board.close(pid)
    day = datetime.now(timezone.utc).date() if review_on == "today" else yesterday()
    assert refused(board.outcome, pid, review_on=day).field == "review_on"
    board.outcome(pid, review_on=tomorrow())
    assert board.count(Outcome) == 1


def test_an_action_owner_must_be_a_member(board):
    pid = board.propose("member")
    board.close(pid)
    assert refused(board.outcome, pid, actions=[("Buy a lock", "outsider", None)]).field == "actions"
    assert refused(board.outcome, pid, actions=[("  ", "member", None)]).field == "actions"
    assert refused(board.outcome, pid, actions=[("x" * 301, "member", None)]).field == "actions"
    assert board.count(Outcome) == 0
    board.outcome(pid, actions=[("Buy a lock", "member", tomorrow()), ("Find a shed", None, None)])
    assert board.count(Action) == 2
    assert board.notifications("member", "action") != []


def test_an_outcome_is_recorded_once_and_needs_a_statement(board):
    pid = board.propose("member")
    board.close(pid)
    assert refused(board.outcome, pid, statement="  ").field == "statement"
    board.outcome(pid)
    refused(board.outcome, pid)
    assert board.count(Outcome) == 1


def _action(board, owner="member"):
    pid = board.propose("member")
    board.close(pid)
    board.outcome(pid, actions=[("Buy a lock", owner, tomorrow())])
    with board.ctx():
        return db.session.scalar(select(Action.id))


def _tick(board, who, action_id, done):
    with board.ctx():
        user = board.user(who)
        outcomes.set_action_done(user, queries.action_for(user, action_id), done)


@pytest.mark.parametrize("who", ["member", "facilitator", "admin"])
def test_an_action_is_ticked_off_by_its_owner_or_a_facilitator(board, who):
    action_id = _action(board, owner="member")
    _tick(board, who, action_id, True)
    assert board.get(Action, action_id, "done_at") is not None
    assert ("action.done", board.uid(who)) in board.events("action.")
    _tick(board, who, action_id, False)
    assert board.get(Action, action_id, "done_at") is None


def test_nobody_else_ticks_an_action_off(board):
    board.crowd(1)
    action_id = _action(board, owner="member")
    with board.ctx():
        with pytest.raises(NotAllowed):
            outcomes.set_action_done(board.user("voter0"), db.session.get(Action, action_id), True)
        with pytest.raises(NotAllowed):
            outcomes.set_action_done(board.user("outsider"), db.session.get(Action, action_id), True)
        with pytest.raises(Missing):
            queries.action_for(board.user("outsider"), action_id)
        with pytest.raises(Missing):
            queries.action_for(board.user("member"), 999_999)
    assert board.get(Action, action_id, "done_at") is None


def test_ticking_an_action_that_is_already_done_changes_nothing(board):
    action_id = _action(board)
    _tick(board, "member", action_id, True)
    done_at = board.get(Action, action_id, "done_at")
    _tick(board, "member", action_id, True)
    assert board.get(Action, action_id, "done_at") == done_at
    assert len(board.events("action.done")) == 1


# ---------------------------------------------------------------- the register


def _working_group(board, slug, visibility, by="facilitator"):
    with board.ctx():
        return groups.create_group(board.user(by), slug.title(), slug, "", visibility, board.group()).id


def _register(board, who="member", **where):
    with board.ctx():
        rows = queries.register(board.group(), queries.RegisterFilter(**where), viewer=board.user(who))
        return [o.proposal.title for o in rows]


def test_the_register_lists_outcomes_of_the_group_and_its_working_groups_newest_first(board):
    kitchen = _working_group(board, "kitchen", "public")
    board.decided(title="Paint the door")
    wg = Board(board.app, board.cast)
    wg.group_id = kitchen
    pid = wg.propose("facilitator", title="New kettle")
    wg.close(pid)
    wg.outcome(pid)
    board.propose("member", title="Still open")
    closed = board.propose("member", title="Closed, no outcome")
    board.close(closed)
    assert _register(board) == ["New kettle", "Paint the door"]
    with board.ctx():
        assert [o.proposal.title for o in queries.register(db.session.get(Group, kitchen))] == ["New kettle"]


def test_the_register_leaves_out_working_groups_the_reader_cannot_see(board):
    care = _working_group(board, "care", "private")
    wg = Board(board.app, board.cast)
    wg.group_id = care
    pid = wg.propose("facilitator", title="Secret rota")
    wg.close(pid)
    wg.outcome(pid)
    board.decided(title="Paint the door")
    assert _register(board, "member") == ["Paint the door"]
    assert _register(board, "facilitator") == ["Paint the door", "Secret rota"]
    assert _register(board, "admin") == ["Paint the door", "Secret rota"]


def test_the_register_filters_by_result(board):
    board.decided(title="Yes", result="adopted")
    board.decided(title="No", result="not_adopted")
    assert _register(board, result="adopted") == ["Yes"]
    assert _register(board, result="not_adopted") == ["No"]
    assert _register(board, result="chosen") == []


def test_the_register_filters_by_year(board):
    old = board.decided(title="Old")
    board.decided(title="New")
    with board.ctx():
        oid = db.session.scalar(select(Outcome.id).where(Outcome.proposal_id == old))
    board.set(Outcome, oid, recorded_at=utc(2023, 6, 1, 12))
    year = datetime.now(timezone.utc).year
    assert _register(board, year=2023) == ["Old"]
    assert _register(board, year=year) == ["New"]
    assert _register(board, year=2019) == []


def test_the_register_filters_by_tag_of_the_proposals_thread(board):
    with board.ctx():
        tagged = archive.start_thread(board.user("member"), board.group(), "Garden", "Beds", ["garden"]).id
    pid = board.propose("member", title="Raised beds", thread=tagged)
    board.close(pid)
    board.outcome(pid)
    board.decided(title="Untagged")
    assert _register(board, tag="garden") == ["Raised beds"]
    assert _register(board, tag="Garden") == ["Raised beds"]
    assert _register(board, tag="kitchen") == []


# ---------------------------------------------------------------- what needs me


def _needs(board, who="member", group_ids=None):
    with board.ctx():
        needs = queries.needs_me(board.user(who), group_ids)
        return ([p.title for p in needs.to_vote], [a.description for a in needs.actions],
                [o.proposal.title for o in needs.reviews])


def test_needs_me_lists_open_proposals_i_have_not_voted_on_closing_soonest_first(board):
    board.propose("facilitator", title="Late", days=9)
    board.propose("facilitator", title="Soon", days=1)
    voted = board.propose("facilitator", title="Voted", days=2)
    board.propose("facilitator", title="Middle", days=4)
    board.vote(voted, "member", "consent")
    assert _needs(board)[0] == ["Soon", "Middle", "Late"]


def test_needs_me_leaves_out_drafts_closed_withdrawn_and_due_proposals(board):
    board.propose("member", title="My draft", draft=True)
    closed = board.propose("facilitator", title="Closed")
    board.close(closed)
    withdrawn = board.propose("facilitator", title="Withdrawn")
    board.withdraw(withdrawn, "facilitator")
    due = board.propose("facilitator", title="Due")
    board.expire(due)
    assert _needs(board) == ([], [], [])


def test_needs_me_counts_a_vote_i_changed_as_voted(board):
    pid = board.propose("facilitator", title="Bike")
    board.vote(pid, "member", "object", REASON)
    board.settle(pid, "member", "withdrawn")
    assert _needs(board)[0] == []


def test_needs_me_lists_actions_i_own_until_they_are_done(board):
    action_id = _action(board, owner="member")
    assert _needs(board)[1] == ["Buy a lock"]
    assert _needs(board, "facilitator")[1] == []
    _tick(board, "member", action_id, True)
    assert _needs(board)[1] == []


def test_reviews_due_appear_in_needs_me(board):
    due = board.decided(title="Review me", review_on=tomorrow())
    board.decided(title="Not yet", review_on=tomorrow() + timedelta(days=30))
    assert _needs(board)[2] == []
    with board.ctx():
        oid = db.session.scalar(select(Outcome.id).where(Outcome.proposal_id == due))
    board.set(Outcome, oid, review_on=datetime.now(timezone.utc).date())
    assert _needs(board)[2] == ["Review me"]
    assert _needs(board, "admin")[2] == ["Review me"]


def test_needs_me_never_lists_proposals_of_groups_i_am_not_in(board, make_cast):
    other = make_cast("other", "public")
    theirs = Board(board.app, other)
    theirs.propose("member", title="Their bike")
    mine = board.propose("facilitator", title="Our bike")
    assert _needs(board)[0] == ["Our bike"]
    assert _needs(board, "outsider") == ([], [], [])
    with board.ctx():
        groups.leave(board.user("member"), board.group())
    assert _needs(board)[0] == []
    assert board.get(Proposal, mine, "status") == "open"


def test_needs_me_for_one_group_leaves_out_the_others(board, make_cast):
    other = make_cast("other", "private")
    board.propose("facilitator", title="Here")
    with board.ctx():
        _, token = groups.create_invitation(db.session.get(type(other.admin), other.admin.id),
                                            db.session.get(Group, other.group.id), "member", 7, 1)
        groups.accept_invitation(board.user("member"), token)
    theirs = Board(board.app, other)
    theirs.propose("admin", title="There")
    assert sorted(_needs(board)[0]) == ["Here", "There"]
    assert _needs(board, group_ids=[board.group_id])[0] == ["Here"]


# ---------------------------------------------------------------- the thread


def test_the_thread_lists_its_proposals_but_not_drafts(board):
    pid = board.propose("member", title="Bike")
    thread_id = board.thread_id(pid)
    board.propose("member", title="Draft", draft=True, thread=thread_id)
    with board.ctx():
        listed = queries.proposals_in_thread(db.session.get(Thread, thread_id))
        assert [p.title for p in listed] == ["Bike"]


def test_group_proposals_closes_the_due_ones_and_shows_only_my_drafts(board):
    due = board.propose("facilitator", title="Due")
    board.expire(due)
    board.propose("facilitator", title="Open")
    board.propose("member", title="Mine", draft=True)
    board.propose("admin", title="Theirs", draft=True)
    with board.ctx():
        lists = queries.group_proposals(board.user("member"), board.group())
        assert [p.title for p in lists["open"]] == ["Open"]
        assert [p.title for p in lists["drafts"]] == ["Mine"]
        assert [p.title for p in lists["closed"]] == ["Due"]
    assert board.get(Proposal, due, "status") == "closed"


def test_a_drafts_words_stay_with_its_author_until_it_opens(board):
    board.propose("member", title="Secret plan", body="Nobody must know yet.", draft=True)
    with board.ctx():
        seen = [t.title for t in db.session.scalars(select(Thread).where(Thread.group_id == board.group_id))]
        told = [e.payload for e in db.session.scalars(select(Event).where(Event.group_id == board.group_id))]
    assert "Secret plan" not in seen
    assert not any("Secret plan" in str(payload) for payload in told)

