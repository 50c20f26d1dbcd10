"""What every care-work route shares: the blueprint, the template globals, who is asking, and the
group, slot or request the URL names — missing (404) when the viewer may not see it."""
from flask import Blueprint, flash, g
from flask_login import current_user

from app.core.errors import Missing, Refused
from app.groups import policy as group_policy
from app.groups import services as groups
from app.labour import policy, reasons
from app.labour.assignments import assignment_for, swap_for
from app.labour.forms import CATEGORY_LABELS, RECURRENCE_LABELS, STATUS_LABELS, WILLINGNESS_LABELS

bp = Blueprint("labour", __name__)

REFUSED = 422


@bp.record_once
def _labels(state):
    # Globals, so imported macros see them too.
    state.app.jinja_env.globals.update(
        CARE_CATEGORY_LABELS=CATEGORY_LABELS, CARE_RECURRENCE_LABELS=RECURRENCE_LABELS,
        CARE_STATUS_LABELS=STATUS_LABELS, CARE_WILLINGNESS_LABELS=WILLINGNESS_LABELS,
    )
    state.app.jinja_env.filters["points"] = reasons.points
    state.app.jinja_env.filters["effort"] = reasons.effort_label
    state.app.jinja_env.filters["balance_sentence"] = reasons.balance_sentence


def me():
    """The signed-in person as a model object: services look things up by its class, not the proxy's."""
    return current_user._get_current_object()


def group_for(slug):
    g.group = groups.group_for(me(), slug)
    return g.group


def slot_in(group, assignment_id):
    a = assignment_for(me(), assignment_id)
    if a.group_id != group.id:
        raise Missing()
    return a


def swap_in(group, swap_id):
    found = swap_for(me(), swap_id)
    if found.assignment.group_id != group.id:
        raise Missing()
    return found


def roles(group) -> dict:
    """What the care-work templates show or hide by who is looking."""
    return dict(
        can_admin=group_policy.can_admin(me(), group),
        can_facilitate=policy.can_plan(me(), group),
        can_write=policy.can_take_part(me(), group),
    )


def flash_refusal(refusal: Refused) -> None:
    flash(str(refusal.message), "error")
