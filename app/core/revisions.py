"""Every saved version of a text — a thread, comment, document or proposal — and the page that
compares two of them. Shared by the features that keep versions, so none reaches into another."""
from datetime import datetime

from flask import g, render_template, request
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from app.core.database import UTCDateTime, utcnow
from app.core.diff import diff
from app.core.errors import Missing
from app.core.events import type_name
from app.core.extensions import db


class Revision(db.Model):
    """One saved version of a thread, comment, document or proposal: who wrote what, when."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (UniqueConstraint("target_type", "target_id", "number", name="uq_revisions_version"),)


def revise(target, author, body: str, title: str | None = None, number: int | None = None) -> Revision:
    """Keep this version of `target` (no commit). Numbered after the last one unless `number` says."""
    kind = type_name(target)
    if number is None:
        last = db.session.scalar(
            select(func.max(Revision.number)).where(Revision.target_type == kind, Revision.target_id == target.id)
        )
        number = (last or 0) + 1
    revision = Revision(target_type=kind, target_id=target.id, number=number, author_id=author.id, title=title,
                        body_md=body)
    db.session.add(revision)
    return revision


def revisions(target) -> list[Revision]:
    """Every version of `target`, oldest first, with their authors."""
    return list(
        db.session.scalars(
            select(Revision)
            .where(Revision.target_type == type_name(target), Revision.target_id == target.id)
            .options(selectinload(Revision.author))
            .order_by(Revision.number)
        )
    )


def show_history(target, group, back_url: str, title: str):
    """The version list and a diff between two versions (`?a=…&b=…`), for anything with revisions.

    The caller has checked that the person may read `target`."""
    versions = revisions(target)
    numbers = [r.number for r in versions]
    if not versions:
        raise Missing()
    b = request.args.get("b", type=int) or numbers[-1]
    a = request.args.get("a", type=int) or (b - 1 if b > 1 else b)
    by_number = {r.number: r for r in versions}
    if a not in by_number or b not in by_number:
        raise Missing()
    g.group = group
    return render_template(
        "history.html", versions=versions, a=by_number[a], b=by_number[b], group=group,
        lines=diff(by_number[a].body_md, by_number[b].body_md), back_url=back_url, title=title,
    )
