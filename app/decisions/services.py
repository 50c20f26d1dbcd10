"""Proposals from draft to outcome: every rule that changes something (see docs for the decision rules)."""
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, extract, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload, subqueryload
from werkzeug.exceptions import Forbidden, NotFound

from app.core.database import utcnow
from app.core.events import happened
from app.core.revisions import Revision
from app.core.text import check_text, check_title
from app.decisions import policy, rules, threads
from app.decisions.models import (
    CHOICES,
    KINDS,
    NEEDS_REASON,
    STOPPING,
    Action,
    Outcome,
    Participation,
    PollOption,
    Proposal,
    Vote,
)
from app.core.errors import Refused
from app.core.extensions import db
from app.core.markdown import render
from app.groups import policy as groups_policy
from app.groups import queries as group_queries
from app.groups.mentions import render_in
from app.groups.models import Group

MAX_DAYS = 90


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


# ---------------------------------------------------------------- reading


def proposal_for(user, proposal_id: int) -> Proposal:
    """A proposal this person may see, closed first if its time has come (404 otherwise)."""
    proposal = db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(selectinload(Proposal.group).selectinload(Group.parent), selectinload(Proposal.options),
                 selectinload(Proposal.author), selectinload(Proposal.thread),
                 selectinload(Proposal.outcome).selectinload(Outcome.actions).selectinload(Action.owner))
    )
    if proposal is None or not policy.can_read(user, proposal):
        raise NotFound()
    close_if_due(proposal)
    return proposal


def current_votes(proposal: Proposal) -> list[Vote]:
    """The current votes, oldest first (sealed ballots: in the order of their content)."""
    return list(
        db.session.scalars(
            select(Vote)
            .where(Vote.proposal_id == proposal.id, Vote.is_current.is_(True))
            .options(selectinload(Vote.user))
            .order_by(Vote.id)
        )
    )


def results_visible(proposal: Proposal) -> bool:
    """Whether counts and reasons may be shown now. An anonymous proposal shows them only after
    close, whatever its other options: a tally that moves with each vote tells whoever reloads
    between two votes what the second voter chose."""
    return proposal.status == "closed" or not (proposal.anonymous or proposal.hide_results)


def participation_visible(proposal: Proposal) -> bool:
    """Whether who took part (and who hasn't yet) may be shown now: on an anonymous proposal only
    after close, so the list can't be watched growing vote by vote."""
    return not proposal.anonymous or proposal.status in ("closed", "withdrawn")


def ballots(votes: list[Vote]) -> list[rules.Ballot]:
    return [
        rules.Ballot(v.choice, tuple(v.option_ids or ()), v.choice in STOPPING and v.objection_state == "open")
        for v in votes
    ]


def eligible_ids(group: Group) -> list[int]:
    """Who may vote: the group's current members."""
    return group_queries.member_ids(group.id)


def counted(proposal: Proposal, votes: list[Vote], members: list[int]) -> list[Vote]:
    """The votes of people who are still members: someone who left no longer decides."""
    keys = {voter_key(proposal, uid) for uid in members}
    return [v for v in votes if v.voter_key in keys]


def live_result(proposal: Proposal, votes: list[Vote]) -> rules.Result:
    """What the rule says now (while open) or said at close."""
    if proposal.status == "closed":
        return rules.Result(**{"outcome": proposal.result or "no_votes", **_stored(proposal.result_detail)})
    members = eligible_ids(proposal.group)
    return rules.decide(proposal.kind, ballots(counted(proposal, votes, members)), len(members),
                        proposal.quorum_percent, [o.id for o in proposal.options])


def _stored(detail: dict) -> dict:
    """The numbers kept at close, with poll option ids turned back from JSON's strings."""
    counts = {(int(k) if str(k).isdigit() else k): v for k, v in (detail.get("counts") or {}).items()}
    return {"took_part": detail.get("took_part", 0), "eligible": detail.get("eligible", 0),
            "quorum_percent": detail.get("quorum_percent", 0), "counts": counts,
            "open_objections": detail.get("open_objections", 0), "winners": list(detail.get("winners") or [])}


