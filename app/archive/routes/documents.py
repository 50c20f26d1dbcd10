"""Document pages: the list, writing, reading, editing, deleting, history."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.archive import attachments, documents, policy, tags
from app.archive.forms import DocumentForm
from app.archive.routes.common import bp, form_status, group_of_page
from app.core.errors import Refused, require, show_on_form
from app.core.revisions import show_history
from app.core.submissions import once
from app.groups import policy as group_policy


@bp.route("/g/<slug>/docs", endpoint="documents")
def list_documents(slug):
    group = group_of_page(slug)
    tag = request.args.get("tag") or None
    return render_template("archive/documents.html", group=group, documents=documents.document_list(group, tag=tag),
                           tag=tag, tags=tags.group_tags(group), can_post=policy.can_post(current_user, group),
                           can_admin=group_policy.can_admin(current_user, group))


@bp.route("/g/<slug>/docs/new", methods=["GET", "POST"])
@login_required
@once
def new_document(slug):
    group = group_of_page(slug)
    require(policy.can_post(current_user, group))
    form = DocumentForm()
    if request.method == "GET":
        form.folder.data = request.args.get("folder", "")
    if form.validate_on_submit():
        try:
            document = attachments.write_document_with_files(current_user, group, form.title.data, form.body.data,
                                                              form.folder.data, tags.parse_tags(form.tags.data),
                                                              request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(url_for("archive.document", document_id=document.id))
    return render_template("archive/document_form.html", group=group, form=form), form_status(form)


@bp.route("/d/<int:document_id>")
def document(document_id):
    document = documents.document_for(current_user, document_id)
    g.group = document.group
    files_here = attachments.attachments_for({"document": [document.id]}).get(("document", document.id), [])
    return render_template(
        "archive/document.html", document=document, group=document.group,
        can_edit=policy.can_edit(current_user, document), can_delete=policy.can_delete(current_user, document),
        can_admin=group_policy.can_admin(current_user, document.group), attachments=files_here,
        removable=policy.removable(current_user, document.group, files_here),
    )


@bp.route("/d/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit_document(document_id):
    document = documents.document_for(current_user, document_id)
    require(policy.can_edit(current_user, document))
    form = DocumentForm(obj=document)
    if request.method == "GET":
        form.body.data = document.body_md
    if form.validate_on_submit():
        try:
            attachments.edit_document_with_files(current_user, document, form.title.data, form.body.data,
                                                 form.folder.data, tags.parse_tags(form.tags.data),
                                                 request.files.getlist("files"))
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            return redirect(url_for("archive.document", document_id=document.id))
    return render_template("archive/document_form.html", group=document.group, form=form,
                           document=document), form_status(form)


@bp.route("/d/<int:document_id>/delete", methods=["POST"])
@login_required
def delete_document(document_id):
    document = documents.document_for(current_user, document_id)
    require(policy.can_delete(current_user, document))
    documents.delete_document(current_user, document)
    flash(_("The document is deleted. Its history stays in the archive."), "success")
    return redirect(url_for("archive.documents", slug=document.group.slug))


@bp.route("/d/<int:document_id>/history")
def document_history(document_id):
    document = documents.document_for(current_user, document_id)
    return show_history(document, document.group, url_for("archive.document", document_id=document.id), document.title)
