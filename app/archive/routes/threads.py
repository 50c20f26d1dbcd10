"""Thread pages: the list, starting, reading, editing, closing, pinning, deleting, history."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.archive import attachments, policy, read_state, tags, threads
from app.archive.forms import ThreadForm
from app.archive.routes.common import bp, form_status, group_of_page, thread_page, thread_url
from app.core.errors import Refused, require, show_on_form
from app.core.revisions import show_history
from app.core.submissions import once
from app.groups import policy as group_policy
from app.groups import queries as group_queries


@bp.route("/g/<slug>/threads", endpoint="threads")
def list_threads(slug):
    group = group_of_page(slug)
    # Bounded: a page past any real list is empty, and the offset must fit the database's integers.
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    tag = request.args.get("tag") or None
    author = request.args.get("author", type=int)
    rows, more = threads.thread_list(current_user, group, tag=tag, author_id=author, page=page)
    return render_template(
        "archive/threads.html", group=group, rows=rows, more=more, page=page, tag=tag, author=author,
        tags=tags.group_tags(group), people=group_queries.current_members(group),
        can_post=policy.can_post(current_user, group), can_admin=group_policy.can_admin(current_user, group),
    )


@bp.route("/g/<slug>/threads/new", methods=["GET", "POST"])
@login_required
@once
def new_thread(slug):
    group = group_of_page(slug)
    require(policy.can_post(current_user, group))
    form = ThreadForm()
    if form.validate_on_submit():
        try:
            thread = attachments.start_thread_with_files(
                current_user, group, form.title.data, form.body.data, tags.parse_tags(form.tags.data),
                request.files.getlist("files"),
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(thread_url(thread))
    return render_template("archive/thread_form.html", group=group, form=form), form_status(form)


@bp.route("/g/<slug>/threads/read-all", methods=["POST"])
@login_required
def read_all(slug):
    group = group_of_page(slug)
    require(policy.can_post(current_user, group))
    read_state.mark_all_read(current_user, group)
    flash(_("Every thread is marked read."), "success")
    return redirect(url_for("archive.threads", slug=group.slug))




@bp.route("/t/<int:thread_id>")
def thread(thread_id):
    thread = threads.live_thread_for(current_user, thread_id)
    g.group = thread.group
    # Render before marking the visit: its commit expires every loaded row, and the page would
    # then reload each comment and author one query at a time.
    page = thread_page(thread)
    read_state.visit(current_user, thread)
    return page


@bp.route("/t/<int:thread_id>/edit", methods=["GET", "POST"])
@login_required
def edit_thread(thread_id):
    thread = threads.live_thread_for(current_user, thread_id)
    require(policy.can_edit(current_user, thread))
    form = ThreadForm(obj=thread)
    if request.method == "GET":
        form.body.data = thread.body_md
    if form.validate_on_submit():
        try:
            attachments.edit_thread_with_files(current_user, thread, form.title.data, form.body.data,
                                               tags.parse_tags(form.tags.data), request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(thread_url(thread))
    return render_template("archive/thread_form.html", group=thread.group, form=form, thread=thread), form_status(form)


def _thread_action(thread_id, may, change, message):
    thread = threads.live_thread_for(current_user, thread_id)
    require(may(current_user, thread))
    change(current_user, thread)
    flash(message, "success")
    return redirect(thread_url(thread))


@bp.route("/t/<int:thread_id>/close", methods=["POST"])
@login_required
def close_thread(thread_id):
    return _thread_action(thread_id, policy.can_close, lambda user, t: threads.set_closed(user, t, True),
                          _("The thread is closed."))


@bp.route("/t/<int:thread_id>/reopen", methods=["POST"])
@login_required
def reopen_thread(thread_id):
    return _thread_action(thread_id, policy.can_close, lambda user, t: threads.set_closed(user, t, False),
                          _("The thread is open again."))


@bp.route("/t/<int:thread_id>/pin", methods=["POST"])
@login_required
def pin_thread(thread_id):
    return _thread_action(thread_id, policy.can_pin, lambda user, t: threads.set_pinned(user, t, True),
                          _("The thread is pinned."))


@bp.route("/t/<int:thread_id>/unpin", methods=["POST"])
@login_required
def unpin_thread(thread_id):
    return _thread_action(thread_id, policy.can_pin, lambda user, t: threads.set_pinned(user, t, False),
                          _("The thread is unpinned."))


@bp.route("/t/<int:thread_id>/delete", methods=["POST"])
@login_required
def delete_thread(thread_id):
    thread = threads.live_thread_for(current_user, thread_id)
    require(policy.can_delete(current_user, thread))
    threads.delete_thread(current_user, thread)
    flash(_("The thread is deleted."), "success")
    return redirect(url_for("archive.threads", slug=thread.group.slug))


@bp.route("/t/<int:thread_id>/history")
def thread_history(thread_id):
    thread = threads.live_thread_for(current_user, thread_id)
    return show_history(thread, thread.group, thread_url(thread), thread.title)
