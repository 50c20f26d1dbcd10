from flask import (
    Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, stream_with_context, url_for,
)
from flask_babel import format_decimal, gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from sqlalchemy.exc import DataError
from wtforms import SelectChoice

from app.archive import export, files, policy, services
from app.archive.forms import CommentEditForm, CommentForm, DocumentForm, ReactionForm, ThreadForm, TimelineForm
from app.core.errors import Refused, show_on_form
from app.core.forms import day_start
from app.core.revisions import show_history
from app.core.slots import Slot
from app.core.extensions import db, htmx
from app.groups import queries as group_queries
from app.groups import services as groups
from app.core.security import render_error


bp = Blueprint("archive", __name__)

# The proposals made in a thread, shown at its top. Decisions owns proposals; app.web fills this.
proposals_in_thread = Slot("archive.proposals_in_thread", default=lambda thread: [])


def _group(slug):
    g.group = groups.group_for(current_user, slug)
    return g.group


def _status(form) -> int:
    return 422 if form.errors else 200


def _live_thread(thread_id):
    """A thread this person may read that is not deleted: a deleted one is gone from the pages (404)."""
    thread = services.thread_for(current_user, thread_id)
    if thread.deleted_at is not None:
        abort(404)
    return thread


@bp.errorhandler(OverflowError)
@bp.errorhandler(DataError)
def _number_too_large(error):
    """An id past what the database can hold names nothing here: 404, not 500.

    SQLite can't bind it (OverflowError); PostgreSQL refuses it, "integer out of range" (22003).
    """
    if isinstance(error, DataError) and getattr(error.orig, "sqlstate", None) != "22003":
        raise error
    db.session.rollback()  # PostgreSQL's transaction is aborted; the error page still reads
    return render_error(404)


def _thread_url(thread, comment_id=None) -> str:
    if comment_id is None:
        return url_for("archive.thread", thread_id=thread.id)
    return url_for("archive.thread", thread_id=thread.id, show=comment_id, _anchor=f"comment-{comment_id}")


# ---------------------------------------------------------------- threads


@bp.route("/g/<slug>/threads")
def threads(slug):
    group = _group(slug)
    # Bounded: a page past any real list is empty, and the offset must fit the database's integers.
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    tag = request.args.get("tag") or None
    author = request.args.get("author", type=int)
    rows, more = services.thread_list(current_user, group, tag=tag, author_id=author, page=page)
    return render_template(
        "archive/threads.html", group=group, rows=rows, more=more, page=page, tag=tag, author=author,
        tags=services.group_tags(group), people=group_queries.current_members(group),
        can_post=policy.can_post(current_user, group), can_admin=groups.policy.can_admin(current_user, group),
    )


