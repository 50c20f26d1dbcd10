"""Comments and reactions: posting, replying, unfolding, editing, deleting; htmx gets a block of the thread page."""
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from app.archive import attachments, comments, contexts, policy, reactions, threads
from app.archive.forms import CommentEditForm, CommentForm, ReactionForm
from app.archive.routes.common import THREAD_PAGE, bp, form_status, thread_page, thread_url
from app.core.errors import Missing, Refused, require, show_on_form
from app.core.extensions import htmx
from app.core.revisions import show_history
from app.core.submissions import once


@bp.route("/t/<int:thread_id>/comments", methods=["POST"])
@login_required
@once
def add_comment(thread_id):
    thread = threads.thread_for(current_user, thread_id)
    g.group = thread.group
    require(policy.can_post(current_user, thread.group))
    form = CommentForm()
    if form.validate_on_submit():
        try:
            comment = attachments.add_comment_with_files(current_user, thread, form.body.data, form.parent_id.data,
                                                         request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            if htmx:
                posted = contexts.new_comment_context(current_user, thread, comment)
                return render_block(THREAD_PAGE, "reply_form", **posted)
            return redirect(thread_url(thread, comment.id))
    if htmx:
        refused = contexts.reply_form_context(thread, form, form.parent_id.data)
        return render_block(THREAD_PAGE, "reply_form", **refused), 422
    return thread_page(thread, form), 422


@bp.route("/c/<int:comment_id>/reply-form")
@login_required
def reply_form(comment_id):
    comment = comments.comment_for(current_user, comment_id)
    require(policy.can_post(current_user, comment.thread.group))
    if not htmx:
        return redirect(url_for("archive.thread", thread_id=comment.thread_id, reply_to=comment.id,
                                show=comment.id, _anchor=f"reply-{comment.id}"))
    return render_block(THREAD_PAGE, "reply_form", **contexts.reply_form_context(comment.thread, None, comment.id))


@bp.route("/c/<int:comment_id>/replies")
def replies(comment_id):
    """All replies under a folded comment: in place with htmx, else the thread unfolded there."""
    comment = comments.comment_for(current_user, comment_id)
    if not htmx:
        return redirect(url_for("archive.thread", thread_id=comment.thread_id, expand=comment.id,
                                _anchor=f"comment-{comment.id}"))
    return render_block(THREAD_PAGE, "replies", **contexts.replies_context(current_user, comment))


@bp.route("/c/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id):
    comment = comments.comment_for(current_user, comment_id)
    require(policy.can_edit(current_user, comment))
    form = CommentEditForm(obj=comment)
    if request.method == "GET":
        form.body.data = comment.body_md
    if form.validate_on_submit():
        try:
            comments.edit_comment(current_user, comment, form.body.data)
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(thread_url(comment.thread, comment.id))
    return render_template("archive/comment_form.html", comment=comment, group=comment.thread.group,
                           form=form), form_status(form)


@bp.route("/c/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete_comment(comment_id):
    comment = comments.comment_for(current_user, comment_id)
    require(policy.can_delete(current_user, comment))
    comments.delete_comment(current_user, comment)
    flash(_("The comment is deleted."), "success")
    return redirect(thread_url(comment.thread))


@bp.route("/c/<int:comment_id>/history")
def comment_history(comment_id):
    comment = comments.comment_for(current_user, comment_id)
    if comment.deleted_at is not None:
        raise Missing()
    return show_history(comment, comment.thread.group, thread_url(comment.thread, comment.id), comment.thread.title)


@bp.route("/react/<any(thread, comment):target_type>/<int:target_id>", methods=["POST"])
@login_required
def react(target_type, target_id):
    if target_type == "comment":
        target = comments.comment_for(current_user, target_id)
        thread = target.thread
    else:
        target = thread = threads.thread_for(current_user, target_id)
    require(policy.can_post(current_user, thread.group))
    form = ReactionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        reactions.toggle_reaction(current_user, target, form.kind.data)
    except Refused as refusal:
        flash(str(refusal.message), "error")
    if htmx:
        return render_block(THREAD_PAGE, "reactions", **contexts.reactions_context(current_user, target_type, target))
    anchor = f"comment-{target.id}" if target_type == "comment" else "top"
    return redirect(url_for("archive.thread", thread_id=thread.id, _anchor=anchor))
