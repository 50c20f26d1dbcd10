"""The care tasks: everyone reads the list; facilitators add and edit them."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.core.errors import Refused, require, show_on_form
from app.core.submissions import once
from app.labour import periods, policy
from app.labour.forms import TaskForm
from app.labour.routes.common import REFUSED, bp, group_for, me, roles
from app.labour.tasks import TaskDraft, save_task, task_in


def _draft(form) -> TaskDraft:
    return TaskDraft(
        name=form.name.data or "", description=form.description.data or "", category=form.category.data,
        effort=form.effort.data, recurrence=form.recurrence.data, people_needed=form.people_needed.data,
        active=form.active.data,
    )


def _tasks_page(group, form=None, status=200):
    return render_template("labour/tasks.html", group=group, rota=periods.rota_of(group),
                           tasks=periods.tasks_of(group), form=form or TaskForm(formdata=None),
                           **roles(group)), status


@bp.route("/g/<slug>/care/tasks")
def tasks(slug):
    return _tasks_page(group_for(slug))


@bp.route("/g/<slug>/care/tasks", methods=["POST"])
@login_required
@once
def new_task(slug):
    group = group_for(slug)
    require(policy.can_plan(me(), group))
    form = TaskForm()
    if form.validate_on_submit():
        try:
            task = save_task(me(), group, _draft(form))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("%(name)s is on the list. The rota ahead includes it.", name=task.name), "success")
            return redirect(url_for("labour.tasks", slug=group.slug))
    return _tasks_page(group, form, REFUSED)


@bp.route("/g/<slug>/care/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def edit_task(slug, task_id):
    group = group_for(slug)
    require(policy.can_plan(me(), group))
    task = task_in(group, task_id)
    form = TaskForm(obj=task)
    if form.validate_on_submit():
        try:
            save_task(me(), group, _draft(form), task)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Saved. Changes count from now on; past weeks keep what they were."), "success")
            return redirect(url_for("labour.tasks", slug=group.slug))
    return render_template("labour/task_form.html", group=group, task=task, form=form,
                           **roles(group)), REFUSED if form.errors else 200
