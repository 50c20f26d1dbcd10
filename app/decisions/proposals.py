"""Putting a proposal to the group: drafting, opening, and amending it (each version kept)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.core.revisions import Revision
from app.core.text import check_text, check_title
from app.decisions import ballots, policy, threads
from app.decisions.closing import closing_time
from app.decisions.models import KINDS, PollOption, Proposal
from app.groups.mentions import render_in
from app.groups.models import Group


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
    require(policy.can_propose(user, group))
    if draft.kind not in KINDS:
        raise Refused(_l("Choose consent, consensus, advice or poll."), "kind")
    if not 0 <= draft.quorum_percent <= 100:
        raise Refused(_l("Quorum is between 0 and 100 percent."), "quorum_percent")
    title, body = check_title(draft.title), check_text(draft.body)
    now = utcnow()
    closes_at = closing_time(draft.days, draft.closes_at, now)
    labels = _check_options(draft.kind, draft.options)
    if thread is not None and (thread.group_id != group.id or thread.deleted_at is not None):
        raise Missing()
    html, _mentioned = render_in(group, body)
    # A draft's words stay with its author: its thread starts only when it opens.
    if thread is None and not draft.draft:
        thread = threads.start(user, group, title, body)
    proposal = Proposal(
        group=group, thread=thread, author_id=user.id, title=title, body_md=body, body_html=html,
        kind=draft.kind, quorum_percent=draft.quorum_percent, anonymous=draft.anonymous,
        hide_results=draft.hide_results, reason_required=draft.reason_required,
        multiple_choice=draft.multiple_choice and draft.kind == "poll",
        ballot_key=ballots.new_ballot_key() if draft.anonymous else None,
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
    """Its author opens a draft for votes: its thread starts now, and the group hears of it."""
    require(policy.can_open(user, proposal))
    now = utcnow()
    given = days is not None or closes_at is not None
    proposal.closes_at = closing_time(days, closes_at, now) if given else max(proposal.closes_at,
                                                                               now + timedelta(days=1))
    proposal.status, proposal.opened_at = "open", now
    if proposal.thread_id is None:
        proposal.thread = threads.start(user, proposal.group, proposal.title, proposal.body_md)
        db.session.flush()
    _announce(user, proposal)
    db.session.commit()


def amend(user, proposal: Proposal, title: str, body: str) -> Proposal:
    """The author changes the proposal (a new version). Votes stay, marked as given on their version;
    everyone who voted is told."""
    require(policy.can_amend(user, proposal))
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
