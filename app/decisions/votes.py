"""Voting: one current vote per member, changeable while open, and settling one's own objection."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.core.database import utcnow
from app.core.errors import Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.core.markdown import render
from app.core.text import check_text
from app.decisions import ballots, policy
from app.decisions.closing import close_if_due
from app.decisions.models import CHOICES, NEEDS_REASON, STOPPING, Participation, Proposal, Vote


def cast_vote(user, proposal: Proposal, choice: str, reason: str = "", option_ids=()) -> Vote:
    """One current vote per member, changeable while open; every change kept.

    A reason is required for object, block and disagree, and for every vote when the proposal
    asks for one. Anonymous proposals never store who voted what, nor when: the link to the
    voter is only the keyed `voter_key`, erased with its key at close.
    """
    close_if_due(proposal)
    if proposal.status != "open":
        raise Refused(_l("This proposal isn't open for votes."))
    require(policy.can_vote(user, proposal))
    if choice not in CHOICES[proposal.kind]:
        raise Refused(_l("Choose one of the answers offered."), "choice")
    options = _chosen_options(proposal, option_ids)
    reason = (reason or "").strip()
    if not reason and (choice in NEEDS_REASON or proposal.reason_required or proposal.kind == "advice"):
        raise Refused(_l("Please give your reason: the group needs to understand it."), "reason")
    reason = check_text(reason, "reason", required=False)
    key = ballots.voter_key(proposal, user.id)
    # Asked before the new vote is added: a query would flush it outside the try below.
    first = db.session.scalar(
        select(Participation.id).where(Participation.proposal_id == proposal.id, Participation.user_id == user.id)
    ) is None
    db.session.execute(
        update(Vote).where(Vote.proposal_id == proposal.id, Vote.voter_key == key, Vote.is_current.is_(True))
        .values(is_current=False)
    )
    vote = Vote(
        proposal_id=proposal.id, voter_key=key, user_id=None if proposal.anonymous else user.id,
        choice=choice, option_ids=options, reason_md=reason, reason_html=str(render(reason)),
        proposal_version=proposal.version, objection_state="open" if choice in STOPPING else None,
        created_at=None if proposal.anonymous else utcnow(),
    )
    db.session.add(vote)
    if first:
        db.session.add(Participation(proposal_id=proposal.id, user_id=user.id, first_voted_on=utcnow().date()))
    try:
        # The proposer hears of an objection (notifications listen), but only where results are
        # shown and names are: on an anonymous or sealed proposal even "someone objected, now"
        # tells what a ballot is. Inside the try: the listener's queries flush this vote.
        if choice in STOPPING and ballots.results_visible(proposal):
            happened("proposal.objected", proposal.group, user, proposal, record=False, title=proposal.title,
                     choice=choice)
        db.session.commit()
    except IntegrityError:
        # Two votes from one person at the same moment: the first one stands.
        db.session.rollback()
        raise Refused(_l("Your vote was just recorded from another window. Reload to see it."))
    return vote


def _chosen_options(proposal: Proposal, option_ids) -> list[int]:
    if proposal.kind != "poll":
        return []
    valid = {o.id for o in proposal.options}
    chosen = sorted({int(i) for i in option_ids if str(i).isdigit()})
    if not chosen or any(i not in valid for i in chosen):
        raise Refused(_l("Choose one of the options offered."), "option_ids")
    if not proposal.multiple_choice and len(chosen) != 1:
        raise Refused(_l("Choose exactly one option."), "option_ids")
    return chosen


def settle_objection(user, proposal: Proposal, state: str) -> Vote:
    """The objector marks their objection (or block) resolved, or withdraws it, while the proposal is open."""
    if state not in ("resolved", "withdrawn"):
        raise Refused(_l("Choose resolved or withdrawn."))
    close_if_due(proposal)
    if proposal.status != "open":
        raise Refused(_l("This proposal isn't open for votes."))
    require(policy.can_vote(user, proposal))
    vote = db.session.scalar(
        select(Vote).where(Vote.proposal_id == proposal.id, Vote.voter_key == ballots.voter_key(proposal, user.id),
                           Vote.is_current.is_(True))
    )
    if vote is None or vote.choice not in STOPPING or vote.objection_state != "open":
        raise Refused(_l("You have no open objection here."))
    vote.objection_state = state
    # Only where results are shown: the event tells that there was an objection, and when it was
    # settled — a time that could be matched against who voted on which day.
    if ballots.results_visible(proposal):
        happened(f"proposal.objection_{state}", proposal.group, user, proposal, title=proposal.title)
    db.session.commit()
    return vote