def participants(proposal: Proposal) -> list:
    """Who took part, by name (not in the order they voted)."""
    rows = db.session.scalars(
        select(Participation).where(Participation.proposal_id == proposal.id).options(selectinload(Participation.user))
    )
    return sorted(rows, key=lambda p: (p.user.display_name.casefold(), p.user_id))


def new_ballot_key() -> str:
    return secrets.token_hex(32)


def voter_key(proposal: Proposal, user_id: int) -> str | None:
    """A keyed hash linking a person to their current vote without storing who they are.

    On an anonymous proposal the key is the proposal's own random `ballot_key`, which exists only
    while it is open: once sealed there is no key left (None), and nothing — the instance's secret
    key included — can re-derive which ballot was whose.
    """
    if proposal.anonymous:
        if proposal.ballot_key is None:
            return None
        return hmac.new(bytes.fromhex(proposal.ballot_key), f"ballot:{user_id}".encode(), hashlib.sha256).hexdigest()
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"vote:{proposal.id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def my_vote(user, proposal: Proposal, votes: list[Vote]) -> Vote | None:
    """This person's current vote; None for a sealed ballot box, where nobody can tell which is theirs."""
    if not getattr(user, "is_authenticated", False):
        return None
    key = voter_key(proposal, user.id)
    return next((v for v in votes if v.voter_key == key), None) if key else None


# ---------------------------------------------------------------- proposing


@dataclass
class Draft:
    """What the proposal form says; only title, body and days are needed."""

    title: str
    body: str
    days: int | None = 3
    kind: str = "consent"
    closes_at: datetime | None = None
    quorum_percent: int = 0
    anonymous: bool = False
    hide_results: bool = False
    reason_required: bool = False
    draft: bool = False
    options: tuple[str, ...] = ()
    multiple_choice: bool = False


def _closing_time(days: int | None, closes_at: datetime | None, now: datetime) -> datetime:
    if closes_at is not None:
        if closes_at <= now:
            raise Refused(_l("The closing time must be in the future."), "closes_at")
        if closes_at > now + timedelta(days=MAX_DAYS):
            raise Refused(_l("A proposal stays open at most %(days)s days.", days=MAX_DAYS), "closes_at")
        return closes_at
    if days is None or not 1 <= days <= MAX_DAYS:
        raise Refused(_l("Choose between 1 and %(days)s days.", days=MAX_DAYS), "days")
    return now + timedelta(days=days)


def _check_options(kind: str, labels) -> list[str]:
    if kind != "poll":
        return []
    cleaned = [label.strip() for label in labels if label and label.strip()]
    if not 2 <= len(cleaned) <= 20:
        raise Refused(_l("A poll needs 2 to 20 options."), "options")
    if any(len(label) > 200 for label in cleaned):
        raise Refused(_l("An option is at most 200 characters."), "options")
    if len(set(cleaned)) != len(cleaned):
        raise Refused(_l("Each option must be different."), "options")
    return cleaned


