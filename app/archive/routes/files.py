"""Attached files: served after the permission check, removed; and the whole archive as a zip."""
from flask import Response, abort, flash, redirect, send_file, stream_with_context, url_for
from flask_babel import format_decimal, gettext as _
from flask_login import current_user, login_required

from app.archive import attachments, export, files, policy
from app.archive.routes.common import bp, group_of_page, thread_url
from app.core.errors import require


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    number, unit = files.human_size(size)
    return f"{format_decimal(number)} {unit}"


@bp.route("/files/<int:attachment_id>/<path:filename>")
def attachment(attachment_id, filename):
    """A file, after the permission check. Only safe images show in the browser; the rest download.

    The name in the address is for people; the id decides which file it is.
    """
    attachment, _target = attachments.attachment_for(current_user, attachment_id)
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
    attachment, target = attachments.attachment_for(current_user, attachment_id)
    require(policy.can_remove_attachment(current_user, attachment.group, attachment))
    attachments.remove_attachment(current_user, attachment)
    flash(_("The file %(name)s is removed.", name=attachment.filename), "success")
    if attachment.target_type == "document":
        return redirect(url_for("archive.document", document_id=target.id))
    if attachment.target_type == "comment":
        return redirect(thread_url(target.thread, target.id))
    return redirect(thread_url(target))


@bp.route("/g/<slug>/export", methods=["POST"])
@login_required
def export_archive(slug):
    """The group's whole archive as a zip, written while it downloads (never whole in memory).

    Only a POST from the settings page's form (with its CSRF token) builds it: a GET would let an
    `<img src=".../export">` in a post make every admin who reads it build a full export.
    """
    group = group_of_page(slug)
    require(policy.can_export(current_user, group))
    response = Response(stream_with_context(export.stream(group)), mimetype="application/zip")
    response.headers.set("Content-Disposition", "attachment", filename=export.archive_name(group))
    response.headers["Cache-Control"] = "no-store"
    return response
