"""The ballot box: whose vote is whose, which votes count, what may be shown while it is open,
and how an anonymous proposal's box is sealed so nothing stored tells who voted what."""
import hashlib
import hmac
import json
import secrets

from flask import current_app
from sqlalchemy import delete, select, text
from sqlalchemy.orm import selectinload

from app.core.extensions import db
from app.decisions import rules
from app.decisions.models import STOPPING, Participation, Proposal, Vote
from app.groups import queries as group_queries
from app.groups.models import Group


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


def my_vote(user, proposal: Proposal, votes: list[Vote]) -> Vote | None:
    """This person's current vote; None for a sealed ballot box, where nobody can tell which is theirs."""
    if not getattr(user, "is_authenticated", False):
        return None
    key = voter_key(proposal, user.id)
    return next((v for v in votes if v.voter_key == key), None) if key else None


def eligible_ids(group: Group) -> list[int]:
    """Who may vote: the group's current members."""
    return group_queries.member_ids(group.id)


def counted(proposal: Proposal, votes: list[Vote], members: list[int]) -> list[Vote]:
    """The votes of people who are still members: someone who left no longer decides."""
    keys = {voter_key(proposal, uid) for uid in members}
    return [v for v in votes if v.voter_key in keys]


def ballots(votes: list[Vote]) -> list[rules.Ballot]:
    """The votes as the rules read them: an objection or block counts as stopping while it is open."""
    return [
        rules.Ballot(v.choice, tuple(v.option_ids or ()), v.choice in STOPPING and v.objection_state == "open")
        for v in votes
    ]


def results_visible(proposal: Proposal) -> bool:
    """Whether counts and reasons may be shown now. An anonymous proposal shows them only after
    close, whatever its other options: a tally that moves with each vote tells whoever reloads
    between two votes what the second voter chose."""
    return proposal.status == "closed" or not (proposal.anonymous or proposal.hide_results)


def participation_visible(proposal: Proposal) -> bool:
    """Whether who took part (and who hasn't yet) may be shown now: on an anonymous proposal only
    after close, so the list can't be watched growing vote by vote."""
    return not proposal.anonymous or proposal.status in ("closed", "withdrawn")


def participants(proposal: Proposal) -> list[Participation]:
    """Who took part, by name (not in the order they voted)."""
    rows = db.session.scalars(
        select(Participation).where(Participation.proposal_id == proposal.id).options(selectinload(Participation.user))
    )
    return sorted(rows, key=lambda p: (p.user.display_name.casefold(), p.user_id))


# ---------------------------------------------------------------- sealing


def _content(vote: Vote) -> tuple:
    return (vote.choice, json.dumps(sorted(vote.option_ids or [])), vote.objection_state or "", vote.reason_md)


def seal(proposal: Proposal, counted_votes: list[Vote]) -> None:
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
        for v in sorted(counted_votes, key=_content)
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
