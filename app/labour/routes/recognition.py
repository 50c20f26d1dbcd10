"""Care nobody scheduled (logged, then confirmed by another member) and thanks, from "My care work"."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.core.errors import Refused, require, show_on_form
from app.core.submissions import once
from app.labour import policy, recognition
from app.labour.forms import LogCareForm, ThanksForm
from app.labour.routes.common import REFUSED, bp, flash_refusal, group_for, me
from app.labour.routes.mine import my_page


@bp.route("/g/<slug>/care/logged", methods=["POST"])
@login_required
@once
def log_care(slug):
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    form = LogCareForm()
    if form.validate_on_submit():
        try:
            recognition.log_care(me(), group, form.description.data, form.effort.data, form.done_on.data,
                                 form.category.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Logged. It counts once another member confirms it."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="logged"))
    return my_page(group, REFUSED, log_form=form)


@bp.route("/g/<slug>/care/logged/<int:care_id>/confirm", methods=["POST"])
@login_required
def confirm(slug, care_id):
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    try:
        recognition.confirm_care(me(), group, care_id)
    except Refused as refusal:
        flash_refusal(refusal)
        return my_page(group, REFUSED)
    flash(_("Confirmed. It now counts in the ledger."), "success")
    return redirect(url_for("labour.index", slug=group.slug, _anchor="logged"))


@bp.route("/g/<slug>/care/thanks", methods=["POST"])
@login_required
@once
def thank(slug):
    group = group_for(slug)
    require(policy.can_take_part(me(), group))
    form = ThanksForm()
    if form.validate_on_submit():
        try:
            recognition.thank(me(), group, form.to_user_id.data, form.message.data,
                              assignment_id=form.assignment_id.data, care_id=form.care_id.data)
        except Refused as refusal:
            flash_refusal(refusal)
        else:
            flash(_("Your thanks are sent."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="thanks"))
    else:
        for error in dict.fromkeys(e for errors in form.errors.values() for e in errors):  # each message once
            flash(error, "error")
    return my_page(group, REFUSED)
