"""What the archive's pages share: the blueprint, the group a page is about, links to a thread, the thread page."""
from flask import Blueprint, g, render_template, request, url_for
from flask_login import current_user

from app.archive import contexts
from app.groups import services as groups

bp = Blueprint("archive", __name__)

THREAD_PAGE = "archive/thread.html"  # its blocks `reactions`, `reply_form` and `replies` are htmx's fragments


def group_of_page(slug):
    """The group named in the address, if this person may read it (else Missing)."""
    g.group = groups.group_for(current_user, slug)
    return g.group


def form_status(form) -> int:
    return 422 if form.errors else 200


def thread_url(thread, comment_id=None) -> str:
    if comment_id is None:
        return url_for("archive.thread", thread_id=thread.id)
    return url_for("archive.thread", thread_id=thread.id, show=comment_id, _anchor=f"comment-{comment_id}")


def thread_page(thread, form=None) -> str:
    """The whole thread page; the address may ask to show a comment, unfold one, or reply to one."""
    return render_template(THREAD_PAGE, **contexts.thread_page_context(
        current_user, thread, form, show=request.args.get("show", type=int),
        expand=request.args.get("expand", type=int), reply_to=request.args.get("reply_to", type=int),
    ))
