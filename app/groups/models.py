from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db

ROLES = ("member", "facilitator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
VISIBILITIES = ("private", "public")


class Group(db.Model):
    """A co-op, or (with a parent) one of its working groups. One level deep."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="private")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    locale: Mapped[str] = mapped_column(String(5), default="ko")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    parent: Mapped["Group | None"] = relationship(remote_side=[id], back_populates="working_groups")
    working_groups: Mapped[list["Group"]] = relationship(back_populates="parent", order_by="Group.name")

    __table_args__ = (CheckConstraint("visibility IN ('private', 'public')", name="visibility"),)

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class Membership(db.Model):
    """One stint of a person in a group. Leaving sets `left_at`; rejoining starts a new row."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="member")
    # Share of a full care-work load, in percent (10–100): whole numbers keep the rota exact.
    capacity_percent: Mapped[int] = mapped_column(Integer, default=100)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (
        CheckConstraint("role IN ('member', 'facilitator', 'admin')", name="role"),
        CheckConstraint("capacity_percent BETWEEN 10 AND 100", name="capacity"),
        # At most one current membership per person and group.
        Index(
            "uq_memberships_current",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=db.text("left_at IS NULL"),
            postgresql_where=db.text("left_at IS NULL"),
        ),
    )

    @hybrid_property
    def is_current(self) -> bool:
        """A stint not yet ended. In a query, `where(Membership.is_current)`: the one spelling of "now"."""
        return self.left_at is None

    @is_current.inplace.expression
    @classmethod
    def _is_current_expression(cls):
        return cls.left_at.is_(None)


class Invitation(db.Model):
    """A link that lets people join. Only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(12), default="member")
    note: Mapped[str] = mapped_column(String(120), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (CheckConstraint("role IN ('member', 'facilitator', 'admin')", name="role"),)

    def state(self, now: datetime) -> str:
        """`active`, `revoked`, `expired` or `used up`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used_up"
        return "active"
