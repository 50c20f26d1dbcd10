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
    notes = services.inbox(current_user, page)
    return render_template(
        "notifications/inbox.html", notes=notes, page=page, settled=services.settled(current_user, notes),
        settled_words=kinds.SETTLED, describe=kinds.describe, thread_of=thread_of,
    )


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_note(notification_id):
    """Follow a notification: mark it read, then go where it leads.

    A GET that writes, on purpose and only this much: the read mark of the viewer's own
    notification. It is what lets each inbox item be one plain link, which works without
    JavaScript, by keyboard, in a new tab, and from a link someone copied. A page elsewhere
    that makes a browser fetch this address can at most mark one of that person's own
    notifications read; it changes nothing anyone else sees, and tells nothing back (someone
    else's notification is 404, and the redirect goes only where the note itself leads).
    Everything else that writes stays a POST with its CSRF token (`read`, `read_all`).
    """
    note = services.mark_read(current_user, services.notification_for(current_user, notification_id))
    return redirect(link_for(note, services.settled(current_user, [note]).get(note.id)), 303)


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
