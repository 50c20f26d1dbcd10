"""Writing: a preview of a thread, reply or document before it is saved, and @mention suggestions.

A preview is rendered exactly as saving renders (`groups.mentions.render_in`: the one markdown
renderer and sanitiser, @handles of current members linked) and is bounded like saving
(`check_text`), but nothing is written. The Preview button posts the form it sits in to these
routes: without JavaScript the same page comes back with the preview above the fields and the
text kept; htmx gets only the `preview` block of `archive/preview.html`.

Who may preview is who may save: the same loaders (Missing → 404) and the same `policy` checks.
"""
import re
from dataclasses import dataclass

from flask import g, render_template, request
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from app.archive import comments, contexts, documents, policy, threads
from app.archive.forms import CommentEditForm, CommentForm, DocumentForm, ThreadForm
from app.archive.routes.common import THREAD_PAGE, bp, group_of_page
from app.core.errors import Missing, Refused, require
from app.core.extensions import htmx
from app.core.forms import MAX_ROW_ID
from app.core.text import check_text
from app.groups import queries as group_queries
from app.groups.mentions import render_in

PREVIEW_BLOCK = "archive/preview.html"
BODY_REGION = "preview-body"  # the preview region of the thread, document and comment forms
MENTION_LIMIT = 8
# What may follow an `@` and be completed: the characters of a handle (app.core.markdown.MENTION).
MENTION_PREFIX = re.compile(r"[A-Za-z0-9가-힣]{1,30}")


@dataclass
class Preview:
    html: Markup | None  # the text as it will look once saved
    problem: str | None  # why it can't be shown (too long), in the words saving would use
    files_dropped: bool  # files were chosen: a preview doesn't keep them

    def __bool__(self) -> bool:
        return True


def preview_of(group, text: str | None) -> Preview:
    """The text rendered as saving would render it in this group; nothing is stored."""
    dropped = any(f.filename for f in request.files.getlist("files"))
    try:
        text = check_text(text, required=False)
    except Refused as refusal:
        return Preview(None, str(refusal.message), dropped)
    html, _mentioned = render_in(group, text)
    return Preview(Markup(html), None, dropped)


def preview_block(preview: Preview, region_id: str, level: int = 2) -> str:
    """What htmx swaps into the preview region."""
    return render_block(PREVIEW_BLOCK, "preview", preview=preview, region_id=region_id, level=level)


def _answer(template: str, preview: Preview, region_id: str, **page):
    """htmx: the preview region's contents; otherwise the whole form page, the preview filled in."""
    if htmx:
        return preview_block(preview, region_id)
    return render_template(template, preview=preview, **page)


@bp.route("/g/<slug>/threads/new/preview", methods=["POST"])
@login_required
def preview_new_thread(slug):
    group = group_of_page(slug)
    require(policy.can_post(current_user, group))
    form = ThreadForm()
    return _answer("archive/thread_form.html", preview_of(group, form.body.data), BODY_REGION, group=group, form=form)


@bp.route("/t/<int:thread_id>/edit/preview", methods=["POST"])
@login_required
def preview_thread_edit(thread_id):
    thread = threads.live_thread_for(current_user, thread_id)
    require(policy.can_edit(current_user, thread))
    g.group = thread.group
    form = ThreadForm()
    return _answer("archive/thread_form.html", preview_of(thread.group, form.body.data), BODY_REGION,
                   group=thread.group, form=form, thread=thread)


@bp.route("/g/<slug>/docs/new/preview", methods=["POST"])
@login_required
def preview_new_document(slug):
    group = group_of_page(slug)
    require(policy.can_post(current_user, group))
    form = DocumentForm()
    return _answer("archive/document_form.html", preview_of(group, form.body.data), BODY_REGION,
                   group=group, form=form)


@bp.route("/d/<int:document_id>/edit/preview", methods=["POST"])
@login_required
def preview_document_edit(document_id):
    document = documents.document_for(current_user, document_id)
    require(policy.can_edit(current_user, document))
    g.group = document.group
    form = DocumentForm()
    return _answer("archive/document_form.html", preview_of(document.group, form.body.data), BODY_REGION,
                   group=document.group, form=form, document=document)


@bp.route("/c/<int:comment_id>/edit/preview", methods=["POST"])
@login_required
def preview_comment_edit(comment_id):
    comment = comments.comment_for(current_user, comment_id)
    require(policy.can_edit(current_user, comment))
    g.group = comment.thread.group
    form = CommentEditForm()
    return _answer("archive/comment_form.html", preview_of(comment.thread.group, form.body.data), BODY_REGION,
                   group=comment.thread.group, form=form, comment=comment)


@bp.route("/t/<int:thread_id>/comments/preview", methods=["POST"])
@login_required
def preview_reply(thread_id):
    """A reply's preview; without JavaScript the thread page again, the reply box filled in and previewed."""
    thread = threads.live_thread_for(current_user, thread_id)
    require(policy.can_comment(current_user, thread))
    g.group = thread.group
    form = CommentForm()
    parent_id = _reply_parent(thread, form)
    preview = preview_of(thread.group, form.body.data)
    if htmx:
        return preview_block(preview, reply_region(parent_id), level=3)
    page = contexts.thread_page_context(current_user, thread, form, show=parent_id, reply_to=parent_id)
    return render_template(THREAD_PAGE, **page, preview=preview, preview_for=parent_id)


def reply_region(parent_id: int | None) -> str:
    """The id of a reply box's preview region (app/templates/archive/_comment.html uses it too)."""
    return f"preview-reply-{parent_id or 'top'}"


def _reply_parent(thread, form) -> int | None:
    """The comment being answered, if it is a comment of this thread that can still be answered;
    otherwise the preview is of a reply to the thread (saving would say what is wrong)."""
    parent_id = form.parent_id.data
    if not isinstance(parent_id, int) or not 1 <= parent_id <= MAX_ROW_ID:
        return None
    try:
        parent = comments.comment_for(current_user, parent_id)
    except Missing:
        return None
    return parent_id if parent.thread_id == thread.id and parent.deleted_at is None else None


@bp.route("/g/<slug>/mentions")
@login_required
def mention_suggestions(slug):
    """Up to eight current members of the group whose handle or name starts with `q`, as a
    listbox fragment for app/static/js/compose.js. Only for people who may post here (others
    get 404, as for a group they can't see); one query, nothing for anything but a handle's
    characters."""
    group = group_of_page(slug)
    if not policy.can_post(current_user, group):
        raise Missing()
    prefix = request.args.get("q", "")
    people = []
    if MENTION_PREFIX.fullmatch(prefix):
        people = group_queries.members_starting_with(group, prefix, MENTION_LIMIT, leave_out=current_user.id)
    response = render_template("archive/_mentions.html", people=people)
    return response, 200, {"Cache-Control": "private, max-age=30"}
