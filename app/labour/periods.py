"""The rota and its weeks: which week (period) a day falls in, which care tasks there are, and which
of them need doing in a given week. Reads only; every other care-work module builds on these."""
from datetime import date, timedelta

from sqlalchemy import select

from app.core.database import utcnow
from app.core.extensions import db
from app.core.i18n import zone_info
from app.groups.models import Group
from app.labour.models import CareTask, Rota

PERIOD_DAYS = 7


def rota_of(group: Group) -> Rota | None:
    return db.session.scalar(select(Rota).where(Rota.group_id == group.id))


def today_in(group: Group) -> date:
    return utcnow().astimezone(zone_info(group.timezone)).date()


def period_of(r: Rota, day: date) -> int:
    return (day - r.starts_on).days // PERIOD_DAYS


def period_start(r: Rota, period: int) -> date:
    return r.starts_on + timedelta(days=PERIOD_DAYS * period)


def current_period(r: Rota, group: Group) -> int:
    return period_of(r, today_in(group))


def tasks_of(group: Group, active_only: bool = False) -> list[CareTask]:
    query = select(CareTask).where(CareTask.group_id == group.id).order_by(CareTask.active.desc(), CareTask.name)
    if active_only:
        query = query.where(CareTask.active.is_(True))
    return list(db.session.scalars(query))


def occurs(task: CareTask, r: Rota, period: int) -> bool:
    """Whether a task needs doing in a period, by its recurrence."""
    if not task.active or period < task.starts_period:
        return False
    if task.recurrence == "every":
        return True
    if task.recurrence == "every_2nd":
        return (period - task.starts_period) % 2 == 0
    if task.recurrence == "once":
        return period == task.starts_period
    start = period_start(r, period)  # monthly: the period holding the month's first day
    return start.day == 1 or (start + timedelta(days=PERIOD_DAYS - 1)).month != start.month
