"""The group pages. Each route loads the group (Missing for outsiders of a private one), asks
`policy` once, then hands over to a service."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from wtforms import SelectChoice

from app.accounts import services as accounts
from app.accounts.services import sign_in
from app.accounts.forms import RegisterForm
from app.core.database import utcnow
from app.core.errors import Refused, require, show_on_form
from app.groups import policy, queries, services
from app.groups.forms import (
    ROLE_CHOICES,
    AddMemberForm,
    CapacityForm,
    ConfirmForm,
    GroupForm,
    GroupSettingsForm,
    InvitationForm,
    RoleForm,
)
from app.core.i18n import select_locale
from app.core.extensions import htmx
from app.core.submissions import once


bp = Blueprint("groups", __name__)


ROLE_LABELS = {choice.value: choice.label for choice in ROLE_CHOICES}


def _load(slug):
    """The group for this request (404 for outsiders), remembered for the page's time zone."""
    g.group = services.group_for(current_user, slug)
    return g.group


def _status(form) -> int:
    return 422 if form.errors else 200


@bp.app_context_processor
def _navigation():
    def nav_groups():
        return services.my_groups(current_user) if current_user.is_authenticated else []

    return {"nav_groups": nav_groups}


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("groups.mine"))
    return render_template("groups/landing.html", public=services.public_groups())


@bp.route("/groups")
@login_required
def mine():
    mine = services.my_groups(current_user)
    others = services.public_groups(exclude_ids=[group.id for group, _ in mine])
    return render_template("groups/mine.html", mine=mine, others=others)


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
@once
def new():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(
                current_user, form.name.data, form.slug.data, form.description.data, form.visibility.data
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("%(name)s is ready. Its first steps are on its page — start by inviting people.",
                    name=group.name), "success")
            return redirect(url_for("groups.home", slug=group.slug))
    return _group_form(form)


@bp.route("/g/<slug>/working-groups/new", methods=["GET", "POST"])
@login_required
@once
def new_working_group(slug):
    parent = _load(slug)
    require(policy.can_create_working_group(current_user, parent))
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(
                current_user, form.name.data, form.slug.data, form.description.data, form.visibility.data, parent
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("The working group %(name)s is ready.", name=group.name), "success")
            return redirect(url_for("groups.home", slug=group.slug))
    return _group_form(form, parent)


def _group_form(form, parent=None):
    """The new-group form, with the address its name suggests. An address that was refused is
    replaced by a free one made from it (or from the name), ready to send or change."""
    if form.slug.errors:
        form.slug.data = services.suggest_slug(*(form.slug.raw_data or [])[:1], form.name.data or "")
        form.slug.errors = [*form.slug.errors, _("We put a free address in the field instead: keep it or change it.")]
    suggestion = services.suggest_slug(form.name.data) if form.name.data else None
    # With htmx the address hint follows the name as it is typed; without, it shows after a send.
    form.name.render_kw = {"data-hx-get": url_for("groups.suggest_address"), "data-hx-target": "#slug-hint",
                           "data-hx-trigger": "input changed delay:400ms", "data-hx-swap": "outerHTML",
                           "data-hx-sync": "this:replace"}
    return render_template("groups/new.html", form=form, parent=parent, suggestion=suggestion), _status(form)


@bp.route("/groups/new/address")
@login_required
def suggest_address():
    """The address hint of the new-group form for the name typed so far (htmx, as people type)."""
    name = request.args.get("name", "")[:120]
    suggestion = services.suggest_slug(name) if name.strip() else None
    if htmx:
        return render_block("groups/new.html", "slug_hint", suggestion=suggestion)
    return redirect(url_for("groups.new"))


@bp.route("/g/<slug>/members")
def members(slug):
    group = _load(slug)
    me = policy.membership(current_user, group)
    can_admin = policy.can_admin(current_user, group)
    memberships = queries.current_members(group)
    add_form = None
    if policy.can_add_member(current_user, group):
        add_form = AddMemberForm()
        inside = {m.user_id for m in memberships}
        add_form.user_id.choices = [
            SelectChoice(m.user_id, f"{m.user.display_name} (@{m.user.handle})")
            for m in queries.current_members(group.parent)
            if m.user_id not in inside
        ]
    return render_template(
        "groups/members.html",
        group=group,
        me=me,
        can_admin=can_admin,
        memberships=memberships,
        can_set_capacity={m.id for m in memberships if policy.can_set_capacity(current_user, m)},
        role_form=RoleForm(),
        capacity_form=CapacityForm(),
        confirm=ConfirmForm(),
        add_form=add_form,
    )


def _back_to_members(group):
    return redirect(url_for("groups.members", slug=group.slug))


def _flash_refusal(refusal: Refused) -> None:
    flash(str(refusal.message), "error")


@bp.route("/g/<slug>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(slug, membership_id):
    group = _load(slug)
    require(policy.can_admin(current_user, group))
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose member, facilitator or admin."), "error")
        return _back_to_members(group)
    try:
        membership = services.change_role(current_user, group, membership_id, form.role.data)
    except Refused as refusal:
        _flash_refusal(refusal)
    else:
        flash(_("%(name)s is now: %(role)s.", name=membership.user.display_name, role=ROLE_LABELS[form.role.data]), "success")
    return _back_to_members(group)


@bp.route("/g/<slug>/members/<int:membership_id>/capacity", methods=["POST"])
@login_required
def set_capacity(slug, membership_id):
    group = _load(slug)
    require(policy.can_set_capacity(current_user, services.membership_in(group, membership_id)))
    form = CapacityForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.capacity_percent.errors) or _("Enter a capacity between 10 and 100."), "error")
        return _back_to_members(group)
    try:
        services.set_capacity(current_user, group, membership_id, form.capacity_percent.data)
    except Refused as refusal:
        _flash_refusal(refusal)
    else:
        flash(_("Capacity saved."), "success")
    return _back_to_members(group)


