"""Reading proposals: one for a viewer, what the rule says of it now, and the lists (a group's
decisions, the register, what needs me). A proposal whose time has come is closed as it is read."""
from dataclasses import dataclass

from sqlalchemy import extract, select
from sqlalchemy.orm import joinedload, selectinload, subqueryload

from app.core.database import utcnow
from app.core.errors import Missing
from app.core.extensions import db
from app.decisions import ballots, policy, rules, threads
from app.decisions.closing import close_if_due
from app.decisions.models import Action, Outcome, Participation, Proposal, Vote
from app.groups import policy as groups_policy
from app.groups import queries as group_queries
from app.groups.models import Group


def proposal_for(user, proposal_id: int) -> Proposal:
    """A proposal this person may see, closed first if its time has come (Missing otherwise)."""
    proposal = db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(selectinload(Proposal.group).selectinload(Group.parent), selectinload(Proposal.options),
                 selectinload(Proposal.author), selectinload(Proposal.thread),
                 selectinload(Proposal.outcome).selectinload(Outcome.actions).selectinload(Action.owner))
    )
    if proposal is None or not policy.can_read(user, proposal):
        raise Missing()
    close_if_due(proposal)
    return proposal


def action_for(user, action_id: int) -> Action:
    """A follow-up action of a proposal this person may see (Missing otherwise)."""
    action = db.session.get(Action, action_id)
    if action is None or not policy.can_read(user, action.outcome.proposal):
        raise Missing()
    return action


def live_result(proposal: Proposal, votes: list[Vote]) -> rules.Result:
    """What the rule says now (while open) or said at close."""
    if proposal.status == "closed":
        return rules.Result(**{"outcome": proposal.result or "no_votes", **_stored(proposal.result_detail)})
    members = ballots.eligible_ids(proposal.group)
    return rules.decide(proposal.kind, ballots.ballots(ballots.counted(proposal, votes, members)), len(members),
                        proposal.quorum_percent, [o.id for o in proposal.options])


def _stored(detail: dict) -> dict:
    """The numbers kept at close, with poll option ids turned back from JSON's strings."""
    counts = {(int(k) if str(k).isdigit() else k): v for k, v in (detail.get("counts") or {}).items()}
    return {"took_part": detail.get("took_part", 0), "eligible": detail.get("eligible", 0),
            "quorum_percent": detail.get("quorum_percent", 0), "counts": counts,
            "open_objections": detail.get("open_objections", 0), "winners": list(detail.get("winners") or [])}


# ---------------------------------------------------------------- lists


def proposals_in_thread(thread) -> list[Proposal]:
    """The proposals opened in this thread, oldest first (the thread page lists them)."""
    return list(db.session.scalars(
        select(Proposal).where(Proposal.thread_id == thread.id, Proposal.status != "draft").order_by(Proposal.id)
    ))


def group_proposals(user, group: Group) -> dict[str, list[Proposal]]:
    """Open (closing soonest first), my drafts, and the latest closed, for the decisions page."""
    for proposal in db.session.scalars(
        select(Proposal).where(Proposal.group_id == group.id, Proposal.status == "open", Proposal.closes_at <= utcnow())
    ).all():
        close_if_due(proposal)
    base = select(Proposal).where(Proposal.group_id == group.id).options(selectinload(Proposal.author),
                                                                         selectinload(Proposal.outcome))
    me = getattr(user, "id", None)
    return {
        "open": list(db.session.scalars(base.where(Proposal.status == "open").order_by(Proposal.closes_at))),
        "drafts": list(db.session.scalars(
            base.where(Proposal.status == "draft", Proposal.author_id == me).order_by(Proposal.created_at.desc()))),
        "closed": list(db.session.scalars(
            base.where(Proposal.status.in_(("closed", "withdrawn"))).order_by(Proposal.closed_at.desc()).limit(20))),
    }


@dataclass
class RegisterFilter:
    result: str | None = None
    year: int | None = None
    tag: str | None = None


def register(group: Group, where: RegisterFilter | None = None, viewer=None) -> list[Outcome]:
    """Every outcome of the group and of those of its working groups the viewer may read (a private
    working group's decisions are not for co-op members outside it), newest first — the page for the auditor."""
    group_ids = [group.id] + [wg.id for wg in groups_policy.readable_among(viewer, group.working_groups)]
    query = (
        select(Outcome)
        .join(Proposal, Proposal.id == Outcome.proposal_id)
        .where(Outcome.group_id.in_(group_ids))
        # Joined and subquery loads: a fixed number of queries however long the register
        # (selectinload would add one per 500 rows).
        .options(joinedload(Outcome.proposal), joinedload(Outcome.group),
                 subqueryload(Outcome.actions).joinedload(Action.owner))
        .order_by(Outcome.recorded_at.desc(), Outcome.id.desc())
    )
    where = where or RegisterFilter()
    if where.result:
        query = query.where(Outcome.result == where.result)
    if where.year:
        query = query.where(extract("year", Outcome.recorded_at) == where.year)
    if where.tag:
        query = query.where(Proposal.thread_id.in_(threads.tagged(where.tag)))
    return list(db.session.scalars(query).unique())


@dataclass
class NeedsMe:
    to_vote: list[Proposal]
    actions: list[Action]
    reviews: list[Outcome]

    def __bool__(self) -> bool:
        return bool(self.to_vote or self.actions or self.reviews)


def needs_me(user, group_ids: list[int] | None = None) -> NeedsMe:
    """Open proposals I haven't voted on (closing soonest first), actions I own, reviews due —
    in a fixed number of queries, however many groups and proposals."""
    mine = group_queries.group_ids_of(user.id, among=group_ids)
    voted = select(Participation.proposal_id).where(Participation.user_id == user.id)
    now = utcnow()
    to_vote = list(db.session.scalars(
        select(Proposal)
        .where(Proposal.group_id.in_(mine), Proposal.status == "open", Proposal.closes_at > now,
               Proposal.id.not_in(voted))
        .options(selectinload(Proposal.group))
        .order_by(Proposal.closes_at)
    ))
    actions = list(db.session.scalars(
        select(Action).join(Outcome).where(Action.owner_id == user.id, Action.done_at.is_(None),
                                           Outcome.group_id.in_(mine))
        .options(selectinload(Action.outcome).selectinload(Outcome.proposal))
        .order_by(Action.due_on.is_(None), Action.due_on)
    ))
    reviews = list(db.session.scalars(
        select(Outcome).where(Outcome.group_id.in_(mine), Outcome.review_on.is_not(None),
                              Outcome.review_on <= now.date())
        .options(selectinload(Outcome.proposal), selectinload(Outcome.group))
        .order_by(Outcome.review_on)
    ))
    return NeedsMe(to_vote, actions, reviews)
