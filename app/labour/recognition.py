"""How invisible work gets seen: care nobody scheduled, logged and confirmed by another member,
and thanks from one member to another."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.groups import policy as groups
from app.groups.models import Group
from app.labour import book, policy
from app.labour.models import CATEGORIES, Assignment, LoggedCare, Thanks
from app.labour.periods import period_of, rota_of, today_in


def log_care(user, group: Group, description: str, effort: int, done_on: date, category: str = "other") -> LoggedCare:
    """Care work nobody scheduled. It counts once another member confirms it."""
    require(policy.can_take_part(user, group))
    if rota_of(group) is None:
        raise Refused(_l("Start the rota first."))
    if not description.strip() or len(description) > 300:
        raise Refused(_l("Describe it in 1–300 characters."), "description")
    if not 1 <= effort <= 20:
        raise Refused(_l("Effort is between 1 and 20 points."), "effort")
    if done_on > today_in(group):
        raise Refused(_l("Log care once it's done: the date can't be in the future."), "done_on")
    if category not in CATEGORIES:
        raise Refused(_l("Choose a category."), "category")
    care = LoggedCare(group_id=group.id, user_id=user.id, description=description.strip(), effort=effort,
                      done_on=done_on, category=category)
    db.session.add(care)
    db.session.flush()
    happened("care.logged", group, user, care, description=care.description, effort=effort)
    db.session.commit()
    return care


def confirm_care(user, group: Group, care_id: int) -> None:
    """Another member confirms logged care; from then on it counts in the ledger like any task."""
    care = db.session.get(LoggedCare, care_id)
    if care is None or care.group_id != group.id:
        raise Missing()
    require(policy.can_take_part(user, group))
    if care.user_id == user.id:
        raise Refused(_l("Someone else confirms your logged care — that's how it becomes visible."))
    if care.confirmed_at is not None:
        raise Refused(_l("It is already confirmed."))
    care.confirmed_by_id, care.confirmed_at = user.id, utcnow()
    r = rota_of(group)
    book.enter(group, "logged_care", care.user_id, period_of(r, care.done_on), effort=care.effort, ref_id=care.id,
               actor=user)
    happened("care.confirmed", group, user, care, description=care.description, name=care.user.display_name)
    db.session.commit()


def thank(user, group: Group, to_user_id: int, message: str = "", assignment_id: int | None = None,
          care_id: int | None = None) -> Thanks:
    """Any member can thank another current member for care work done here (an assignment or logged
    care of this group, if named); thanks show on the timeline and the person's page, so nobody
    outside the group — nor anyone who left it — can be made to receive them."""
    require(policy.can_take_part(user, group))
    if to_user_id == user.id:
        raise Refused(_l("Thank someone else — your own work is thanked by others."))
    if len(message) > 500:
        raise Refused(_l("Keep it under 500 characters."), "message")
    person = db.session.get(User, to_user_id)
    if groups.membership(person, group) is None:
        raise Refused(_l("You can only thank a current member of the group."), "to_user_id")
    if assignment_id is not None:
        a = db.session.get(Assignment, assignment_id)
        if a is None or a.group_id != group.id or a.done_by_id != to_user_id:
            raise Missing()
    if care_id is not None:
        care = db.session.get(LoggedCare, care_id)
        if care is None or care.group_id != group.id or care.user_id != to_user_id:
            raise Missing()
    thanks = Thanks(group_id=group.id, from_user_id=user.id, to_user_id=to_user_id, assignment_id=assignment_id,
                    logged_care_id=care_id, message=message.strip())
    db.session.add(thanks)
    db.session.flush()
    happened("care.thanked", group, user, thanks, name=person.display_name, message=thanks.message)
    db.session.commit()
    return thanks


def thanks_received(person, group_ids: list[int], limit: int = 50) -> list[Thanks]:
    """Thanks this person received in these groups (the ones the viewer can read), newest first:
    one query, with who thanked them and the group loaded alongside."""
    if not group_ids:
        return []
    return list(db.session.scalars(
        select(Thanks).where(Thanks.to_user_id == person.id, Thanks.group_id.in_(group_ids))
        .options(joinedload(Thanks.from_user), joinedload(Thanks.group))
        .order_by(Thanks.created_at.desc(), Thanks.id.desc()).limit(limit)
    ))
