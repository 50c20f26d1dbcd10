from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db
from app.decisions.rules import CHOICES, KINDS, NEEDS_REASON, STOPPING  # noqa: F401 (the models' vocabulary)

STATUSES = ("draft", "open", "closed", "withdrawn")


class Proposal(db.Model):
    """A question put to the group, decided by the rule of its kind. It lives in a thread."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)  # None while a draft
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(12), default="consent")
    status: Mapped[str] = mapped_column(String(12), default="open")
    quorum_percent: Mapped[int] = mapped_column(Integer, default=0)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    hide_results: Mapped[bool] = mapped_column(Boolean, default=False)
    reason_required: Mapped[bool] = mapped_column(Boolean, default=False)
    multiple_choice: Mapped[bool] = mapped_column(Boolean, default=False)
    # Anonymous proposals only, and only while open: the random key that ties each member to their
    # ballot (so they can change it). Erased at close, when the ballots are sealed (see Vote).
    ballot_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fixed at close: how many could vote, and what the rule said with the numbers behind it.
    eligible_count: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(String(20))
    result_detail: Mapped[dict] = mapped_column(JSON, default=dict)

    group: Mapped["Group"] = relationship()  # noqa: F821
    thread: Mapped["Thread | None"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship()  # noqa: F821
    options: Mapped[list["PollOption"]] = relationship(order_by="PollOption.position", cascade="all, delete-orphan")
    outcome: Mapped["Outcome | None"] = relationship(back_populates="proposal", uselist=False)

    __table_args__ = (
        CheckConstraint("kind IN ('consent', 'consensus', 'advice', 'poll')", name="kind"),
        CheckConstraint("status IN ('draft', 'open', 'closed', 'withdrawn')", name="status"),
        CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum"),
    )


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Vote(db.Model):
    """One vote as given. A change adds a new row and retires the old one, so every change is kept.

    `voter_key` is a keyed hash of (proposal, person): it keeps one current vote per person
    even on anonymous proposals, where `user_id` is never stored. On those it is keyed with the
    proposal's own `ballot_key` and the vote has no time. At close an anonymous proposal's
    votes are *sealed*: rewritten as fresh rows in an order of their content, with no voter
    key, no time and no version, and every earlier row deleted, so nothing stored links a
    ballot to a person (ballots.seal).
    """

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    voter_key: Mapped[str | None] = mapped_column(String(64))  # None once sealed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[str] = mapped_column(String(12))
    option_ids: Mapped[list] = mapped_column(JSON, default=list)
    reason_md: Mapped[str] = mapped_column(Text, default="")
    reason_html: Mapped[str] = mapped_column(Text, default="")
    proposal_version: Mapped[int | None] = mapped_column(Integer)  # None once sealed (no default: None must stay None)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # For object and block: "open" until the voter marks it "resolved" or "withdrawn".
    objection_state: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None on anonymous proposals

    user: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (
        Index(
            "uq_votes_current",
            "proposal_id",
            "voter_key",
            unique=True,
            sqlite_where=db.text("is_current"),
            postgresql_where=db.text("is_current"),
        ),
        Index("ix_votes_proposal", "proposal_id", "is_current"),
    )


class Participation(db.Model):
    """Who took part in a proposal — shown even when the proposal is anonymous (after close); what they
    chose is not. Kept to the day only: a finer time could be matched against a ballot's."""

    __tablename__ = "participations"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_voted_on: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date())

    user: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_participations_once"),)


class Outcome(db.Model):
    """What the group decided, in words, with a review date and follow-up actions."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    statement_md: Mapped[str] = mapped_column(Text, default="")
    statement_html: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(String(20))
    review_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="outcome")
    group: Mapped["Group"] = relationship()  # noqa: F821
    recorded_by: Mapped["User | None"] = relationship()  # noqa: F821
    actions: Mapped[list["Action"]] = relationship(back_populates="outcome", order_by="Action.id")


class Action(db.Model):
    """A follow-up someone owns, due by a date, tracked to done."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    outcome: Mapped[Outcome] = relationship(back_populates="actions")
    owner: Mapped["User | None"] = relationship()  # noqa: F821
