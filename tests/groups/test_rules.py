"""The rules of groups, working groups and memberships, checked at the service layer."""
import pytest
from sqlalchemy import select

from app.core.events import Event
from app.core.errors import Missing, NotAllowed, Refused
from app.core.extensions import db
from app.groups import policy, services
from app.groups.models import Group, Membership
from tests.groups.helpers import count, group, invite, kinds, last_event, stints


@pytest.fixture
def circle(coop):
    """A private working group the facilitator started inside the co-op; the member is in it."""
    wg = services.create_group(coop.facilitator, "Care circle", "care", "", "private", coop.group)
    services.add_to_working_group(coop.facilitator, wg, coop.member.id)
    return wg


def role_of(user, group):
    found = policy.membership(user, group)
    return found.role if found else None


# ---------------------------------------------------------------- creating groups


def test_creator_becomes_admin(coop):
    new = services.create_group(coop.outsider, "Bakery", "bakery", "", "public")
    assert role_of(coop.outsider, new) == "admin"
    assert kinds(new) == ["group.created"]


def test_duplicate_slug_is_refused_and_nothing_saved(coop):
    groups, events = count(Group), count(Event)
    with pytest.raises(Refused) as refused:
        services.create_group(coop.outsider, "Another", "coop", "", "public")
    assert refused.value.field == "slug"
    assert (count(Group), count(Event)) == (groups, events)


def test_slug_taken_in_a_race_is_refused_and_the_event_rolled_back_with_it(coop, monkeypatch):
    monkeypatch.setattr(services, "_check_slug_free", lambda slug: None)
    events = count(Event)
    with pytest.raises(Refused, match="a moment ago"):
        services.create_group(coop.outsider, "Another", "coop", "", "public")
    assert count(Event) == events
    assert count(Membership, Membership.user_id == coop.outsider.id) == 0


def test_bad_slug_is_refused_by_the_service_too(coop):
    for slug in ("Hello World", "-x", "a--b", "x", "마포"):
        with pytest.raises(Refused):
            services.create_group(coop.outsider, "Bakery", slug, "", "public")
    assert group("hello world") is None


def test_no_address_gives_the_one_the_name_suggests(coop):
    made = services.create_group(coop.outsider, "마포 돌봄 협동조합", "", "", "private")
    assert made.slug == "mapo-dolbom-hyeopdongjohap"
    again = services.create_group(coop.outsider, "마포 돌봄 협동조합", "  ", "", "private")
    assert again.slug == "mapo-dolbom-hyeopdongjohap-2"


def test_empty_or_long_name_is_refused_by_the_service_too(coop):
    for name in ("", "   ", "x" * 121):
        with pytest.raises(Refused):
            services.create_group(coop.outsider, name, "bakery", "", "public")
    assert group("bakery") is None


def test_group_created_event_points_at_the_group(coop):
    new = services.create_group(coop.outsider, "Bakery", "bakery", "", "public")
    event = last_event(new)
    assert (event.kind, event.target_type, event.target_id, event.actor_id) == ("group.created", "group", new.id, coop.outsider.id)


def test_working_group_is_created_inside_the_parent_and_recorded_in_both(circle, coop):
    assert circle.parent_id == coop.group.id
    assert role_of(coop.facilitator, circle) == "admin"
    started = [e for e in db.session.scalars(select(Event).where(Event.group_id == coop.group.id))
               if e.kind == "working_group.created"]
    assert [(e.target_type, e.target_id, e.payload["slug"]) for e in started] == [("group", circle.id, "care")]
    assert kinds(circle)[0] == "group.created"


def test_working_group_inside_a_working_group_is_refused(circle, coop):
    with pytest.raises(Refused, match="can't have working groups"):
        services.create_group(coop.admin, "Inner", "inner", "", "private", circle)
    assert group("inner") is None


@pytest.mark.parametrize("role, allowed", [("member", False), ("outsider", False), ("facilitator", True), ("admin", True)])
def test_only_facilitators_and_admins_of_the_parent_start_a_working_group(coop, role, allowed):
    person = coop.person(role)
    if allowed:
        services.create_group(person, "Kitchen", "kitchen", "", "private", coop.group)
        assert group("kitchen").parent_id == coop.group.id
    else:
        with pytest.raises(NotAllowed):
            services.create_group(person, "Kitchen", "kitchen", "", "private", coop.group)
        assert group("kitchen") is None


# ---------------------------------------------------------------- working-group membership


def test_working_group_members_must_belong_to_the_parent(circle, coop):
    with pytest.raises(Refused, match="Coop Co-op first"):
        services.add_to_working_group(coop.facilitator, circle, coop.outsider.id)
    circle.visibility = "public"
    with pytest.raises(Refused, match="Coop Co-op first"):
        services.join_working_group(coop.outsider, circle)
    _, token = services.create_invitation(coop.facilitator, circle, "member", 7, None)
    with pytest.raises(Refused, match="Coop Co-op first"):
        services.accept_invitation(coop.outsider, token)
    assert policy.membership(coop.outsider, circle) is None


