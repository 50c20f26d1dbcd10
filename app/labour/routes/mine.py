"""My care work: the page, its `mine` block (what htmx swaps after an action on a slot or a request),
and starting the rota, which a facilitator does from this page."""
from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from jinja2_fragments.flask import render_block

from app.core.errors import Refused, require, show_on_form
from app.core.extensions import htmx
from app.core.submissions import once
from app.labour import periods, planning, policy, queries
from app.labour.forms import AbsenceForm, LogCareForm, SetUpForm, SwapForm
from app.labour.routes.common import REFUSED, bp, group_for, me, roles

PAGE = "labour/index.html"


def mine_context(group, failed=None, swap_form=None) -> dict | None:
    """What the `mine` block shows: my slots and why they are mine, where I stand, the open requests,
    and whom I could ask to swap. None until the group has a rota."""
    slots = queries.my_slots(me(), group)
    if slots is None:
        return None
    return dict(
        group=group, mine=slots, others=[m for m in slots.members if m.user_id != me().id],
        swap_form=swap_form or SwapForm(formdata=None), failed=failed,
        can_facilitate=policy.can_plan(me(), group), can_write=policy.can_take_part(me(), group),
    )


def page_context(group, failed=None, swap_form=None, **forms) -> dict:
    """The whole page: the `mine` block's context, the rest of my care work, and its forms."""
    context = dict(group=group, partial=False, **roles(group))
    mine = mine_context(group, failed, swap_form) if context["can_write"] else None
    if mine is None:  # before the rota, and for visitors of a public group: no care work of one's own
        return {**context, "rota": periods.rota_of(group),
                "setup_form": forms.get("setup_form") or SetUpForm(formdata=None)}
    slots = mine["mine"]
    return {
        **context, **mine, "rota": slots.rota, "care": queries.my_care(me(), group, slots),
        "absence_form": forms.get("absence_form") or AbsenceForm(formdata=None),
        "log_form": forms.get("log_form") or LogCareForm(formdata=None, done_on=periods.today_in(group)),
    }


def my_page(group, status=200, **given):
    return render_template(PAGE, **page_context(group, **given)), status


def mine_block(group, status=200, failed=None, swap_form=None):
    """The `mine` block alone, with the messages flashed for it (htmx puts them in place)."""
    context = mine_context(group, failed, swap_form)
    if context is None:
        return my_page(group, status)
    return render_block(PAGE, "mine", **context, partial=True), status


def answered(group, anchor: str):
    """After an action on a slot or a request: with htmx the `mine` block, else back to the page."""
    if htmx:
        return mine_block(group)
    return redirect(url_for("labour.index", slug=group.slug, _anchor=anchor))


def refused(group, failed=None, swap_form=None):
    """The action was refused (the message is flashed or on the form): the block or the page, 422."""
    if htmx:
        return mine_block(group, REFUSED, failed, swap_form)
    return my_page(group, REFUSED, failed=failed, swap_form=swap_form)


@bp.route("/g/<slug>/care")
def index(slug):
    return my_page(group_for(slug))


@bp.route("/g/<slug>/care/setup", methods=["POST"])
@login_required
@once
def setup(slug):
    group = group_for(slug)
    require(policy.can_plan(me(), group))
    form = SetUpForm()
    if form.validate_on_submit():
        today = periods.today_in(group)
        starts_on = today - timedelta(days=(today.weekday() - form.weekday.data) % 7)
        try:
            planning.set_up(me(), group, starts_on, form.periods_ahead.data, form.starter.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            made = planning.generate(me(), group)
            flash(_("The rota is started: %(count)s slots planned.", count=made), "success")
            return redirect(url_for("labour.index", slug=group.slug))
    return my_page(group, REFUSED, setup_form=form)
