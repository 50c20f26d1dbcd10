"""The decision rules, as pure functions of the current votes.

Nothing here touches the database: services pass in the numbers, tests pass in anything.
"""
from dataclasses import dataclass, field

KINDS = ("consent", "consensus", "advice", "poll")
CHOICES = {
    "consent": ("consent", "concern", "object"),
    "consensus": ("agree", "abstain", "disagree", "block"),
    "advice": ("advice",),
    "poll": ("option",),
}
# Choices that stop a proposal until their voter resolves or withdraws them.
STOPPING = ("object", "block")
NEEDS_REASON = ("object", "block", "disagree")


@dataclass(frozen=True)
class Ballot:
    """A current vote, as the rules see it."""

    choice: str
    option_ids: tuple[int, ...] = ()
    objection_open: bool = False  # an object/block vote its voter hasn't resolved or withdrawn


@dataclass
class Result:
    outcome: str  # adopted | not_adopted | no_quorum | advice | chosen | no_votes
    took_part: int
    eligible: int
    quorum_percent: int
    counts: dict = field(default_factory=dict)
    open_objections: int = 0
    winners: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "took_part": self.took_part, "eligible": self.eligible, "quorum_percent": self.quorum_percent,
            "counts": self.counts, "open_objections": self.open_objections, "winners": self.winners,
        }


def quorum_met(took_part: int, eligible: int, quorum_percent: int) -> bool:
    """At least `quorum_percent` of the eligible members voted (integer arithmetic, no rounding)."""
    return took_part * 100 >= quorum_percent * eligible


def tally(kind: str, ballots: list[Ballot], option_ids: list[int] | None = None) -> dict:
    """Counts per choice (or per poll option), every choice of the kind present, zeros included."""
    if kind == "poll":
        counts = {oid: 0 for oid in option_ids or []}
        for ballot in ballots:
            for oid in set(ballot.option_ids):
                if oid in counts:
                    counts[oid] += 1
        return counts
    counts = {choice: 0 for choice in CHOICES[kind]}
    for ballot in ballots:
        counts[ballot.choice] = counts.get(ballot.choice, 0) + 1
    return counts


def decide(kind: str, ballots: list[Ballot], eligible: int, quorum_percent: int,
           option_ids: list[int] | None = None) -> Result:
    """The rule of the proposal's kind, with the numbers that decided it.

    consent:   adopted iff quorum met and no unresolved objection
    consensus: adopted iff quorum met, no unresolved block, and more agree than disagree
    advice:    no rule: the decider records the decision
    poll:      the option(s) with the most votes win (ties: all of them)
    """
    counts = tally(kind, ballots, option_ids)
    took_part = len(ballots)
    open_objections = sum(1 for b in ballots if b.objection_open)
    result = Result("advice", took_part, eligible, quorum_percent, counts, open_objections)
    if kind == "advice":
        return result
    if kind == "poll":
        top = max(counts.values(), default=0)
        result.winners = [oid for oid, n in counts.items() if n == top and top > 0]
        result.outcome = "chosen" if result.winners else "no_votes"
        if result.winners and not quorum_met(took_part, eligible, quorum_percent):
            result.outcome = "no_quorum"
        return result
    if not quorum_met(took_part, eligible, quorum_percent):
        result.outcome = "no_quorum"
    elif open_objections:
        result.outcome = "not_adopted"
    elif kind == "consensus" and counts["agree"] <= counts["disagree"]:
        result.outcome = "not_adopted"
    else:
        result.outcome = "adopted"
    return result
