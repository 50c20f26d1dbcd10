"""Property tests: whatever the votes, the rules give what docs/DECISIONS.md ("The rule at close") says.

Each rule is re-implemented here as plainly as it reads in the design, with exact fractions,
and compared with the real thing — first on random ballots, then on random histories of
votes, changes, amendments and settled objections played through the services.
"""
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.decisions import ballots, queries, rules
from app.decisions.models import CHOICES, NEEDS_REASON, STOPPING, Proposal, Vote
from app.core.errors import Refused
from app.core.extensions import db
from tests.decisions.helpers import DecisionScene

OPTION_IDS = [11, 12, 13, 14]


def expected_outcome(kind, final, eligible, quorum, option_ids=()):
    """The rule as the design states it. `final`: one (choice, option ids, objection still open) per voter."""
    took_part = len(final)
    quorum_ok = eligible == 0 or Fraction(took_part, eligible) >= Fraction(quorum, 100)
    if kind == "advice":
        return "advice", []
    if kind == "poll":
        voters_for = {oid: sum(1 for _, chosen, _ in final if oid in chosen) for oid in option_ids}
        most = max(voters_for.values(), default=0)
        if most == 0:
            return "no_votes", []
        winners = [oid for oid in option_ids if voters_for[oid] == most]
        return ("chosen" if quorum_ok else "no_quorum"), winners
    if not quorum_ok:
        return "no_quorum", []
    if any(still_open for choice, _, still_open in final if choice in ("object", "block")):
        return "not_adopted", []
    if kind == "consensus":
        agree = sum(1 for choice, _, _ in final if choice == "agree")
        disagree = sum(1 for choice, _, _ in final if choice == "disagree")
        return ("adopted" if agree > disagree else "not_adopted"), []
    return "adopted", []


# ---------------------------------------------------------------- the pure rules


@st.composite
def ballot_lists(draw):
    kind = draw(st.sampled_from(["consent", "consensus", "advice", "poll"]))
    if kind == "poll":
        ballots = draw(st.lists(st.lists(st.sampled_from(OPTION_IDS), min_size=1, max_size=6).map(
            lambda ids: rules.Ballot("option", tuple(ids))), max_size=12))
    else:
        ballots = draw(st.lists(st.builds(
            lambda c, open_: rules.Ballot(c, (), open_ and c in STOPPING),
            st.sampled_from(CHOICES[kind]), st.booleans()), max_size=12))
    eligible = draw(st.integers(min_value=len(ballots), max_value=len(ballots) + 12))
    quorum = draw(st.integers(min_value=0, max_value=100))
    return kind, ballots, eligible, quorum


@settings(max_examples=300)
@given(ballot_lists())
def test_decide_gives_what_the_rule_says_for_any_ballots(case):
    kind, ballots, eligible, quorum = case
    result = rules.decide(kind, ballots, eligible, quorum, OPTION_IDS if kind == "poll" else None)
    final = [(b.choice, set(b.option_ids), b.objection_open) for b in ballots]
    outcome, winners = expected_outcome(kind, final, eligible, quorum, OPTION_IDS)
    assert result.outcome == outcome
    assert result.winners == winners
    assert result.took_part == len(ballots)


@settings(max_examples=200)
@given(ballot_lists())
def test_the_tally_counts_each_choice_of_the_current_ballots(case):
    kind, ballots, eligible, quorum = case
    result = rules.decide(kind, ballots, eligible, quorum, OPTION_IDS if kind == "poll" else None)
    if kind == "poll":
        assert result.counts == {oid: sum(1 for b in ballots if oid in b.option_ids) for oid in OPTION_IDS}
    else:
        assert result.counts == {choice: Counter(b.choice for b in ballots)[choice] for choice in CHOICES[kind]}
        assert sum(result.counts.values()) == result.took_part


@settings(max_examples=300)
@given(st.integers(0, 500), st.integers(1, 500), st.integers(0, 100))
@example(14, 25, 56).via("floating point says 0.56 * 25 > 14")
@example(7, 50, 14).via("floating point says 0.14 * 50 > 7")
def test_quorum_is_met_exactly_when_the_share_that_took_part_reaches_it(took, eligible, quorum):
    assert rules.quorum_met(took, eligible, quorum) == (Fraction(took, eligible) >= Fraction(quorum, 100))


# ---------------------------------------------------------------- histories played through the services

VOTERS = ["admin", "facilitator", "member", "voter0", "voter1", "voter2"]


