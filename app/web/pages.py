"""Pages that gather several features at once, so no feature has to import a sibling.

The group's home (its timeline, what needs me there, my care work), a person's profile (the
groups we share, the thanks they received) and "needs me" across all my groups. Each keeps
the endpoint of the feature it belongs to (`groups.home`, `accounts.person`,
`decisions.needs_me`): the view is added to that feature's blueprint here, at import, before
the app factory registers the blueprint.
"""
from flask import g, render_template
from flask_login import current_user, login_required

from app.accounts import policy as account_policy
from app.accounts import services as accounts
from app.accounts.routes import bp as accounts_bp
from app.archive.timeline import timeline
from app.core.errors import Missing
from app.decisions import queries as decisions
from app.decisions.routes import bp as decisions_bp
from app.groups import policy, queries
from app.groups import services as groups
from app.groups.forms import ConfirmForm
from app.groups.routes import bp as groups_bp
from app.labour import needs as care_needs
from app.labour import recognition as care_thanks


@groups_bp.route("/g/<slug>", endpoint="home")
def group_home(slug):
    group = g.group = groups.group_for(current_user, slug)
    working_groups = policy.readable_among(current_user, group.working_groups)
    signed_in = current_user.is_authenticated
    return render_template(
        "groups/home.html",
        group=group,
        me=policy.membership(current_user, group),
        can_admin=policy.can_admin(current_user, group),
        can_join=policy.can_join_working_group(current_user, group),
        can_start_working_group=policy.can_create_working_group(current_user, group),
        events=policy.visible_events(timeline([group.id]), {wg.id for wg in working_groups}),
        member_count=queries.member_count(group),
        needs=decisions.needs_me(current_user, [group.id]) if signed_in else None,
        care_needs_me=care_needs.needs_me(current_user, group) if signed_in else None,
        first_steps=groups.first_steps(current_user, group),
        working_groups=working_groups,
        confirm=ConfirmForm(),
    )


@accounts_bp.route("/u/<handle>")
def person(handle):
    """A profile shows only the groups (and thanks from groups) the viewer may read."""
    user = accounts.user_by_handle(handle)
    if not account_policy.can_see_profile(current_user, user):
        raise Missing()
    return render_template(
        "accounts/person.html", person=user, groups=groups.shared_groups(user, current_user),
        thanks=care_thanks.thanks_received(user, policy.readable_group_ids(current_user)),
    )


@decisions_bp.route("/needs-me")
@login_required
def needs_me():
    return render_template("decisions/needs_me.html", needs=decisions.needs_me(current_user),
                           care=care_needs.needs_me_everywhere(current_user))
