from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.notifications import bp, services


@bp.app_context_processor
def _bell():
    def unread_notifications():
        return services.unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


def link_for(note) -> str:
    """Where a notification takes you: the comment or thread it is about."""
    if note.target_type == "comment" and note.payload.get("thread_id"):
        return url_for("archive.thread", thread_id=note.payload["thread_id"]) + f"#comment-{note.target_id}"
    if note.target_type == "document":
        return url_for("archive.document", document_id=note.target_id)
    if note.target_type == "thread":
        return url_for("archive.thread", thread_id=note.target_id)
    return url_for("notifications.inbox")


@bp.route("/notifications")
@login_required
def inbox():
    page = request.args.get("page", 1, type=int)
    return render_template(
        "notifications/inbox.html", notes=services.inbox(current_user, page), page=page, link_for=link_for
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    note = services.mark_read(current_user, notification_id)
    return redirect(link_for(note))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.inbox"))