@st.composite
def histories(draw):
    """A proposal's settings and a sequence of steps by random members."""
    kind = draw(st.sampled_from(["consent", "consensus", "poll"]))
    multiple = kind == "poll" and draw(st.booleans())
    step = st.one_of(
        st.tuples(st.just("vote"), st.sampled_from(VOTERS), st.sampled_from(CHOICES[kind] if kind != "poll" else ("option",)),
                  st.booleans(), st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True)),
        st.tuples(st.just("settle"), st.sampled_from(VOTERS), st.sampled_from(["resolved", "withdrawn"])),
        st.tuples(st.just("amend"),),
    )
    return dict(
        kind=kind, multiple=multiple, quorum=draw(st.integers(0, 100)), anonymous=draw(st.booleans()),
        steps=draw(st.lists(step, min_size=1, max_size=14)),
    )


@pytest.fixture
def crowded(app, make_cast):
    scene = DecisionScene(app, make_cast("coop", "private"))
    scene.crowd(3)
    return scene


def _play(scene, history):
    """Run the steps through the services and keep our own account of each member's current vote."""
    pid = scene.propose("member", kind=history["kind"], quorum_percent=history["quorum"],
                        anonymous=history["anonymous"], multiple_choice=history["multiple"],
                        options=("Tea", "Coffee", "Water"))
    option_ids = scene.option_ids(pid)
    mine: dict[str, tuple[str, set, str | None]] = {}  # who -> (choice, option ids, objection state)
    given = 0
    for step in history["steps"]:
        if step[0] == "vote":
            _, who, choice, with_reason, picks = step
            chosen = [option_ids[i] for i in picks] if history["kind"] == "poll" else []
            ok = (with_reason or choice not in NEEDS_REASON) and (
                history["kind"] != "poll" or history["multiple"] or len(chosen) == 1)
            try:
                scene.vote(pid, who, choice, "Because." if with_reason else "", chosen)
            except Refused:
                assert not ok, f"{who}'s vote {choice} {chosen} was refused"
            else:
                assert ok, f"{who}'s vote {choice} {chosen} was taken"
                given += 1
                mine[who] = (choice, set(chosen), "open" if choice in STOPPING else None)
        elif step[0] == "settle":
            _, who, state = step
            has_open = who in mine and mine[who][2] == "open"
            try:
                scene.settle(pid, who, state)
            except Refused:
                assert not has_open
            else:
                assert has_open
                mine[who] = (mine[who][0], mine[who][1], state)
        else:
            scene.amend(pid, "member", body=f"Version {scene.get(Proposal, pid, 'version') + 1}.")
    return pid, option_ids, mine, given


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories())
def test_any_history_of_votes_gives_the_result_the_rule_says(crowded, history):
    scene = crowded
    pid, option_ids, mine, given = _play(scene, history)
    final = [(choice, chosen, state == "open") for choice, chosen, state in mine.values()]
    eligible = len(VOTERS)
    outcome, winners = expected_outcome(history["kind"], final, eligible, history["quorum"], option_ids)

    with scene.ctx():
        proposal = scene.proposal(pid)
        votes = ballots.current_votes(proposal)
        # One current vote per member, and it is the last one they gave.
        keys = {ballots.voter_key(proposal, scene.uid(who)): who for who in VOTERS}
        assert sorted(keys[v.voter_key] for v in votes) == sorted(mine)
        for v in votes:
            who = keys[v.voter_key]
            assert (v.choice, set(v.option_ids), v.objection_state) == mine[who]
            assert v.user_id == (None if history["anonymous"] else scene.uid(who))
        # Every vote given is kept.
        assert db.session.query(Vote).filter(Vote.proposal_id == pid).count() == given

        live = queries.live_result(proposal, votes)
        assert (live.outcome, live.winners) == (outcome, winners)
        if history["kind"] == "poll":
            assert live.counts == {oid: sum(1 for v in votes if oid in v.option_ids) for oid in option_ids}
        else:
            assert live.counts == {c: sum(1 for v in votes if v.choice == c) for c in CHOICES[history["kind"]]}
            assert sum(live.counts.values()) == live.took_part == len(mine)

    scene.close(pid, "facilitator")
    status, result, detail = scene.get(Proposal, pid, "status", "result", "result_detail")
    assert (status, result) == ("closed", outcome)
    assert detail["winners"] == winners
    assert detail["took_part"] == len(mine)