@bp.route("/g/<slug>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(slug, membership_id):
    group = _load(slug)
    require(policy.can_admin(current_user, group))
    ConfirmForm().validate_on_submit()
    try:
        services.remove_member(current_user, group, membership_id)
    except Refused as refusal:
        _flash_refusal(refusal)
    else:
        flash(_("They are no longer a member. What they wrote stays."), "success")
    return _back_to_members(group)


@bp.route("/g/<slug>/members/add", methods=["POST"])
@login_required
@once
def add_member(slug):
    group = _load(slug)
    require(policy.can_add_member(current_user, group))
    form = AddMemberForm()
    form.validate_on_submit()
    try:
        membership = services.add_to_working_group(current_user, group, form.user_id.data or 0)
    except Refused as refusal:
        _flash_refusal(refusal)
    else:
        flash(_("%(name)s joined the working group.", name=membership.user.display_name), "success")
    return _back_to_members(group)


@bp.route("/g/<slug>/join", methods=["POST"])
@login_required
@once
def join(slug):
    group = _load(slug)
    require(policy.can_join_working_group(current_user, group))
    try:
        services.join_working_group(current_user, group)
    except Refused as refusal:
        _flash_refusal(refusal)
    else:
        flash(_("Welcome to %(name)s.", name=group.name), "success")
    return redirect(url_for("groups.home", slug=group.slug))


@bp.route("/g/<slug>/leave", methods=["POST"])
@login_required
def leave(slug):
    group = _load(slug)
    try:
        services.leave(current_user, group)
    except Refused as refusal:
        _flash_refusal(refusal)
        return redirect(url_for("groups.members", slug=group.slug))
    flash(_("You have left %(name)s. What you wrote stays.", name=group.name), "success")
    return redirect(url_for("groups.mine"))


@bp.route("/g/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug):
    group = _load(slug)
    require(policy.can_admin(current_user, group))
    # The model keeps markdown in `description_md`; a field left out of the post keeps its value.
    form = GroupSettingsForm(obj=group, description=group.description_md)
    if form.validate_on_submit():
        try:
            services.update_group(
                current_user, group, form.name.data, form.description.data, form.visibility.data,
                form.timezone.data, form.locale.data,
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            flash(_("Group settings saved."), "success")
            return redirect(url_for("groups.settings", slug=group.slug))
    return render_template("groups/settings.html", group=group, form=form), _status(form)


@bp.route("/g/<slug>/invitations", methods=["GET", "POST"])
@login_required
@once
def invitations(slug):
    group = _load(slug)
    require(policy.can_admin(current_user, group))
    form = InvitationForm()
    new_link = None
    if form.validate_on_submit():
        try:
            _, token = services.create_invitation(
                current_user, group, form.role.data, form.days.data, form.max_uses.data, form.note.data or ""
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            new_link = url_for("groups.accept", token=token, _external=True)
            form = InvitationForm(formdata=None)
    return render_template(
        "groups/invitations.html",
        group=group,
        form=form,
        new_link=new_link,
        invitations=services.invitations(current_user, group),
        now=utcnow(),
    ), _status(form)


@bp.route("/g/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(slug, invitation_id):
    group = _load(slug)
    require(policy.can_admin(current_user, group))
    ConfirmForm().validate_on_submit()
    services.revoke_invitation(current_user, group, invitation_id)
    flash(_("The invitation link no longer works."), "success")
    return redirect(url_for("groups.invitations", slug=group.slug))


@bp.route("/join/<token>", methods=["GET", "POST"])
@once
def accept(token):
    """Join by link: logged-in people press Join; others register right here (or log in)."""
    invitation = services.invitation_for(token)
    g.group = invitation.group
    problem = services.invitation_problem(invitation, current_user)
    register_form = RegisterForm(prefix="reg") if not current_user.is_authenticated else None
    confirm = ConfirmForm()
    if request.method == "POST" and problem is None:
        try:
            if register_form is not None:
                if not register_form.validate_on_submit():
                    raise _Incomplete()
                user = accounts.register(
                    register_form.email.data, register_form.password.data, register_form.display_name.data,
                    register_form.handle.data, select_locale(),
                )
                sign_in(user)
            elif not confirm.validate_on_submit():
                raise _Incomplete()
            services.accept_invitation(current_user, token)
        except Refused as refusal:
            if register_form is not None and refusal.field:
                show_on_form(register_form, refusal)
            else:
                problem = refusal.message
        except _Incomplete:
            pass
        else:
            flash(_("Welcome to %(name)s.", name=invitation.group.name), "success")
            return redirect(url_for("groups.home", slug=invitation.group.slug))
    failed = request.method == "POST" and (problem is not None or (register_form is not None and register_form.errors))
    status = 410 if invitation.state(utcnow()) != "active" else (422 if failed else 200)
    return render_template(
        "groups/accept.html", invitation=invitation, problem=problem, register_form=register_form, confirm=confirm
    ), status


class _Incomplete(Exception):
    """The form on the join page needs fixing; it is shown again with its messages."""
