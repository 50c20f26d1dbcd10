"""The rota grid (and what facilitators do on it: plan again, skip a week, give a slot to someone
else) and the fairness dashboard."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from jinja2_fragments.flask import render_block

from app.core.errors import Missing, Refused, require, show_on_form
from app.core.extensions import htmx
from app.labour import assignments, charts, dashboard, planning, policy, queries
from app.labour.forms import OverrideForm, RegenerateForm
from app.labour.periods import current_period, rota_of
from app.labour.routes.common import REFUSED, bp, flash_refusal, group_for, me, roles, slot_in

CONFLICT = 409


def _rota_page(group, status=200, failed=None, changing=False):
    grid = queries.rota_grid(group)
    # Facilitators' "change" controls only on request (?change=1) or after a refused change: the grid stays calm.
    changing = roles(group)["can_facilitate"] and (changing or failed is not None)
    return render_template("labour/rota.html", group=group, grid=grid, failed=failed, changing=changing,
                           override_form=OverrideForm(formdata=None), **roles(group)), status


@bp.route("/g/<slug>/care/rota")
def rota(slug):
    return _rota_page(group_for(slug), changing=request.args.get("change") == "1")


def _confirmation(group, status=200, outdated=None):
    """What re-planning would do, worked out by a dry run, with the button that does it (whole page, or
    the `confirm` block for htmx, which puts it under the rota's button)."""
    shown = planning.preview(me(), group)
    if shown is None:
        raise Missing()
    r = rota_of(group)
    now = current_period(r, group)
    context = dict(group=group, preview=shown, outdated=outdated, form=RegenerateForm(formdata=None),
                   first=queries.week(r, shown.first, now), last=queries.week(r, shown.last, now),
                   weeks={p: queries.week(r, p, now) for p in {c.period for c in shown.changes}},
                   names=queries.names_of([i for c in shown.changes for i in (c.before, c.after)]),
                   **roles(group))
    if htmx:
        return render_block("labour/regenerate.html", "confirm", **context), status
    return render_template("labour/regenerate.html", **context), status


@bp.route("/g/<slug>/care/rota/regenerate")
@login_required
def confirm_regenerate(slug):
    group = group_for(slug)
    require(policy.can_plan(me(), group))
    return _confirmation(group)


@bp.route("/g/<slug>/care/rota/regenerate", methods=["POST"])
@login_required
def regenerate(slug):
    """Re-plan the future — only what the facilitator was shown and confirmed; anything else shows the
    confirmation (again), and nothing changes."""
    group = group_for(slug)
    require(policy.can_plan(me(), group))
    form = RegenerateForm()
    if not form.validate_on_submit() or not form.confirmed.data:
        return _confirmation(group)
    try:
        made = planning.generate(me(), group, confirmed=form.confirmed.data)
    except planning.Outdated as refusal:
        return _confirmation(group, CONFLICT, outdated=refusal.message)
    flash(_("The future of the rota is planned again: %(count)s slots. Past and current weeks are unchanged.",
            count=made), "success")
    return redirect(url_for("labour.rota", slug=group.slug))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/skip", methods=["POST"])
@login_required
def skip(slug, assignment_id):
    group = group_for(slug)
    a = slot_in(group, assignment_id)
    require(policy.can_skip(me(), a))
    try:
        assignments.mark_skipped(me(), a)
    except Refused as refusal:
        flash_refusal(refusal)
        return _rota_page(group, REFUSED)
    flash(_("Skipped for this week: nobody owes it, nobody earns it."), "success")
    return redirect(url_for("labour.rota", slug=group.slug, _anchor=f"week-{a.period}"))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/override", methods=["POST"])
@login_required
def override(slug, assignment_id):
    group = group_for(slug)
    a = slot_in(group, assignment_id)
    require(policy.can_override(me(), a))
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            assignments.override(me(), a, form.to_user_id.data, form.reason.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Reassigned. The reason is on the record, and the dashboard shows its effect."), "success")
            return redirect(url_for("labour.rota", slug=group.slug, _anchor=f"week-{a.period}"))
    return _rota_page(group, REFUSED, failed=(a.id, form))


@bp.route("/g/<slug>/care/fairness")
def fairness(slug):
    group = group_for(slug)
    shown = roles(group)
    data = dashboard.fairness(group, with_matrix=shown["can_facilitate"])
    bar_chart = line_chart = None
    if data is not None:
        bar_chart = charts.bars(data.rows)
        line_chart = charts.line(data.history, data.bound, data.w_max)
    return render_template("labour/fairness.html", group=group, data=data, bar_chart=bar_chart,
                           line_chart=line_chart, **shown)
