"""Care-work pages: my care work, the rota grid, the fairness dashboard, tasks, the calendar feed.

Thin: parse the form → call the service → redirect (or, with htmx, send back the changed part).
Bad input re-renders the page with the message next to what caused it, with a 4xx status.
"""
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from app.core.errors import Refused, show_on_form
from app.core.extensions import htmx
from app.groups import policy
from app.groups import services as groups
from app.labour import calendar, charts, queries, reasons, services
from app.labour.forms import (
    CATEGORY_LABELS,
    RECURRENCE_LABELS,
    STATUS_LABELS,
    WILLINGNESS_LABELS,
    AbsenceForm,
    LogCareForm,
    OverrideForm,
    SetUpForm,
    SwapForm,
    TaskForm,
    ThanksForm,
    WillingnessForm,
)

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


def _group(slug):
    g.group = groups.group_for(current_user, slug)
    return g.group


def _slot(group, assignment_id):
    a = services.assignment_for(me(), assignment_id)
    if a.group_id != group.id:
        abort(404)
    return a


def _roles(group) -> dict:
    return dict(
        can_admin=policy.can_admin(current_user, group),
        can_facilitate=policy.can_facilitate(current_user, group),
        can_write=policy.can_write(current_user, group),
    )


def _refused(refusal: Refused) -> None:
    flash(str(refusal.message), "error")


def _writer(slug):
    """The group, for a member who may act in it: checked before the form is read, so whatever is
    posted, outsiders learn nothing (404 for a private group, 403 for a public one)."""
    group = _group(slug)
    if not policy.can_write(current_user, group):
        abort(403)
    return group


# ---------------------------------------------------------------- my care work


def _my_context(group, **given):
    roles = _roles(group)
    # Visitors of a public group have no care work of their own: they get the rota and the dashboard.
    care = queries.my_care(current_user, group) if roles["can_write"] else None
    rota = care.rota if care else services.rota_of(group)
    context = dict(group=group, care=care, rota=rota, partial=False, failed=given.pop("failed", None), **roles)
    if care is None:
        context["setup_form"] = given.get("setup_form") or SetUpForm(formdata=None)
        return context
    members = [m for m in care.members if m.user_id != getattr(current_user, "id", None)]
    log_form = given.get("log_form") or LogCareForm(formdata=None, done_on=services.today_in(group))
    context.update(
        others=members,
        absence_form=given.get("absence_form") or AbsenceForm(formdata=None),
        log_form=log_form,
        swap_form=given.get("swap_form") or SwapForm(formdata=None),
        weeks_ahead=care.rota.periods_ahead,
    )
    return context


def _my_page(group, status=200, **given):
    context = _my_context(group, **given)
    # The "mine" block exists only once the rota is running; before that, the whole page answers.
    if htmx and request.method == "POST" and context["rota"] is not None and context["care"] is not None:
        return render_block("labour/index.html", "mine", **{**context, "partial": True}), status
    return render_template("labour/index.html", **context), status


def _back(group, anchor=None):
    if htmx:
        return _my_page(group)
    return redirect(url_for("labour.index", slug=group.slug, _anchor=anchor))


@bp.route("/g/<slug>/care")
def index(slug):
    return _my_page(_group(slug))


