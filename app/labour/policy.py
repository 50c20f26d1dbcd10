"""Who may do what with care work: the one place that decides. Routes ask here before they read a
form or change anything; services ask again through `app.core.errors.require`.

Reading follows the group: a private group's care work is missing (404) to outsiders, a public
group's can be read by anyone. Members take part; facilitators plan (start the rota, define the
tasks, plan again, skip a week, give a slot to someone else).
"""
from app.groups import policy as groups
from app.groups.models import Group
from app.labour.models import Assignment, Swap


def _is(user, user_id: int | None) -> bool:
    return user_id is not None and getattr(user, "id", None) == user_id


def can_read(user, group: Group) -> bool:
    return groups.can_read(user, group)


def can_take_part(user, group: Group) -> bool:
    """Members: say what they're willing to do, note time away, log, confirm and thank care work."""
    return groups.can_write(user, group)


def can_plan(user, group: Group) -> bool:
    """Facilitators start the rota, define the tasks and plan the future again."""
    return groups.can_facilitate(user, group)


def can_mark(user, a: Assignment) -> bool:
    """Done or missed: the person holding the slot, or a facilitator for them."""
    return _is(user, a.user_id) or can_plan(user, a.group)


def can_skip(user, a: Assignment) -> bool:
    """Cancel a task for one week: nobody owes it, nobody earns it."""
    return can_plan(user, a.group)


def can_override(user, a: Assignment) -> bool:
    """Give a slot to someone else, with a reason everyone can read."""
    return can_plan(user, a.group)


def can_request_swap(user, a: Assignment) -> bool:
    """Only the member holding a slot may ask someone to take it, or offer it up."""
    return _is(user, a.user_id) and can_take_part(user, a.group)


def can_accept(user, swap: Swap) -> bool:
    """An offer: any member may take it. A swap: only the member it asks."""
    return can_take_part(user, swap.assignment.group) and (swap.kind != "swap" or _is(user, swap.to_user_id))


def can_decline(user, swap: Swap) -> bool:
    """Only the two members a request is between close it: the one asked declines, the one who asked withdraws."""
    return (_is(user, swap.to_user_id) or _is(user, swap.from_user_id)) and can_take_part(user, swap.assignment.group)
