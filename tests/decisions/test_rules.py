"""The decision rules of docs/DECISIONS.md ("The rule at close"), as pure functions: no database, no app."""
import pytest

from app.decisions.rules import Ballot, decide, quorum_met, tally


def ballots(*choices, open_objections=True):
    """Ballots for these choices; object and block are open objections unless told otherwise."""
    return [Ballot(c, (), open_objections and c in ("object", "block")) for c in choices]


def option(*ids):
    return Ballot("option", tuple(ids))


# ---------------------------------------------------------------- consent


def test_consent_is_adopted_when_quorum_is_met_and_nobody_objects():
    result = decide("consent", ballots("consent", "consent", "consent"), eligible=4, quorum_percent=50)
    assert result.outcome == "adopted"
    assert (result.took_part, result.eligible, result.quorum_percent, result.open_objections) == (3, 4, 50, 0)


def test_a_concern_does_not_stop_consent():
    result = decide("consent", ballots("concern", "concern", "consent"), eligible=3, quorum_percent=0)
    assert result.outcome == "adopted"
    assert result.counts == {"consent": 1, "concern": 2, "object": 0}


def test_one_unresolved_objection_stops_consent():
    result = decide("consent", ballots("consent", "consent", "consent", "object"), eligible=4, quorum_percent=0)
    assert result.outcome == "not_adopted"
    assert result.open_objections == 1


def test_a_resolved_or_withdrawn_objection_no_longer_stops_consent():
    settled = [Ballot("object", (), False), Ballot("consent")]
    assert decide("consent", settled, eligible=2, quorum_percent=0).outcome == "adopted"


def test_consent_without_quorum_is_not_adopted_even_with_no_objection():
    result = decide("consent", ballots("consent"), eligible=4, quorum_percent=50)
    assert result.outcome == "no_quorum"


def test_consent_with_nobody_voting_and_no_quorum_asked_is_adopted():
    # Consent means "no one objected": with quorum 0, silence is consent.
    assert decide("consent", [], eligible=5, quorum_percent=0).outcome == "adopted"


# ---------------------------------------------------------------- consensus


def test_consensus_is_adopted_with_more_agree_than_disagree_and_no_block():
    result = decide("consensus", ballots("agree", "agree", "disagree", "abstain"), eligible=4, quorum_percent=75)
    assert result.outcome == "adopted"
    assert result.counts == {"agree": 2, "abstain": 1, "disagree": 1, "block": 0}


def test_consensus_tie_between_agree_and_disagree_is_not_adopted():
    result = decide("consensus", ballots("agree", "disagree", "abstain"), eligible=3, quorum_percent=0)
    assert result.outcome == "not_adopted"


def test_consensus_with_only_abstentions_is_not_adopted():
    assert decide("consensus", ballots("abstain", "abstain"), eligible=2, quorum_percent=0).outcome == "not_adopted"


def test_an_unresolved_block_stops_consensus_whatever_the_agreement():
    result = decide("consensus", ballots("agree", "agree", "agree", "block"), eligible=4, quorum_percent=0)
    assert result.outcome == "not_adopted"
    assert result.open_objections == 1


def test_a_withdrawn_block_no_longer_stops_consensus():
    votes = [Ballot("agree"), Ballot("agree"), Ballot("block", (), False)]
    assert decide("consensus", votes, eligible=3, quorum_percent=0).outcome == "adopted"


def test_consensus_without_quorum_is_not_adopted():
    assert decide("consensus", ballots("agree", "agree"), eligible=5, quorum_percent=50).outcome == "no_quorum"


# ---------------------------------------------------------------- advice


@pytest.mark.parametrize("choices", [(), ("advice",), ("advice", "advice", "advice")])
def test_advice_has_no_rule_the_decider_records_the_decision(choices):
    result = decide("advice", ballots(*choices), eligible=10, quorum_percent=90)
    assert result.outcome == "advice"
    assert result.took_part == len(choices)


# ---------------------------------------------------------------- poll


def test_poll_the_most_voted_option_wins():
    result = decide("poll", [option(1), option(2), option(2), option(3)], eligible=4, quorum_percent=0,
                    option_ids=[1, 2, 3])
    assert (result.outcome, result.winners) == ("chosen", [2])
    assert result.counts == {1: 1, 2: 2, 3: 1}


def test_poll_tied_options_all_win():
    result = decide("poll", [option(1), option(3), option(2), option(3), option(1)], eligible=5, quorum_percent=0,
                    option_ids=[1, 2, 3])
    assert (result.outcome, result.winners) == ("chosen", [1, 3])


def test_poll_multiple_choice_counts_each_option_once_per_voter():
    # The first voter names option 1 twice: it still counts once, so 2 (two voters) beats 1.
    votes = [option(1, 1, 2), option(2, 3)]
    result = decide("poll", votes, eligible=2, quorum_percent=0, option_ids=[1, 2, 3])
    assert result.counts == {1: 1, 2: 2, 3: 1}
    assert result.winners == [2]
    assert result.took_part == 2


def test_poll_with_no_votes_has_no_winner():
    result = decide("poll", [], eligible=3, quorum_percent=0, option_ids=[1, 2])
    assert (result.outcome, result.winners) == ("no_votes", [])


def test_poll_without_quorum_names_no_choice():
    result = decide("poll", [option(1)], eligible=4, quorum_percent=50, option_ids=[1, 2])
    assert result.outcome == "no_quorum"


def test_poll_ignores_a_vote_for_an_option_it_does_not_have():
    result = decide("poll", [option(9), option(1)], eligible=2, quorum_percent=0, option_ids=[1, 2])
    assert result.counts == {1: 1, 2: 0}
    assert result.winners == [1]


# ---------------------------------------------------------------- quorum


@pytest.mark.parametrize("took, eligible, quorum", [(2, 4, 50), (3, 3, 100), (1, 3, 33), (14, 25, 56), (7, 50, 14)])
def test_quorum_exactly_at_the_boundary_passes(took, eligible, quorum):
    # 14 of 25 is exactly 56%, 7 of 50 exactly 14%; floating point (0.56 * 25 = 14.000000000000002) would say no.
    assert quorum_met(took, eligible, quorum)
    assert decide("consent", ballots(*["consent"] * took), eligible, quorum).outcome == "adopted"


@pytest.mark.parametrize("took, eligible, quorum", [(1, 4, 50), (2, 3, 100), (1, 3, 34), (13, 25, 56), (6, 50, 14)])
def test_quorum_one_vote_short_fails(took, eligible, quorum):
    assert not quorum_met(took, eligible, quorum)
    assert decide("consent", ballots(*["consent"] * took), eligible, quorum).outcome == "no_quorum"


def test_quorum_zero_means_no_quorum_is_needed():
    assert quorum_met(0, 30, 0)


# ---------------------------------------------------------------- tally and the numbers shown


@pytest.mark.parametrize("kind, choices", [
    ("consent", ["consent", "concern", "object"]),
    ("consensus", ["agree", "abstain", "disagree", "block"]),
    ("advice", ["advice"]),
])
def test_tally_lists_every_choice_of_the_kind_zeros_included(kind, choices):
    assert tally(kind, []) == {choice: 0 for choice in choices}


def test_the_result_carries_the_numbers_that_decided_it():
    result = decide("consent", ballots("consent", "object", "concern"), eligible=5, quorum_percent=40)
    assert result.as_dict() == {
        "took_part": 3, "eligible": 5, "quorum_percent": 40,
        "counts": {"consent": 1, "concern": 1, "object": 1}, "open_objections": 1, "winners": [],
    }
