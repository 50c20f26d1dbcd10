"""Who may do what with proposals. Reading follows the group; the rest is here."""
from app.groups import policy as groups


def can_read(user, proposal) -> bool:
    if not groups.can_read(user, proposal.group):
        return False
    # A draft is its author's until it opens.
    return proposal.status != "draft" or proposal.author_id == getattr(user, "id", None)


def can_propose(user, group) -> bool:
    return groups.can_write(user, group)


def can_vote(user, proposal) -> bool:
    return proposal.status == "open" and groups.can_write(user, proposal.group)


def can_amend(user, proposal) -> bool:
    return proposal.status in ("draft", "open") and proposal.author_id == getattr(user, "id", None) \
        and groups.can_write(user, proposal.group)


def can_facilitate(user, proposal) -> bool:
    """Close early, reopen, write the outcome."""
    return groups.can_facilitate(user, proposal.group)


def can_withdraw(user, proposal) -> bool:
    return proposal.status in ("draft", "open") and (
        can_amend(user, proposal) or can_facilitate(user, proposal)
    )