def propose(user, group: Group, draft: Draft, thread=None) -> Proposal:
    """A member puts a proposal to the group, in a thread (a new one unless given).

    Defaults: consent, closing in 3 days. A draft stays private to its author until opened.
    """
    _require(policy.can_propose(user, group))
    if draft.kind not in KINDS:
        raise Refused(_l("Choose consent, consensus, advice or poll."), "kind")
    if not 0 <= draft.quorum_percent <= 100:
        raise Refused(_l("Quorum is between 0 and 100 percent."), "quorum_percent")
    title, body = check_title(draft.title), check_text(draft.body)
    now = utcnow()
    closes_at = _closing_time(draft.days, draft.closes_at, now)
    labels = _check_options(draft.kind, draft.options)
    if thread is not None and (thread.group_id != group.id or thread.deleted_at is not None):
        raise NotFound()
    html, _mentioned = render_in(group, body)
    # A draft's words stay with its author: its thread starts only when it opens.
    if thread is None and not draft.draft:
        thread = threads.start(user, group, title, body)
    proposal = Proposal(
        group=group, thread=thread, author_id=user.id, title=title, body_md=body, body_html=html,
        kind=draft.kind, quorum_percent=draft.quorum_percent, anonymous=draft.anonymous,
        hide_results=draft.hide_results, reason_required=draft.reason_required,
        multiple_choice=draft.multiple_choice and draft.kind == "poll",
        ballot_key=new_ballot_key() if draft.anonymous else None,
        status="draft" if draft.draft else "open", closes_at=closes_at, opened_at=None if draft.draft else now,
        options=[PollOption(label=label, position=i) for i, label in enumerate(labels)],
    )
    db.session.add(proposal)
    db.session.flush()
    db.session.add(Revision(target_type="proposal", target_id=proposal.id, number=1, author_id=user.id,
                            title=title, body_md=body))
    if not draft.draft:
        _announce(user, proposal)
    db.session.commit()
    return proposal


def _announce(user, proposal: Proposal) -> None:
    happened("proposal.opened", proposal.group, user, proposal, title=proposal.title,
             thread_id=proposal.thread_id, process=proposal.kind)


def open_draft(user, proposal: Proposal, days: int | None = None, closes_at: datetime | None = None) -> None:
    _require(proposal.status == "draft" and policy.can_amend(user, proposal))
    now = utcnow()
    given = days is not None or closes_at is not None
    proposal.closes_at = _closing_time(days, closes_at, now) if given else max(proposal.closes_at, now + timedelta(days=1))
    proposal.status, proposal.opened_at = "open", now
    if proposal.thread_id is None:
        proposal.thread = threads.start(user, proposal.group, proposal.title, proposal.body_md)
        db.session.flush()
    _announce(user, proposal)
    db.session.commit()


def amend(user, proposal: Proposal, title: str, body: str) -> Proposal:
    """The author changes the proposal (a new version). Votes stay, marked as given on their version;
    everyone who voted is told."""
    _require(policy.can_amend(user, proposal))
    title, body = check_title(title), check_text(body)
    if (title, body) == (proposal.title, proposal.body_md):
        return proposal
    html, _mentioned = render_in(proposal.group, body)
    proposal.title, proposal.body_md, proposal.body_html = title, body, html
    proposal.version += 1
    db.session.add(Revision(target_type="proposal", target_id=proposal.id, number=proposal.version,
                            author_id=user.id, title=title, body_md=body))
    if proposal.status == "open":
        happened("proposal.amended", proposal.group, user, proposal, title=title, version=proposal.version)
    db.session.commit()
    return proposal


# ---------------------------------------------------------------- voting


def cast_vote(user, proposal: Proposal, choice: str, reason: str = "", option_ids=()) -> Vote:
    """One current vote per member, changeable while open; every change kept.

    A reason is required for object, block and disagree, and for every vote when the proposal
    asks for one. Anonymous proposals never store who voted what, nor when: the link to the
    voter is only the keyed `voter_key`, erased with its key at close.
    """
    close_if_due(proposal)
    if proposal.status != "open":
        raise Refused(_l("This proposal isn't open for votes."))
    _require(policy.can_vote(user, proposal))
    if choice not in CHOICES[proposal.kind]:
        raise Refused(_l("Choose one of the answers offered."), "choice")
    options = _chosen_options(proposal, option_ids)
    reason = (reason or "").strip()
    if not reason and (choice in NEEDS_REASON or proposal.reason_required or proposal.kind == "advice"):
        raise Refused(_l("Please give your reason: the group needs to understand it."), "reason")
    reason = check_text(reason, "reason", required=False)
    key = voter_key(proposal, user.id)
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
    _require(policy.can_vote(user, proposal))
    vote = db.session.scalar(
        select(Vote).where(Vote.proposal_id == proposal.id, Vote.voter_key == voter_key(proposal, user.id),
                           Vote.is_current.is_(True))
    )
    if vote is None or vote.choice not in STOPPING or vote.objection_state != "open":
        raise Refused(_l("You have no open objection here."))
    vote.objection_state = state
    # Only where results are shown: the event tells that there was an objection, and when it was
    # settled — a time that could be matched against who voted on which day.
    if results_visible(proposal):
        happened(f"proposal.objection_{state}", proposal.group, user, proposal, title=proposal.title)
    db.session.commit()
    return vote


