"""What the decisions tests share.

A `DecisionScene` is a scene (tests/scene.py) plus proposals, votes and outcomes made through
the services.
"""
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select, update

from app.core.events import Event
from app.core.revisions import Revision
from app.decisions import ballots, closing, outcomes, proposals, queries, votes
from app.archive.models import Thread
from app.decisions.models import Action, Outcome, Participation, PollOption, Proposal, Vote
from app.core.extensions import db
from app.notifications.models import Notification
from tests.scene import GroupScene

HX = {"HX-Request": "true"}
LOGIN = "login"  # redirected to the login page

# Every table a decision can write: a refused request leaves all of them as they were.
WRITTEN = (Proposal, PollOption, Vote, Participation, Outcome, Action, Revision, Event, Notification)

REASON = "It would leave the Tuesday shift with nobody on it."


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


class DecisionScene(GroupScene):
    """A scene with helpers to decide things in it."""

    def proposal(self, proposal_id) -> Proposal:
        return db.session.get(Proposal, proposal_id)

    def live_result(self, proposal_id):
        """What the rule says of the proposal's current votes, as its page shows it while open."""
        with self.ctx():
            p = self.proposal(proposal_id)
            return queries.live_result(p, ballots.current_votes(p))

    # ------------------------------------------------------------ deciding, through the services

    def propose(self, author="member", title="Buy a shared cargo bike", body="For the market runs.", **options) -> int:
        thread = options.pop("thread", None)
        with self.ctx():
            draft = proposals.Draft(title=title, body=body, **options)
            thread_obj = db.session.get(Thread, thread) if thread is not None else None
            return proposals.propose(self.user(author), self.group(), draft, thread_obj).id

    def vote(self, proposal_id, who, choice="consent", reason="", options=()) -> int:
        with self.ctx():
            return votes.cast_vote(self.user(who), self.proposal(proposal_id), choice, reason, list(options)).id

    def settle(self, proposal_id, who, state="resolved"):
        with self.ctx():
            votes.settle_objection(self.user(who), self.proposal(proposal_id), state)

    def amend(self, proposal_id, who="member", title=None, body="For the market runs, and deliveries."):
        with self.ctx():
            proposal = self.proposal(proposal_id)
            proposals.amend(self.user(who), proposal, title or proposal.title, body)

    def close(self, proposal_id, by="facilitator"):
        with self.ctx():
            closing.close(self.user(by), self.proposal(proposal_id))

    def reopen(self, proposal_id, by="facilitator", days=3):
        with self.ctx():
            closing.reopen(self.user(by), self.proposal(proposal_id), days=days)

    def withdraw(self, proposal_id, by="member"):
        with self.ctx():
            closing.withdraw(self.user(by), self.proposal(proposal_id))

    def open_draft(self, proposal_id, by="member", days=3):
        with self.ctx():
            proposals.open_draft(self.user(by), self.proposal(proposal_id), days=days)

    def outcome(self, proposal_id, by="facilitator", result=None, statement="We bought it.", review_on=None,
                actions=()) -> int:
        """Record an outcome; `actions` are (description, owner, due date) with owner a role or handle."""
        with self.ctx():
            proposal = self.proposal(proposal_id)
            drafts = [outcomes.ActionDraft(d, self.uid(o) if o is not None else None, due) for d, o, due in actions]
            result = outcomes.result_choices(proposal)[0] if result is None else result
            return outcomes.record_outcome(self.user(by), proposal, statement, result, review_on, drafts).id

    def decided(self, title="Buy a shared cargo bike", author="member", result=None, **outcome) -> int:
        """A proposal that was opened, closed and given an outcome. Returns the proposal id."""
        pid = self.propose(author, title=title)
        self.close(pid)
        self.outcome(pid, result=result, **outcome)
        return pid

    # ------------------------------------------------------------ changing the record directly

    def set(self, model, id_, **values):
        """Write columns of one row directly, as a clock moving on or another process would."""
        with self.ctx():
            db.session.execute(update(model).where(model.id == id_).values(**values))
            db.session.commit()

    def expire(self, proposal_id):
        """Its closing time has passed (nobody has looked since)."""
        self.set(Proposal, proposal_id, closes_at=datetime.now(timezone.utc) - timedelta(minutes=1))

    # ------------------------------------------------------------ looking

    def count(self, model, *criteria) -> int:
        with self.ctx():
            return db.session.scalar(select(func.count()).select_from(model).where(*criteria))

    def counts(self) -> dict:
        """Rows in every table a decision writes: compare before and after a refused request."""
        return {model.__name__: self.count(model) for model in WRITTEN}

    def votes(self, proposal_id, current_only=True) -> list[tuple]:
        """(user id, choice, option ids, is_current, version, objection state) of every vote, oldest first."""
        with self.ctx():
            query = select(Vote).where(Vote.proposal_id == proposal_id).order_by(Vote.id)
            if current_only:
                query = query.where(Vote.is_current.is_(True))
            return [(v.user_id, v.choice, list(v.option_ids or []), v.is_current, v.proposal_version, v.objection_state)
                    for v in db.session.scalars(query)]

    def events(self, kind_prefix="") -> list[tuple[str, int | None]]:
        """(kind, actor id) of the group's events, oldest first."""
        with self.ctx():
            return [tuple(r) for r in db.session.execute(
                select(Event.kind, Event.actor_id)
                .where(Event.group_id == self.group_id, Event.kind.startswith(kind_prefix))
                .order_by(Event.id)
            )]

    def notifications(self, who, kind=None) -> list[tuple[str, str, int]]:
        with self.ctx():
            query = select(Notification.kind, Notification.target_type, Notification.target_id).where(
                Notification.user_id == self.uid(who))
            if kind:
                query = query.where(Notification.kind == kind)
            return [tuple(r) for r in db.session.execute(query.order_by(Notification.id))]

    def option_ids(self, proposal_id) -> list[int]:
        with self.ctx():
            return list(db.session.scalars(
                select(PollOption.id).where(PollOption.proposal_id == proposal_id).order_by(PollOption.position)))

    def thread_id(self, proposal_id) -> int:
        return self.get(Proposal, proposal_id, "thread_id")


# ---------------------------------------------------------------- counting SQL

from tests.sql import counting_queries  # noqa: E402,F401  (re-exported for the test modules)




# ---------------------------------------------------------------- reading pages


def section(page: str, element_id: str, attribute: str = "id") -> str:
    """The HTML of the element with this id (or other attribute value), up to its matching close tag."""
    match = re.search(rf'<(\w+)\b[^>]*\s{attribute}="{element_id}"[^>]*>', page)
    assert match, f"no {attribute}={element_id} on the page"
    name, start, depth = match.group(1), match.end(), 1
    for tag in re.finditer(rf"<(/?){name}\b[^>]*>", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[match.start():start + tag.end()]
    raise AssertionError(f"#{element_id} is not closed")


def my_reason(html: str) -> str:
    """What the viewer's own vote form holds as their reason ("Change my vote" starts from it)."""
    match = re.search(r'<textarea id="reason"[^>]*>(.*?)</textarea>', html, re.S)
    return match.group(1) if match else ""


def without_my_form(html: str) -> str:
    """The HTML without the viewer's own vote form: what it shows of everybody's votes."""
    return re.sub(r'<form class="stack vote-form".*?</form>', "", html, flags=re.S)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def tomorrow() -> date:
    return datetime.now(timezone.utc).date() + timedelta(days=1)


def yesterday() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)
