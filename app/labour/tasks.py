"""The care tasks a group shares: facilitators define them; a change counts from now on."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.core.errors import Missing, Refused, require
from app.core.events import happened
from app.core.extensions import db
from app.groups.models import Group
from app.labour import policy
from app.labour.models import CATEGORIES, RECURRENCES, CareTask
from app.labour.periods import current_period, rota_of
from app.labour.planning import regenerate


@dataclass
class TaskDraft:
    name: str
    description: str = ""
    category: str = "other"
    effort: int = 1
    recurrence: str = "every"
    people_needed: int = 1
    active: bool = True


def _check_task(draft: TaskDraft) -> None:
    if not draft.name.strip() or len(draft.name) > 120:
        raise Refused(_l("Give the task a name of at most 120 characters."), "name")
    if draft.category not in CATEGORIES:
        raise Refused(_l("Choose a category."), "category")
    if draft.recurrence not in RECURRENCES:
        raise Refused(_l("Choose how often it recurs."), "recurrence")
    if not 1 <= draft.effort <= 20:
        raise Refused(_l("Effort is between 1 and 20 points."), "effort")
    if not 1 <= draft.people_needed <= 20:
        raise Refused(_l("Between 1 and 20 people."), "people_needed")


def task_in(group: Group, task_id: int) -> CareTask:
    """One of this group's tasks; any other id is missing."""
    task = db.session.get(CareTask, task_id)
    if task is None or task.group_id != group.id:
        raise Missing()
    return task


def save_task(user, group: Group, draft: TaskDraft, task: CareTask | None = None) -> CareTask:
    """Facilitators define the care tasks. A change of effort affects future periods only."""
    require(policy.can_plan(user, group))
    r = rota_of(group)
    if r is None:
        raise Refused(_l("Start the rota first."))
    _check_task(draft)
    if task is None:
        task = CareTask(group_id=group.id, starts_period=max(current_period(r, group), 0))
        db.session.add(task)
    elif task.group_id != group.id:
        raise Missing()
    task.name, task.description, task.category = draft.name.strip(), draft.description.strip(), draft.category
    task.effort, task.recurrence, task.people_needed, task.active = (
        draft.effort, draft.recurrence, draft.people_needed, draft.active)
    db.session.flush()
    happened("care.task_saved", group, user, task, name=task.name)
    r.stale = True
    regenerate(group)
    db.session.commit()
    return task
