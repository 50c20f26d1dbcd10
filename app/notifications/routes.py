from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import DataError

from app.core.extensions import db
from app.notifications import bp, kinds, services
from app.core.security import render_error


# The archive and groups services notify through this package: imported when a page needs them.
def _groups():
    from app.groups import services

    return services


def _archive():
    from app.archive import services

    return services


@bp.app_context_processor
def _bell():
    def unread_notifications():
        return services.unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


def link_for(note) -> str:
    """Where a notification takes you: the comment, thread, proposal or rota it is about."""
    payload = note.payload or {}
    if note.target_type == "comment" and payload.get("thread_id"):
        # `show` unfolds the sub-thread the comment may be folded away in.
        return url_for("archive.thread", thread_id=payload["thread_id"], show=note.target_id,
                       _anchor=f"comment-{note.target_id}")
    if note.target_type == "proposal":
        anchor = "outcome" if note.kind in ("outcome", "review_due") else None
        return url_for("decisions.show", proposal_id=note.target_id, _anchor=anchor)
    if note.target_type == "action" and payload.get("proposal_id"):
        return url_for("decisions.show", proposal_id=payload["proposal_id"], _anchor="outcome")
    if note.target_type == "document":
        return url_for("archive.document", document_id=note.target_id)
    if note.target_type == "thread":
        return url_for("archive.thread", thread_id=note.target_id)
    if note.kind in ("swap", "swap_accepted", "swap_cancelled", "thanks", "care_assigned", "care_reminder") \
            and note.group is not None:
        return url_for("labour.index", slug=note.group.slug, _anchor="thanks" if note.kind == "thanks" else
                       "swaps" if note.kind.startswith("swap") else None)
    if note.kind == "invitation_accepted" and note.group is not None:
        return url_for("groups.members", slug=note.group.slug)
    return url_for("notifications.inbox")


def thread_of(note) -> int | None:
    """The thread a notification is about, for its "mute this thread" link."""
    if note.target_type == "thread":
        return note.target_id
    return (note.payload or {}).get("thread_id")


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
    note = services.mark_read(current_user, notification_id)
    return redirect(link_for(note))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.inbox"))