@bp.route("/g/<slug>/care/setup", methods=["POST"])
@login_required
def setup(slug):
    group = _group(slug)
    if not policy.can_facilitate(current_user, group):
        abort(403)
    form = SetUpForm()
    if form.validate_on_submit():
        today = services.today_in(group)
        starts_on = today - timedelta(days=(today.weekday() - form.weekday.data) % 7)
        try:
            services.set_up(me(), group, starts_on, form.periods_ahead.data, form.starter.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            made = services.generate(me(), group)
            flash(_("The rota is started: %(count)s slots planned.", count=made), "success")
            return redirect(url_for("labour.index", slug=group.slug))
    return _my_page(group, REFUSED, setup_form=form)


def _act(slug, assignment_id, action, done_message, anchor="mine"):
    """A button on one of my slots: done, missed, offer up."""
    group = _group(slug)
    a = _slot(group, assignment_id)
    try:
        action(me(), a)
    except Refused as refusal:
        _refused(refusal)
        return _my_page(group, REFUSED)
    flash(done_message, "success")
    return _back(group, anchor)


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/done", methods=["POST"])
@login_required
def done(slug, assignment_id):
    return _act(slug, assignment_id, services.mark_done, _("Marked done. Thank you for looking after the group."))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/missed", methods=["POST"])
@login_required
def missed(slug, assignment_id):
    return _act(slug, assignment_id, services.mark_missed,
                _("Marked missed. The slot is offered to anyone who can take it."))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/offer", methods=["POST"])
@login_required
def offer(slug, assignment_id):
    return _act(slug, assignment_id, lambda user, a: services.request_swap(user, a, None),
                _("Offered up. The first member to take it gets it, and the credit."))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/swap", methods=["POST"])
@login_required
def swap(slug, assignment_id):
    group = _group(slug)
    a = _slot(group, assignment_id)
    if not services.may_request_swap(me(), a):
        abort(403)
    form = SwapForm()
    if form.validate_on_submit():
        try:
            services.request_swap(me(), a, form.to_user_id.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Asked. They'll see it on their group home and can accept or decline."), "success")
            return _back(group, "mine")
    return _my_page(group, REFUSED, swap_form=form, failed=("swap", a.id))


@bp.route("/g/<slug>/care/swaps/<int:swap_id>/accept", methods=["POST"])
@login_required
def accept(slug, swap_id):
    group = _group(slug)
    found = services.swap_for(me(), swap_id)
    if found.assignment.group_id != group.id:
        abort(404)
    try:
        services.accept_swap(me(), found)
    except Refused as refusal:
        _refused(refusal)
        return _my_page(group, REFUSED)
    flash(_("It's yours now. When it's done, you get the credit."), "success")
    return _back(group, "mine")


@bp.route("/g/<slug>/care/swaps/<int:swap_id>/decline", methods=["POST"])
@login_required
def decline(slug, swap_id):
    group = _writer(slug)
    found = services.swap_for(me(), swap_id)
    if found.assignment.group_id != group.id:
        abort(404)
    try:
        services.decline_swap(me(), found)
    except Refused as refusal:
        _refused(refusal)
        return _my_page(group, REFUSED)
    flash(_("Done: the request is closed."), "success")
    return _back(group, "swaps")


@bp.route("/g/<slug>/care/absences", methods=["POST"])
@login_required
def add_absence(slug):
    group = _writer(slug)
    form = AbsenceForm()
    if form.validate_on_submit():
        try:
            services.add_absence(me(), group, form.starts_on.data, form.ends_on.data, form.note.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Your absence is noted. You won't be given care work while you're away, "
                    "and your balance stays as it is."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="absences"))
    return _my_page(group, REFUSED, absence_form=form)


@bp.route("/g/<slug>/care/absences/<int:absence_id>/cancel", methods=["POST"])
@login_required
def cancel_absence(slug, absence_id):
    group = _writer(slug)
    services.cancel_absence(me(), group, absence_id)
    flash(_("The absence is cancelled."), "success")
    return redirect(url_for("labour.index", slug=group.slug, _anchor="absences"))


@bp.route("/g/<slug>/care/willingness/<int:task_id>", methods=["POST"])
@login_required
def willingness(slug, task_id):
    group = _writer(slug)
    form = WillingnessForm()
    if form.validate_on_submit():
        try:
            services.set_willingness(me(), group, task_id, form.level.data)
        except Refused as refusal:
            _refused(refusal)
        else:
            flash(_("Saved. The rota ahead follows your answer."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="willingness"))
    else:
        flash(_("Choose happy, rather not or cannot."), "error")
    return _my_page(group, REFUSED)


@bp.route("/g/<slug>/care/logged", methods=["POST"])
@login_required
def log_care(slug):
    group = _writer(slug)
    form = LogCareForm()
    if form.validate_on_submit():
        try:
            services.log_care(me(), group, form.description.data, form.effort.data, form.done_on.data,
                              form.category.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Logged. It counts once another member confirms it."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="logged"))
    return _my_page(group, REFUSED, log_form=form)


@bp.route("/g/<slug>/care/logged/<int:care_id>/confirm", methods=["POST"])
@login_required
def confirm(slug, care_id):
    group = _writer(slug)
    try:
        services.confirm_care(me(), group, care_id)
    except Refused as refusal:
        _refused(refusal)
        return _my_page(group, REFUSED)
    flash(_("Confirmed. It now counts in the ledger."), "success")
    return redirect(url_for("labour.index", slug=group.slug, _anchor="logged"))


@bp.route("/g/<slug>/care/thanks", methods=["POST"])
@login_required
def thank(slug):
    group = _writer(slug)
    form = ThanksForm()
    if form.validate_on_submit():
        try:
            services.thank(me(), group, form.to_user_id.data, form.message.data,
                           assignment_id=form.assignment_id.data, care_id=form.care_id.data)
        except Refused as refusal:
            _refused(refusal)
        else:
            flash(_("Your thanks are sent."), "success")
            return redirect(url_for("labour.index", slug=group.slug, _anchor="thanks"))
    else:
        for error in dict.fromkeys(e for errors in form.errors.values() for e in errors):  # each message once
            flash(error, "error")
    return _my_page(group, REFUSED)


# ---------------------------------------------------------------- the rota grid


def _rota_page(group, status=200, failed=None):
    grid = queries.rota_grid(group)
    return render_template("labour/rota.html", group=group, grid=grid, failed=failed,
                           override_form=OverrideForm(formdata=None), **_roles(group)), status


@bp.route("/g/<slug>/care/rota")
def rota(slug):
    return _rota_page(_group(slug))


@bp.route("/g/<slug>/care/rota/regenerate", methods=["POST"])
@login_required
def regenerate(slug):
    group = _group(slug)
    made = services.generate(me(), group)
    flash(_("The future of the rota is planned again: %(count)s slots. Past and current weeks are unchanged.",
            count=made), "success")
    return redirect(url_for("labour.rota", slug=group.slug))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/skip", methods=["POST"])
@login_required
def skip(slug, assignment_id):
    group = _group(slug)
    a = _slot(group, assignment_id)
    try:
        services.mark_skipped(me(), a)
    except Refused as refusal:
        _refused(refusal)
        return _rota_page(group, REFUSED)
    flash(_("Skipped for this week: nobody owes it, nobody earns it."), "success")
    return redirect(url_for("labour.rota", slug=group.slug, _anchor=f"week-{a.period}"))


@bp.route("/g/<slug>/care/slots/<int:assignment_id>/override", methods=["POST"])
@login_required
def override(slug, assignment_id):
    group = _group(slug)
    a = _slot(group, assignment_id)
    if not policy.can_facilitate(current_user, group):
        abort(403)
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            services.override(me(), a, form.to_user_id.data, form.reason.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Reassigned. The reason is on the record, and the dashboard shows its effect."), "success")
            return redirect(url_for("labour.rota", slug=group.slug, _anchor=f"week-{a.period}"))
    return _rota_page(group, REFUSED, failed=(a.id, form))


# ---------------------------------------------------------------- the fairness dashboard


@bp.route("/g/<slug>/care/fairness")
def fairness(slug):
    group = _group(slug)
    roles = _roles(group)
    data = queries.fairness(group, with_matrix=roles["can_facilitate"])
    bar_chart = line_chart = None
    if data is not None:
        bar_chart = charts.bars(data.rows)
        line_chart = charts.line(data.history, data.bound, data.w_max)
    return render_template("labour/fairness.html", group=group, data=data, bar_chart=bar_chart,
                           line_chart=line_chart, **roles)


# ---------------------------------------------------------------- tasks


def _task_draft(form) -> services.TaskDraft:
    return services.TaskDraft(
        name=form.name.data or "", description=form.description.data or "", category=form.category.data,
        effort=form.effort.data, recurrence=form.recurrence.data, people_needed=form.people_needed.data,
        active=form.active.data,
    )


def _tasks_page(group, form=None, status=200):
    return render_template("labour/tasks.html", group=group, rota=services.rota_of(group),
                           tasks=services.tasks_of(group), form=form or TaskForm(formdata=None),
                           **_roles(group)), status


@bp.route("/g/<slug>/care/tasks")
def tasks(slug):
    return _tasks_page(_group(slug))


@bp.route("/g/<slug>/care/tasks", methods=["POST"])
@login_required
def new_task(slug):
    group = _group(slug)
    if not policy.can_facilitate(current_user, group):
        abort(403)
    form = TaskForm()
    if form.validate_on_submit():
        try:
            task = services.save_task(me(), group, _task_draft(form))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("%(name)s is on the list. The rota ahead includes it.", name=task.name), "success")
            return redirect(url_for("labour.tasks", slug=group.slug))
    return _tasks_page(group, form, REFUSED)


@bp.route("/g/<slug>/care/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def edit_task(slug, task_id):
    group = _group(slug)
    if not policy.can_facilitate(current_user, group):
        abort(403)
    task = queries.task_in(group, task_id)
    form = TaskForm(obj=task)
    if form.validate_on_submit():
        try:
            services.save_task(me(), group, _task_draft(form), task)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Saved. Changes count from now on; past weeks keep what they were."), "success")
            return redirect(url_for("labour.tasks", slug=group.slug))
    return render_template("labour/task_form.html", group=group, task=task, form=form,
                           **_roles(group)), REFUSED if form.errors else 200


# ---------------------------------------------------------------- the calendar


@bp.route("/g/<slug>/care/calendar")
@login_required
def calendar_settings(slug):
    group = _group(slug)
    token = calendar.calendar_token(me())
    feed_url = url_for("labour.feed", token=token, _external=True) if token else None
    response = Response(render_template("labour/calendar.html", group=group, feed_url=feed_url, **_roles(group)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/g/<slug>/care/calendar/reset", methods=["POST"])
@login_required
def reset_calendar(slug):
    group = _group(slug)
    had = calendar.calendar_token(me()) is not None
    calendar.reset_token(me())
    flash(_("A new link is made; the old one no longer works.") if had else
          _("Your calendar link is ready. Add it to your calendar app as a subscription."), "success")
    return redirect(url_for("labour.calendar_settings", slug=group.slug))


@bp.route("/care/calendar/<token>.ics")
def feed(token):
    user = calendar.owner_of(token)
    response = Response(calendar.feed(user), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="care-work.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    return response
