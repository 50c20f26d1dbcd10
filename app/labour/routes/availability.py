"""Time away and what I'm willing to do, from the "My care work" page."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.core.errors import Refused, require, show_on_form
from app.core.submissions import once
from app.labour import availability, policy
from app.labour.forms import AbsenceForm, WillingnessAllForm, WillingnessForm
from app.labour.routes.common import REFUSED, bp, flash_refusal, group_for, me
from app.labour.routes.mine import my_page


@bp.route("/g/<slug>/care/absences", methods=["POST"])
@login_required
@once
def add_absence(slug):
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    form = AbsenceForm()
    if form.validate_on_submit():
        try:
            availability.add_absence(me(), group, form.starts_on.data, form.ends_on.data, form.note.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Your absence is noted. You won't be given care work while you're away, "
                    "and your balance stays as it is."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="absences"))
    return my_page(group, REFUSED, absence_form=form)


@bp.route("/g/<slug>/care/absences/<int:absence_id>/cancel", methods=["POST"])
@login_required
def cancel_absence(slug, absence_id):
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    availability.cancel_absence(me(), group, absence_id)
    flash(_("The absence is cancelled."), "success")
    return redirect(url_for("labour.index", slug=group.slug, _anchor="absences"))


@bp.route("/g/<slug>/care/willingness", methods=["POST"])
@login_required
def willingness_all(slug):
    """Every task's answer on one form, one save."""
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    form = WillingnessAllForm()
    if form.validate_on_submit():
        try:
            changed = availability.set_willingness_all(me(), group, form.levels(request.form))
        except Refused as refusal:
            flash_refusal(refusal)
        else:
            flash(_("Saved. The rota ahead follows your answers.") if changed else _("Saved: nothing changed."),
                  "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="willingness"))
    return my_page(group, REFUSED)


@bp.route("/g/<slug>/care/willingness/<int:task_id>", methods=["POST"])
@login_required
def willingness(slug, task_id):
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    form = WillingnessForm()
    if form.validate_on_submit():
        try:
            availability.set_willingness(me(), group, task_id, form.level.data)
        except Refused as refusal:
            flash_refusal(refusal)
        else:
            flash(_("Saved. The rota ahead follows your answer."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="willingness"))
    else:
        flash(_("Choose happy, rather not or cannot."), "error")
    return my_page(group, REFUSED)
