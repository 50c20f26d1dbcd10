"""Who may do what with proposals: the one place that decides it. Reading follows the group.

Routes ask here before doing anything; the services ask again with `app.core.errors.require`.
"""
from app.groups import policy as groups


def can_read(user, proposal) -> bool:
    if not groups.can_read(user, proposal.group):
        return False
    # A draft is its author's until it opens.
    return proposal.status != "draft" or proposal.author_id == getattr(user, "id", None)


def can_propose(user, group) -> bool:
    return groups.can_write(user, group)


def can_take_part(user, proposal) -> bool:
    """Members vote and settle their own objections; visitors of a public group only read."""
    return groups.can_write(user, proposal.group)


def can_vote(user, proposal) -> bool:
    return proposal.status == "open" and can_take_part(user, proposal)


def can_amend(user, proposal) -> bool:
    return proposal.status in ("draft", "open") and proposal.author_id == getattr(user, "id", None) \
        and groups.can_write(user, proposal.group)


def can_open(user, proposal) -> bool:
    """Its author opens a draft for votes."""
    return proposal.status == "draft" and can_amend(user, proposal)


def can_facilitate(user, proposal) -> bool:
    """Close early, reopen, write the outcome."""
    return groups.can_facilitate(user, proposal.group)


def can_withdraw(user, proposal) -> bool:
    return proposal.status in ("draft", "open") and (
        can_amend(user, proposal) or can_facilitate(user, proposal)
    )


def can_mark_done(user, action) -> bool:
    """A follow-up action is ticked off by its owner or a facilitator."""
    proposal, me = action.outcome.proposal, getattr(user, "id", None)
    return can_read(user, proposal) and ((me is not None and action.owner_id == me) or can_facilitate(user, proposal))