def test_co_op_members_join_a_public_working_group_themselves(coop):
    kitchen = services.create_group(coop.admin, "Kitchen", "kitchen", "", "public", coop.group)
    services.join_working_group(coop.member, kitchen)
    assert role_of(coop.member, kitchen) == "member"
    assert kinds(kitchen)[-1] == "member.joined"


def test_nobody_joins_a_private_working_group_by_themselves(circle, coop):
    with pytest.raises(NotAllowed):
        services.join_working_group(coop.admin, circle)


def test_leaving_the_parent_ends_working_group_memberships_too(circle, coop):
    services.leave(coop.member, coop.group)
    assert policy.membership(coop.member, circle) is None
    assert kinds(circle)[-1] == "member.left"


def test_removal_from_the_parent_ends_working_group_memberships_too(circle, coop):
    member_id = policy.membership(coop.member, coop.group).id
    services.remove_member(coop.admin, coop.group, member_id)
    assert policy.membership(coop.member, circle) is None


def test_parent_admin_is_admin_of_its_working_groups(circle, coop):
    assert policy.membership(coop.admin, circle) is None
    assert policy.role_in(coop.admin, circle) == "admin"
    assert policy.can_admin(coop.admin, circle)
    member_id = policy.membership(coop.member, circle).id
    services.change_role(coop.admin, circle, member_id, "facilitator")
    assert role_of(coop.member, circle) == "facilitator"


def test_facilitator_of_the_parent_is_not_admin_of_a_working_group_they_are_not_in(coop):
    kitchen = services.create_group(coop.admin, "Kitchen", "kitchen", "", "public", coop.group)
    assert not policy.can_admin(coop.facilitator, kitchen)


# ---------------------------------------------------------------- the last admin


def test_last_admin_cannot_leave(coop):
    with pytest.raises(Refused, match="at least one admin"):
        services.leave(coop.admin, coop.group)
    assert role_of(coop.admin, coop.group) == "admin"


def test_last_admin_cannot_be_demoted(coop):
    admin_id = policy.membership(coop.admin, coop.group).id
    with pytest.raises(Refused, match="at least one admin"):
        services.change_role(coop.admin, coop.group, admin_id, "member")
    assert role_of(coop.admin, coop.group) == "admin"


def test_last_admin_cannot_be_removed(circle, coop):
    # The working group's only admin of its own, removed by the co-op's admin (admin there too).
    starter_id = policy.membership(coop.facilitator, circle).id
    with pytest.raises(Refused, match="at least one admin"):
        services.remove_member(coop.admin, circle, starter_id)
    assert role_of(coop.facilitator, circle) == "admin"


def test_an_admin_can_leave_once_there_is_another(coop):
    services.change_role(coop.admin, coop.group, policy.membership(coop.facilitator, coop.group).id, "admin")
    services.leave(coop.admin, coop.group)
    assert policy.membership(coop.admin, coop.group) is None


def test_removing_yourself_is_refused(coop):
    with pytest.raises(Refused, match="leave the group"):
        services.remove_member(coop.admin, coop.group, policy.membership(coop.admin, coop.group).id)


# ---------------------------------------------------------------- leaving and coming back


def test_leaving_keeps_history_and_rejoining_starts_a_new_membership(coop):
    services.leave(coop.member, coop.group)
    assert kinds(coop.group)[-1] == "member.left"
    invite(coop.admin, coop.group, coop.member)
    first, second = stints(coop.member, coop.group)
    assert first.left_at is not None and second.left_at is None
    assert first.id != second.id


def test_a_person_who_is_not_a_member_cannot_leave(coop):
    with pytest.raises(Refused, match="not a member"):
        services.leave(coop.outsider, coop.group)


def test_unknown_or_ended_membership_is_not_found(coop):
    member_id = policy.membership(coop.member, coop.group).id
    services.leave(coop.member, coop.group)
    for membership_id in (member_id, 999_999):
        with pytest.raises(Missing):
            services.change_role(coop.admin, coop.group, membership_id, "admin")


def test_membership_of_another_group_is_not_found(coop):
    other = services.create_group(coop.outsider, "Bakery", "bakery", "", "public")
    with pytest.raises(Missing):
        services.set_capacity(coop.admin, coop.group, policy.membership(coop.outsider, other).id, 50)


# ---------------------------------------------------------------- roles and capacity


def test_only_admins_change_roles(coop):
    member_id = policy.membership(coop.member, coop.group).id
    with pytest.raises(NotAllowed):
        services.change_role(coop.facilitator, coop.group, member_id, "admin")
    assert role_of(coop.member, coop.group) == "member"


def test_unknown_role_is_refused(coop):
    with pytest.raises(Refused):
        services.change_role(coop.admin, coop.group, policy.membership(coop.member, coop.group).id, "owner")


