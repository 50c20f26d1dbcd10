from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.notifications import kinds, services
from app.notifications.links import link_for, thread_of


bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _bell():
    def unread_notifications():
        return services.unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
def inbox():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)  # the offset must fit the database
    return render_template(
        "notifications/inbox.html", notes=services.inbox(current_user, page), page=page, link_for=link_for,
        describe=kinds.describe, thread_of=thread_of,
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    note = services.mark_read(current_user, services.notification_for(current_user, notification_id))
    return redirect(link_for(note))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.inbox"))
