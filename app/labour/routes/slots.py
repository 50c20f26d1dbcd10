"""Actions on a slot of mine or a request about one — done, missed, offer up, ask to swap, accept,
decline or withdraw. Each answers with the page's `mine` block for htmx, a redirect without."""
from flask import flash
from flask_babel import gettext as _
from flask_login import login_required

from app.core.errors import Refused, require, show_on_form
from app.core.submissions import once
from app.labour import assignments, policy
from app.labour.forms import SwapForm
from app.labour.routes.common import bp, flash_refusal, group_for, me, slot_in, swap_in
from app.labour.routes.mine import answered, refused


def _act(slug, assignment_id, allowed, action, done_message):
    """A button on one of my slots: who may press it is asked before anything happens."""
    group = group_for(slug)
    a = slot_in(group, assignment_id)
    require(allowed(me(), a))
    try:
        action(me(), a)
    except Refused as refusal:
        flash_refusal(refusal)
        return refused(group)
    flash(done_message, "success")
    return answered(group, "mine")


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/done", methods=["POST"])
@login_required
def done(slug, assignment_id):
    return _act(slug, assignment_id, policy.can_mark, assignments.mark_done,
                _("Marked done. Thank you for looking after the group."))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/missed", methods=["POST"])
@login_required
def missed(slug, assignment_id):
    return _act(slug, assignment_id, policy.can_mark, assignments.mark_missed,
                _("Marked missed. The slot is offered to anyone who can take it."))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/offer", methods=["POST"])
@login_required
@once
def offer(slug, assignment_id):
    return _act(slug, assignment_id, policy.can_request_swap, lambda user, a: assignments.request_swap(user, a, None),
                _("Offered up. The first member to take it gets it, and the credit."))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/swap", methods=["POST"])
@login_required
@once
def swap(slug, assignment_id):
    group = group_for(slug)
    a = slot_in(group, assignment_id)
    require(policy.can_request_swap(me(), a))
    form = SwapForm()
    if form.validate_on_submit():
        try:
            assignments.request_swap(me(), a, form.to_user_id.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Asked. They'll see it on their group home and can accept or decline."), "success")
            return answered(group, "mine")
    return refused(group, failed=("swap", a.id), swap_form=form)


@bp.route("/g/<slug>/care/swaps/<int:swap_id>/accept", methods=["POST"])
@login_required
def accept(slug, swap_id):
    group = group_for(slug)
    asked = swap_in(group, swap_id)
    require(policy.can_accept(me(), asked))
    try:
        assignments.accept_swap(me(), asked)
    except Refused as refusal:
        flash_refusal(refusal)
        return refused(group)
    flash(_("It's yours now. When it's done, you get the credit."), "success")
    return answered(group, "mine")


@bp.route("/g/<slug>/care/swaps/<int:swap_id>/decline", methods=["POST"])
@login_required
def decline(slug, swap_id):
    group = group_for(slug)
    asked = swap_in(group, swap_id)
    require(policy.can_decline(me(), asked))
    try:
        assignments.decline_swap(me(), asked)
    except Refused as refusal:
        flash_refusal(refusal)
        return refused(group)
    flash(_("Done: the request is closed."), "success")
    return answered(group, "swaps")
