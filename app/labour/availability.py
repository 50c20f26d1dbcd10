"""What a member can give: what they're willing to do, and time away. Either changes the plan ahead,
never what anyone owes."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.groups.models import Group
from app.labour import book, policy
from app.labour.models import WILLINGNESS, Absence, CareTask, Willingness
from app.labour.periods import period_of, rota_of
from app.labour.planning import regenerate


def set_willingness(user, group: Group, task_id: int, level: str) -> None:
    """Happy, rather not, or cannot. Cannot is never assigned; it doesn't lower what you owe."""
    require(policy.can_take_part(user, group))
    task = db.session.get(CareTask, task_id)
    if task is None or task.group_id != group.id:
        raise Missing()
    if level not in WILLINGNESS:
        raise Refused(_l("Choose happy, rather not or cannot."), "level")
    row = db.session.scalar(select(Willingness).where(Willingness.user_id == user.id, Willingness.task_id == task.id))
    if row is None:
        db.session.add(Willingness(group_id=group.id, user_id=user.id, task_id=task.id, level=level))
    elif row.level == level:
        return
    else:
        row.level = level
    r = rota_of(group)
    if r is not None:
        r.stale = True
        regenerate(group)
    db.session.commit()


def set_willingness_all(user, group: Group, levels: dict[str, str]) -> int:
    """Several answers at once (the one form on "My care work"): all of them or none — an unknown task or
    level refuses the lot. The future is re-planned once, if anything changed. Returns how many changed."""
    require(policy.can_take_part(user, group))
    tasks = {str(t.id): t for t in db.session.scalars(select(CareTask).where(CareTask.group_id == group.id))}
    if not levels:
        raise Refused(_l("Choose happy, rather not or cannot for at least one task."))
    if any(key not in tasks for key in levels):
        raise Refused(_l("One of those tasks isn't one of this group's: reload the page and try again."))
    if any(level not in WILLINGNESS for level in levels.values()):
        raise Refused(_l("Choose happy, rather not or cannot."))
    rows = {w.task_id: w for w in db.session.scalars(
        select(Willingness).where(Willingness.user_id == user.id, Willingness.group_id == group.id))}
    changed = 0
    for key, level in levels.items():
        task = tasks[key]
        row = rows.get(task.id)
        if row is None and level != "happy":
            db.session.add(Willingness(group_id=group.id, user_id=user.id, task_id=task.id, level=level))
        elif row is not None and row.level != level:
            row.level = level
        else:
            continue
        changed += 1
    r = rota_of(group)
    if changed and r is not None:
        r.stale = True
        regenerate(group)
    db.session.commit()
    return changed


def add_absence(user, group: Group, starts_on: date, ends_on: date, note: str = "") -> Absence:
    """Leave, illness, holiday — ahead or after. Capacity is 0 for the periods it touches."""
    require(policy.can_take_part(user, group))
    r = rota_of(group)
    if r is None:
        raise Refused(_l("Start the rota first."))
    if ends_on < starts_on:
        raise Refused(_l("An absence can't end before it starts."), "ends_on")
    if (ends_on - starts_on).days > 366:
        raise Refused(_l("An absence is at most a year; add another after it."), "ends_on")
    if len(note) > 200:
        raise Refused(_l("Keep the note under 200 characters."), "note")
    absence = Absence(group_id=group.id, user_id=user.id, starts_on=starts_on, ends_on=ends_on, note=note.strip())
    db.session.add(absence)
    db.session.flush()
    book.enter(group, "absence", user.id, period_of(r, starts_on), until=period_of(r, ends_on), ref_id=absence.id,
               actor=user)
    happened("care.absence", group, user, absence, name=user.display_name)
    r.stale = True
    regenerate(group)
    db.session.commit()
    return absence


def cancel_absence(user, group: Group, absence_id: int) -> None:
    """A member takes back their own time away; anyone else's is missing to them."""
    require(policy.can_take_part(user, group))
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.group_id != group.id or absence.user_id != user.id or absence.cancelled_at:
        raise Missing()
    absence.cancelled_at = utcnow()
    r = rota_of(group)
    book.enter(group, "absence_cancelled", user.id, period_of(r, absence.starts_on), ref_id=absence.id, actor=user)
    r.stale = True
    regenerate(group)
    db.session.commit()
