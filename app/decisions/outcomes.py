"""After close: the outcome a facilitator records, and its follow-up actions ticked off."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from app.core.database import utcnow
from app.core.errors import Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.core.markdown import render
from app.core.text import check_text
from app.decisions import ballots, policy
from app.decisions.closing import close_if_due
from app.decisions.models import Action, Outcome, Proposal


@dataclass
class ActionDraft:
    description: str
    owner_id: int | None
    due_on: date | None


def result_choices(proposal: Proposal) -> list[str]:
    """The results a facilitator may confirm for this kind of proposal."""
    if proposal.kind == "poll":
        return ["chosen", "no_votes", "no_quorum"]
    if proposal.kind == "advice":
        return ["decided", "not_decided"]
    return ["adopted", "not_adopted", "no_quorum"]


def record_outcome(user, proposal: Proposal, statement: str, result: str, review_on: date | None,
                   actions: list[ActionDraft]) -> Outcome:
    """After close a facilitator writes the outcome: a statement, the confirmed result,
    an optional review date and follow-up actions."""
    require(policy.can_facilitate(user, proposal))
    close_if_due(proposal)
    if proposal.status != "closed":
        raise Refused(_l("Record the outcome once the proposal has closed."))
    if proposal.outcome is not None:
        raise Refused(_l("The outcome is already recorded."))
    if result not in result_choices(proposal):
        raise Refused(_l("Choose a result."), "result")
    statement = check_text(statement, "statement")
    if review_on is not None and review_on <= utcnow().date():
        raise Refused(_l("A review date must be in the future."), "review_on")
    members = set(ballots.eligible_ids(proposal.group))
    for action in actions:
        if not action.description.strip() or len(action.description) > 300:
            raise Refused(_l("Describe each action in 1–300 characters."), "actions")
        if action.owner_id is not None and action.owner_id not in members:
            raise Refused(_l("An action's owner must be a member of the group."), "actions")
    outcome = Outcome(
        proposal=proposal, group_id=proposal.group_id, statement_md=statement,
        statement_html=str(render(statement)), result=result, review_on=review_on, recorded_by_id=user.id,
        actions=[Action(description=a.description.strip(), owner_id=a.owner_id, due_on=a.due_on) for a in actions],
    )
    db.session.add(outcome)
    db.session.flush()
    happened("outcome.recorded", proposal.group, user, outcome, title=proposal.title, result=result,
             proposal_id=proposal.id, thread_id=proposal.thread_id)
    db.session.commit()
    return outcome


def set_action_done(user, action: Action, done: bool) -> Action:
    """The owner or a facilitator ticks an action off (or back on)."""
    require(policy.can_mark_done(user, action))
    if done != (action.done_at is not None):
        proposal = action.outcome.proposal
        action.done_at = utcnow() if done else None
        happened("action.done" if done else "action.reopened", proposal.group, user, action,
                 title=action.description, proposal_id=proposal.id)
        db.session.commit()
    return action