# ---------------------------------------------------------------- closing


def close_if_due(proposal: Proposal, now: datetime | None = None) -> bool:
    """Close an open proposal whose time has come. Safe to call on every read."""
    now = now or utcnow()
    if proposal.status == "open" and proposal.closes_at is not None and proposal.closes_at <= now:
        closed = _close(proposal, proposal.closes_at, None)
        db.session.commit()
        if closed and proposal.anonymous:
            scrub_log()
        return closed
    return False


def _close(proposal: Proposal, at: datetime, actor) -> bool:
    """Close it and fix its result; False if another closer got there first."""
    # Claim the row first, so two closers at once (cron and a reader) close it only once.
    claimed = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "open").values(status="closed")
    ).rowcount
    if not claimed:
        db.session.refresh(proposal)
        return False
    members = eligible_ids(proposal.group)
    eligible = len(members)
    votes = counted(proposal, current_votes(proposal), members)
    result = rules.decide(proposal.kind, ballots(votes), eligible, proposal.quorum_percent,
                          [o.id for o in proposal.options])
    proposal.status, proposal.closed_at, proposal.eligible_count = "closed", at, eligible
    proposal.result, proposal.result_detail = result.outcome, result.as_dict()
    if proposal.anonymous:
        seal(proposal, votes)
    happened("proposal.closed", proposal.group, actor, proposal, title=proposal.title,
             result=result.outcome, thread_id=proposal.thread_id)
    return True


def _content(vote: Vote) -> tuple:
    return (vote.choice, json.dumps(sorted(vote.option_ids or [])), vote.objection_state or "", vote.reason_md)


def seal(proposal: Proposal, ballots: list[Vote]) -> None:
    """Seal an anonymous proposal's ballot box, in the transaction that ends its voting.

    The counted ballots are written again as fresh rows in the order of their content, with no
    voter key, no time and no version; every earlier row (and change) is deleted, who took part
    is written again in the order of their ids, and the proposal's ballot key is erased. After
    this nothing stored — rows, ids, order, times, keys — tells which ballot was whose. (On SQLite
    every connection runs with secure_delete, so the deleted rows are overwritten with zeros, and
    `scrub_log` empties the write-ahead log after the commit.)
    """
    sealed = [
        Vote(proposal_id=proposal.id, voter_key=None, user_id=None, choice=v.choice,
             option_ids=sorted(v.option_ids or []), reason_md=v.reason_md, reason_html=v.reason_html,
             proposal_version=None, is_current=True, objection_state=v.objection_state, created_at=None)
        for v in sorted(ballots, key=_content)
    ]
    took_part = [(p.user_id, p.first_voted_on) for p in db.session.scalars(
        select(Participation).where(Participation.proposal_id == proposal.id))]
    db.session.execute(delete(Vote).where(Vote.proposal_id == proposal.id))
    db.session.execute(delete(Participation).where(Participation.proposal_id == proposal.id))
    db.session.add_all(sealed)
    db.session.add_all(Participation(proposal_id=proposal.id, user_id=uid, first_voted_on=day)
                       for uid, day in sorted(took_part))
    proposal.ballot_key = None