@pytest.mark.parametrize("percent, ok", [(9, False), (10, True), (55, True), (100, True), (101, False), (0, False)])
def test_capacity_is_between_10_and_100(coop, percent, ok):
    mine = policy.membership(coop.member, coop.group)
    if ok:
        services.set_capacity(coop.member, coop.group, mine.id, percent)
    else:
        with pytest.raises(Refused, match="between 10% and 100%"):
            services.set_capacity(coop.member, coop.group, mine.id, percent)
    assert mine.capacity_percent == (percent if ok else 100)


@pytest.mark.parametrize("actor, allowed", [("member", True), ("admin", True), ("facilitator", False)])
def test_capacity_is_set_by_the_person_or_an_admin_only(coop, actor, allowed):
    mine = policy.membership(coop.member, coop.group)
    if allowed:
        services.set_capacity(coop.person(actor), coop.group, mine.id, 50)
    else:
        with pytest.raises(NotAllowed):
            services.set_capacity(coop.person(actor), coop.group, mine.id, 50)
    assert mine.capacity_percent == (50 if allowed else 100)


# ---------------------------------------------------------------- the timeline


def test_joining_by_invitation_records_invitation_created_and_member_joined(coop):
    assert kinds(coop.group) == [
        "group.created", "invitation.created", "member.joined", "invitation.created", "member.joined",
    ]
    joined = last_event(coop.group)
    assert (joined.actor_id, joined.payload["role"], joined.payload["via"]) == (coop.member.id, "member", "invitation")


def test_leaving_records_member_left(coop):
    services.leave(coop.member, coop.group)
    event = last_event(coop.group)
    assert (event.kind, event.actor_id, event.target_id) == ("member.left", coop.member.id, coop.member.id)


def test_removing_records_member_removed(coop):
    services.remove_member(coop.admin, coop.group, policy.membership(coop.member, coop.group).id)
    event = last_event(coop.group)
    assert (event.kind, event.actor_id, event.target_id) == ("member.removed", coop.admin.id, coop.member.id)


def test_changing_a_role_records_member_role_changed(coop):
    services.change_role(coop.admin, coop.group, policy.membership(coop.member, coop.group).id, "facilitator")
    event = last_event(coop.group)
    assert event.kind == "member.role_changed"
    assert (event.payload["old"], event.payload["new"]) == ("member", "facilitator")


def test_changing_capacity_records_member_capacity_changed(coop):
    services.set_capacity(coop.member, coop.group, policy.membership(coop.member, coop.group).id, 60)
    event = last_event(coop.group)
    assert event.kind == "member.capacity_changed"
    assert (event.payload["old"], event.payload["new"]) == (100, 60)


def test_revoking_records_invitation_revoked(coop):
    invitation, _ = services.create_invitation(coop.admin, coop.group, "member", 7, None)
    services.revoke_invitation(coop.admin, coop.group, invitation.id)
    event = last_event(coop.group)
    assert (event.kind, event.target_type, event.target_id) == ("invitation.revoked", "invitation", invitation.id)


def test_updating_settings_records_group_updated_with_the_changed_fields(coop):
    g = coop.group
    services.update_group(coop.admin, g, "Renamed", g.description_md, "public", g.timezone, g.locale)
    event = last_event(coop.group)
    assert event.kind == "group.updated"
    assert set(event.payload["fields"]) == {"name", "visibility"}


def test_saving_unchanged_settings_records_nothing(coop):
    before = count(Event)
    g = coop.group
    services.update_group(coop.admin, g, g.name, g.description_md, g.visibility, g.timezone, g.locale)
    assert count(Event) == before


def test_a_change_that_makes_no_difference_records_nothing(coop):
    before = count(Event)
    mine = policy.membership(coop.member, coop.group)
    services.change_role(coop.admin, coop.group, mine.id, "member")
    services.set_capacity(coop.member, coop.group, mine.id, 100)
    assert count(Event) == before


def test_a_refused_change_writes_no_event(coop):
    before = count(Event)
    admin_id = policy.membership(coop.admin, coop.group).id
    member_id = policy.membership(coop.member, coop.group).id
    refusals = [
        lambda: services.leave(coop.admin, coop.group),
        lambda: services.change_role(coop.admin, coop.group, admin_id, "member"),
        lambda: services.change_role(coop.member, coop.group, member_id, "admin"),
        lambda: services.set_capacity(coop.member, coop.group, member_id, 5),
        lambda: services.create_invitation(coop.member, coop.group, "member", 7, None),
        lambda: services.create_invitation(coop.admin, coop.group, "member", 0, None),
        lambda: services.update_group(coop.admin, coop.group, "X", "", "secret", "Asia/Seoul", "ko"),
        lambda: services.create_group(coop.member, "Kitchen", "kitchen", "", "private", coop.group),
    ]
    for refuse in refusals:
        with pytest.raises((Refused, NotAllowed)):
            refuse()
    assert count(Event) == before