@bp.route("/g/<slug>/threads/new", methods=["GET", "POST"])
@login_required
def new_thread(slug):
    group = _group(slug)
    if not policy.can_post(current_user, group):
        abort(403)
    form = ThreadForm()
    if form.validate_on_submit():
        try:
            thread = services.start_thread_with_files(
                current_user, group, form.title.data, form.body.data, services.parse_tags(form.tags.data),
                request.files.getlist("files"),
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(_thread_url(thread))
    return render_template("archive/thread_form.html", group=group, form=form), _status(form)


@bp.route("/g/<slug>/threads/read-all", methods=["POST"])
@login_required
def read_all(slug):
    group = _group(slug)
    services.mark_all_read(current_user, group)
    flash(_("Every thread is marked read."), "success")
    return redirect(url_for("archive.threads", slug=group.slug))


def _thread_context(thread, form=None):
    """Everything the thread page shows, in a fixed number of queries."""
    comments = services.thread_comments(thread)
    seen = services.last_seen(current_user, thread)
    roots = services.comment_tree(comments, seen)
    first_unread = next((c.id for c in comments if seen is not None and c.id > seen and c.deleted_at is None), None)
    expanded = services.unfolded(comments, request.args.get("show", type=int), request.args.get("expand", type=int),
                                 first_unread)
    reactions = services.reactions_for("comment", [c.id for c in comments], current_user)
    reactions.update({-1: services.reactions_for("thread", [thread.id], current_user).get(thread.id, {})})
    member = policy.can_post(current_user, thread.group)
    return dict(
        thread=thread,
        group=thread.group,
        proposals=proposals_in_thread(thread),
        roots=roots,
        expanded=expanded,
        reactions=reactions,
        attachments=services.attachments_for({"thread": [thread.id], "comment": [c.id for c in comments]}),
        first_unread=first_unread,
        reply_to=request.args.get("reply_to", type=int),
        form=form or CommentForm(formdata=None),
        can_post=member and not thread.closed and thread.deleted_at is None,
        can_react=member,
        can_edit=policy.can_edit(current_user, thread),
        can_close=policy.can_close(current_user, thread),
        can_moderate=policy.can_moderate(current_user, thread.group),
        can_delete=policy.can_delete(current_user, thread),
        me_id=getattr(current_user, "id", None),
        is_admin=groups.policy.can_admin(current_user, thread.group),
    )


@bp.route("/t/<int:thread_id>")
def thread(thread_id):
    thread = services.thread_for(current_user, thread_id)
    g.group = thread.group
    if thread.deleted_at is not None:
        abort(404)
    context = _thread_context(thread)
    # Render before marking the visit: its commit expires every loaded row, and the page would
    # then reload each comment and author one query at a time.
    page = render_template("archive/thread.html", **context)
    services.visit(current_user, thread)
    return page


@bp.route("/t/<int:thread_id>/edit", methods=["GET", "POST"])
@login_required
def edit_thread(thread_id):
    thread = _live_thread(thread_id)
    if not policy.can_edit(current_user, thread):
        abort(403)
    form = ThreadForm(obj=thread)
    if request.method == "GET":
        form.body.data = thread.body_md
    if form.validate_on_submit():
        try:
            services.edit_thread_with_files(current_user, thread, form.title.data, form.body.data,
                                            services.parse_tags(form.tags.data), request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(_thread_url(thread))
    return render_template("archive/thread_form.html", group=thread.group, form=form, thread=thread), _status(form)


def _thread_action(thread_id, change, message):
    thread = _live_thread(thread_id)
    change(thread)
    flash(message, "success")
    return redirect(_thread_url(thread))


@bp.route("/t/<int:thread_id>/close", methods=["POST"])
@login_required
def close_thread(thread_id):
    return _thread_action(thread_id, lambda t: services.set_closed(current_user, t, True), _("The thread is closed."))


@bp.route("/t/<int:thread_id>/reopen", methods=["POST"])
@login_required
def reopen_thread(thread_id):
    return _thread_action(thread_id, lambda t: services.set_closed(current_user, t, False), _("The thread is open again."))


@bp.route("/t/<int:thread_id>/pin", methods=["POST"])
@login_required
def pin_thread(thread_id):
    return _thread_action(thread_id, lambda t: services.set_pinned(current_user, t, True), _("The thread is pinned."))


@bp.route("/t/<int:thread_id>/unpin", methods=["POST"])
@login_required
def unpin_thread(thread_id):
    return _thread_action(thread_id, lambda t: services.set_pinned(current_user, t, False), _("The thread is unpinned."))


@bp.route("/t/<int:thread_id>/delete", methods=["POST"])
@login_required
def delete_thread(thread_id):
    thread = _live_thread(thread_id)
    services.delete_thread(current_user, thread)
    flash(_("The thread is deleted."), "success")
    return redirect(url_for("archive.threads", slug=thread.group.slug))


# ---------------------------------------------------------------- comments


@bp.route("/t/<int:thread_id>/comments", methods=["POST"])
@login_required
def add_comment(thread_id):
    thread = services.thread_for(current_user, thread_id)
    g.group = thread.group
    form = CommentForm()
    if form.validate_on_submit():
        try:
            comment = services.add_comment_with_files(current_user, thread, form.body.data, form.parent_id.data,
                                                      request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            if htmx:
                return _new_comment_fragment(thread, comment)
            return redirect(_thread_url(thread, comment.id))
    if htmx:
        return render_block("archive/fragments.html", "reply_form", thread=thread, form=form,
                            parent_id=form.parent_id.data), 422
    return render_template("archive/thread.html", **_thread_context(thread, form)), 422


def _new_comment_fragment(thread, comment):
    """The empty reply box where the form was, and the new comment added to its list out of band."""
    context = _thread_context(thread)
    node, holder = services.find_node(context["roots"], comment.id)
    context.update(node=node, list_id=f"replies-{holder.comment.id}" if holder else "comments",
                   parent_id=comment.parent_id, form=CommentForm(formdata=None))
    return render_block("archive/fragments.html", "new_comment", **context)


@bp.route("/c/<int:comment_id>/reply-form")
@login_required
def reply_form(comment_id):
    comment = services.comment_for(current_user, comment_id)
    if not policy.can_post(current_user, comment.thread.group):
        abort(403)
    if not htmx:
        return redirect(url_for("archive.thread", thread_id=comment.thread_id, reply_to=comment.id,
                                show=comment.id, _anchor=f"reply-{comment.id}"))
    return render_block("archive/fragments.html", "reply_form", thread=comment.thread,
                        form=CommentForm(formdata=None), parent_id=comment.id)


@bp.route("/c/<int:comment_id>/replies")
def replies(comment_id):
    """All replies under a folded comment: in place with htmx, else the thread unfolded there."""
    comment = services.comment_for(current_user, comment_id)
    if not htmx:
        return redirect(url_for("archive.thread", thread_id=comment.thread_id, expand=comment.id,
                                _anchor=f"comment-{comment.id}"))
    context = _thread_context(comment.thread)
    node, _holder = services.find_node(context["roots"], comment.id)
    if node is None:
        abort(404)
    context["expanded"] = context["expanded"] | {comment.id}
    return render_block("archive/fragments.html", "replies", node=node, **context)


@bp.route("/c/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id):
    comment = services.comment_for(current_user, comment_id)
    if not policy.can_edit(current_user, comment):
        abort(403)
    form = CommentEditForm(obj=comment)
    if request.method == "GET":
        form.body.data = comment.body_md
    if form.validate_on_submit():
        try:
            services.edit_comment(current_user, comment, form.body.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(_thread_url(comment.thread, comment.id))
    return render_template("archive/comment_form.html", comment=comment, group=comment.thread.group,
                           form=form), _status(form)


@bp.route("/c/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete_comment(comment_id):
    comment = services.comment_for(current_user, comment_id)
    services.delete_comment(current_user, comment)
    flash(_("The comment is deleted."), "success")
    return redirect(_thread_url(comment.thread))


# ---------------------------------------------------------------- reactions


@bp.route("/react/<any(thread, comment):target_type>/<int:target_id>", methods=["POST"])
@login_required
def react(target_type, target_id):
    if target_type == "comment":
        target = services.comment_for(current_user, target_id)
        thread = target.thread
    else:
        target = thread = services.thread_for(current_user, target_id)
    form = ReactionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.toggle_reaction(current_user, target, form.kind.data)
    except Refused as refusal:
        flash(str(refusal.message), "error")
    key = target.id if target_type == "comment" else -1
    if htmx:
        counts = services.reactions_for(target_type, [target.id], current_user).get(target.id, {})
        return render_block("archive/fragments.html", "reactions", target_type=target_type, target=target,
                            counts=counts, can_react=True, key=key)
    anchor = f"comment-{target.id}" if target_type == "comment" else "top"
    return redirect(url_for("archive.thread", thread_id=thread.id, _anchor=anchor))


# ---------------------------------------------------------------- history


@bp.route("/t/<int:thread_id>/history")
def thread_history(thread_id):
    thread = services.thread_for(current_user, thread_id)
    if thread.deleted_at is not None:
        abort(404)
    return show_history(thread, thread.group, _thread_url(thread), thread.title)


@bp.route("/c/<int:comment_id>/history")
def comment_history(comment_id):
    comment = services.comment_for(current_user, comment_id)
    if comment.deleted_at is not None:
        abort(404)
    return show_history(comment, comment.thread.group, _thread_url(comment.thread, comment.id), comment.thread.title)


@bp.route("/d/<int:document_id>/history")
def document_history(document_id):
    document = services.document_for(current_user, document_id)
    return show_history(document, document.group, url_for("archive.document", document_id=document.id), document.title)


# ---------------------------------------------------------------- documents


@bp.route("/g/<slug>/docs")
def documents(slug):
    group = _group(slug)
    tag = request.args.get("tag") or None
    docs = services.document_list(group, tag=tag)
    return render_template("archive/documents.html", group=group, documents=docs, tag=tag,
                           tags=services.group_tags(group), can_post=policy.can_post(current_user, group),
                           can_admin=groups.policy.can_admin(current_user, group))


@bp.route("/g/<slug>/docs/new", methods=["GET", "POST"])
@login_required
def new_document(slug):
    group = _group(slug)
    if not policy.can_post(current_user, group):
        abort(403)
    form = DocumentForm()
    if request.method == "GET":
        form.folder.data = request.args.get("folder", "")
    if form.validate_on_submit():
        try:
            document = services.write_document_with_files(current_user, group, form.title.data, form.body.data,
                                                           form.folder.data, services.parse_tags(form.tags.data),
                                                           request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(url_for("archive.document", document_id=document.id))
    return render_template("archive/document_form.html", group=group, form=form), _status(form)


@bp.route("/d/<int:document_id>")
def document(document_id):
    document = services.document_for(current_user, document_id)
    g.group = document.group
    return render_template(
        "archive/document.html", document=document, group=document.group,
        can_edit=policy.can_edit(current_user, document), can_delete=policy.can_delete(current_user, document),
        can_admin=groups.policy.can_admin(current_user, document.group),
        attachments=services.attachments_for({"document": [document.id]}).get(("document", document.id), []),
        me_id=getattr(current_user, "id", None) if policy.can_post(current_user, document.group) else None,
    )


@bp.route("/d/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit_document(document_id):
    document = services.document_for(current_user, document_id)
    if not policy.can_edit(current_user, document):
        abort(403)
    form = DocumentForm(obj=document)
    if request.method == "GET":
        form.body.data = document.body_md
    if form.validate_on_submit():
        try:
            services.edit_document_with_files(current_user, document, form.title.data, form.body.data,
                                              form.folder.data, services.parse_tags(form.tags.data),
                                              request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(url_for("archive.document", document_id=document.id))
    return render_template("archive/document_form.html", group=document.group, form=form,
                           document=document), _status(form)


@bp.route("/d/<int:document_id>/delete", methods=["POST"])
@login_required
def delete_document(document_id):
    document = services.document_for(current_user, document_id)
    services.delete_document(current_user, document)
    flash(_("The document is deleted. Its history stays in the archive."), "success")
    return redirect(url_for("archive.documents", slug=document.group.slug))


# ---------------------------------------------------------------- timeline


@bp.route("/g/<slug>/timeline")
def timeline(slug):
    group = _group(slug)
    form = TimelineForm(request.args)
    people = group_queries.current_members(group)
    form.person.choices = [SelectChoice("", _("Anyone"))] + [SelectChoice(m.user_id, m.user.display_name) for m in people]
    where = services.TimelineFilter()
    if form.validate():
        since = day_start(form.since) if form.since.data else None
        until = day_start(form.until, 1) if form.until.data else None
        if not form.errors:
            where = services.TimelineFilter(
                category=form.kind.data or None,
                person_id=form.person.data,
                tag=(form.tag.data or "").strip().lstrip("#") or None,
                since=since,
                until=until,
            )
    before = request.args.get("before", type=int)
    readable = set(groups.policy.readable_among(current_user, group.working_groups))
    where.hidden_groups = tuple(wg.id for wg in group.working_groups if wg not in readable)
    events = services.timeline([group.id], limit=PER_TIMELINE_PAGE + 1, before_id=before, where=where)
    more = len(events) > PER_TIMELINE_PAGE
    events = events[:PER_TIMELINE_PAGE]
    older = None
    if more:
        args = request.args.to_dict()
        args["before"] = events[-1].id
        older = url_for("archive.timeline", slug=group.slug, **args)
    return render_template("archive/timeline.html", group=group, form=form, events=events, older=older,
                           can_admin=groups.policy.can_admin(current_user, group)), 200 if not form.errors else 422


PER_TIMELINE_PAGE = 40


# ---------------------------------------------------------------- attachments


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    number, unit = files.human_size(size)
    return f"{format_decimal(number)} {unit}"


@bp.route("/files/<int:attachment_id>/<path:filename>")
def attachment(attachment_id, filename):
    """A file, after the permission check. Only safe images show in the browser; the rest download.

    The name in the address is for people; the id decides which file it is.
    """
    attachment, _target = services.attachment_for(current_user, attachment_id)
    path = files.path_for(attachment.sha256)
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype=attachment.content_type, as_attachment=attachment.content_type not in files.INLINE_TYPES,
        download_name=attachment.filename, conditional=True, etag=attachment.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, a file is a page of its own: no scripts, no plugins, no same-origin rights.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.cache_control.private = True
    return response


@bp.route("/attachments/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove_attachment(attachment_id):
    attachment, target = services.attachment_for(current_user, attachment_id)
    services.remove_attachment(current_user, attachment)
    flash(_("The file %(name)s is removed.", name=attachment.filename), "success")
    if attachment.target_type == "document":
        return redirect(url_for("archive.document", document_id=target.id))
    if attachment.target_type == "comment":
        return redirect(_thread_url(target.thread, target.id))
    return redirect(_thread_url(target))


# ---------------------------------------------------------------- export


@bp.route("/g/<slug>/export", methods=["POST"])
@login_required
def export_archive(slug):
    """The group's whole archive as a zip, written while it downloads (never whole in memory).

    Only a POST from the settings page's form (with its CSRF token) builds it: a GET would let an
    `<img src=".../export">` in a post make every admin who reads it build a full export.
    """
    group = _group(slug)
    if not policy.can_export(current_user, group):
        abort(403)
    response = Response(stream_with_context(export.stream(group)), mimetype="application/zip")
    response.headers.set("Content-Disposition", "attachment", filename=export.archive_name(group))
    response.headers["Cache-Control"] = "no-store"
    return response