def scrub_log() -> None:
    """After sealing, on SQLite: copy the write-ahead log into the database and truncate it, so the
    pages that still held the erased keys and rows don't linger in the -wal file."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def close(user, proposal: Proposal) -> None:
    """A facilitator closes an open proposal early."""
    _require(policy.can_facilitate(user, proposal))
    close_if_due(proposal)
    if proposal.status != "open":
        raise Refused(_l("This proposal isn't open."))
    closed = _close(proposal, utcnow(), user)
    db.session.commit()
    if closed and proposal.anonymous:
        scrub_log()


def close_due(now: datetime | None = None) -> int:
    """Close every open proposal whose time has passed. Idempotent: run it from cron every minute."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Proposal).where(Proposal.status == "open", Proposal.closes_at <= now).order_by(Proposal.id)
    ).all()
    closed = 0
    for proposal in due:
        closed += close_if_due(proposal, now)
    return closed


def reopen(user, proposal: Proposal, days: int | None = None, closes_at: datetime | None = None) -> None:
    """A facilitator reopens a closed proposal with a new closing time — never an anonymous one,
    and not once its outcome is recorded."""
    _require(policy.can_facilitate(user, proposal))
    if proposal.status != "closed":
        raise Refused(_l("Only a closed proposal can be reopened."))
    if proposal.anonymous:
        raise Refused(_l("Anonymous proposals can't be reopened: it could reveal who voted what."))
    if proposal.outcome is not None:
        raise Refused(_l("Its outcome is already recorded."))
    proposal.closes_at = _closing_time(days, closes_at, utcnow())
    proposal.status, proposal.closed_at, proposal.result, proposal.result_detail = "open", None, None, {}
    proposal.eligible_count = None
    happened("proposal.reopened", proposal.group, user, proposal, title=proposal.title)
    db.session.commit()


def withdraw(user, proposal: Proposal) -> None:
    """The author or a facilitator withdraws a draft or open proposal; an anonymous one's ballots are
    sealed as at close."""
    _require(policy.can_withdraw(user, proposal))
    was_open = proposal.status == "open"
    proposal.status = "withdrawn"
    proposal.closed_at = utcnow()
    if proposal.anonymous and was_open:
        seal(proposal, counted(proposal, current_votes(proposal), eligible_ids(proposal.group)))
    happened("proposal.withdrawn", proposal.group, user, proposal, title=proposal.title)
    db.session.commit()
    if proposal.anonymous and was_open:
        scrub_log()


# ---------------------------------------------------------------- outcomes


@dataclass
class ActionDraft:
    description: str
    owner_id: int | None
    due_on: date | None


def result_choices(proposal: Proposal) -> list[str]:
    if proposal.kind == "poll":
        return ["chosen", "no_votes", "no_quorum"]
    if proposal.kind == "advice":
        return ["decided", "not_decided"]
    return ["adopted", "not_adopted", "no_quorum"]


def record_outcome(user, proposal: Proposal, statement: str, result: str, review_on: date | None,
                   actions: list[ActionDraft]) -> Outcome:
    """After close a facilitator writes the outcome: a statement, the confirmed result,
    an optional review date and follow-up actions."""
    _require(policy.can_facilitate(user, proposal))
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
    members = set(eligible_ids(proposal.group))
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


def set_action_done(user, action_id: int, done: bool) -> Action:
    """The owner or a facilitator ticks an action off (or back on)."""
    action = db.session.get(Action, action_id)
    if action is None:
        raise NotFound()
    proposal = action.outcome.proposal
    if not policy.can_read(user, proposal):
        raise NotFound()
    _require(action.owner_id == getattr(user, "id", None) or policy.can_facilitate(user, proposal))
    if done != (action.done_at is not None):
        action.done_at = utcnow() if done else None
        happened("action.done" if done else "action.reopened", proposal.group, user, action,
                 title=action.description, proposal_id=proposal.id)
        db.session.commit()
    return action


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
