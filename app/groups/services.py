"""Groups, working groups, memberships and invitations: every change to who belongs where."""
import hashlib
import re
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.core.events import Event, happened
from app.core.extensions import db
from app.core.i18n import LOCALES, is_timezone
from app.core.markdown import render
from app.groups import policy, queries
from app.groups.models import ROLES, Group, Invitation, Membership
from app.groups.slugs import slugify


# ---------------------------------------------------------------- looking up


def group_for(user, slug: str) -> Group:
    """The group if this person may read it; otherwise it does not exist for them (Missing)."""
    group = db.session.scalar(
        select(Group).where(Group.slug == slug).options(selectinload(Group.parent), selectinload(Group.working_groups))
    )
    if group is None or not policy.can_read(user, group):
        raise Missing()
    return group


def my_groups(user) -> list[tuple[Group, str]]:
    """(group, role) for every group the person belongs to, co-ops before their working groups."""
    rows = db.session.execute(
        select(Group, Membership.role)
        .join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id, Membership.is_current)
        .options(selectinload(Group.parent))
        .order_by(func.coalesce(Group.parent_id, Group.id), Group.parent_id.is_not(None), Group.name)
    ).all()
    return [(group, role) for group, role in rows]


def public_groups(exclude_ids=()) -> list[Group]:
    return list(
        db.session.scalars(
            select(Group)
            .where(Group.visibility == "public", Group.parent_id.is_(None), Group.id.not_in(list(exclude_ids)))
            .order_by(Group.name)
            .limit(50)
        )
    )


def shared_groups(person: User, viewer) -> list[Group]:
    """The groups of `person` that `viewer` may see: a profile never leaks a private group."""
    readable = set(policy.readable_group_ids(viewer))
    return [group for group, _ in my_groups(person) if group.id in readable]


def membership_in(group: Group, membership_id: int) -> Membership:
    """A current membership of this group (Missing otherwise)."""
    found = db.session.get(Membership, membership_id)
    if found is None or found.group_id != group.id or not found.is_current:
        raise Missing()
    return found


# ---------------------------------------------------------------- groups


SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_text(name: str, description: str) -> None:
    # The forms check these too; the service holds the rule for every other caller (CLI, demo).
    if not name.strip():
        raise Refused(_l("Give the group a name."), "name")
    if len(name.strip()) > 120:
        raise Refused(_l("A name is at most 120 characters."), "name")
    if len(description) > 10_000:
        raise Refused(_l("Keep the description under 10,000 characters."), "description")


def _check_slug(slug: str) -> None:
    if not 2 <= len(slug) <= 60:
        raise Refused(_l("An address is 2–60 characters."), "slug")
    if not SLUG_PATTERN.fullmatch(slug):
        raise Refused(_l("Use lower-case letters, digits and single hyphens."), "slug")


def _check_slug_free(slug: str) -> None:
    if db.session.scalar(select(Group.id).where(Group.slug == slug)):
        raise Refused(_l("That address is taken. Try another."), "slug")


def suggest_slug(*names: str) -> str:
    """A free address for a group: the first of `names` that spells one (`slugs.slugify`:
    romanised Hangul, plain Latin), numbered if taken ("mapo-dolbom-2"). When none does, a short
    one made from the first name ("group-k3x9q2"): the same name always gets the same one, so
    the address the form suggests is the address the group gets. One query."""
    spelled = [slugify(name or "") for name in names]
    base = next((slug for slug in spelled if len(slug) >= 2), None)
    if base is None:
        digest = hashlib.sha256((names[0] if names else "").encode()).digest()
        base = "group-" + "".join(ADDRESS_LETTERS[b % len(ADDRESS_LETTERS)] for b in digest[:6])
    taken = set(db.session.scalars(
        select(Group.slug).where(or_(Group.slug == base, Group.slug.startswith(base + "-", autoescape=True)))))
    number, slug = 1, base
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


ADDRESS_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def create_group(
    user: User, name: str, slug: str, description: str, visibility: str, parent: Group | None = None
) -> Group:
    """A new co-op (creator becomes its admin) or a working group inside one. No address given:
    the one its name suggests (`suggest_slug`), so nobody is stopped for want of Latin letters.

    Working groups are one level deep and only facilitators or admins of the parent start them.
    """
    _check_text(name, description)
    slug = (slug or "").strip().lower() or suggest_slug(name)
    _check_slug(slug)
    if visibility not in ("private", "public"):
        raise Refused(_l("Choose private or public."), "visibility")
    if parent is not None:
        if parent.parent_id is not None:
            raise Refused(_l("Working groups can't have working groups of their own."))
        require(policy.can_create_working_group(user, parent))
    _check_slug_free(slug)
    group = Group(
        name=name.strip(),
        slug=slug,
        description_md=description,
        description_html=str(render(description)),
        visibility=visibility,
        parent=parent,
        created_by_id=user.id,
        timezone=parent.timezone if parent else (user.timezone or "Asia/Seoul"),
        locale=parent.locale if parent else (user.locale or "ko"),
    )
    db.session.add(group)
    db.session.add(Membership(group=group, user_id=user.id, role="admin"))
    _flush_slug()  # the events below point at the group by its id
    if parent is not None:
        happened("working_group.created", parent, user, group, name=group.name, slug=group.slug)
    happened("group.created", group, user, group, name=group.name)
    db.session.commit()
    return group


# A new group's first steps, each done once the group's history holds its event. Read from the
# events, not the features' tables: groups sits below archive, decisions and labour.
FIRST_STEPS = {
    "invite": ("member.joined",),
    "thread": ("thread.started",),
    "proposal": ("proposal.opened",),
    "care_task": ("care.rota_started", "care.task_saved"),  # a rota starts with its starter tasks
}


def first_steps(user, group: Group) -> list[str]:
    """What this person could still do to get the group going ("invite", "thread", "proposal",
    "care_task"), in that order: only steps not yet done, and only those they may take — invite:
    an admin (a working group's admin adds members of the co-op); a thread or a proposal: any
    member (`archive.policy.can_post`, `decisions.policy.can_propose`); a care task: a
    facilitator (`labour.policy.can_plan`). One query, none when they may take no step."""
    allowed = {
        "invite": policy.can_admin(user, group),
        "thread": policy.can_write(user, group),
        "proposal": policy.can_write(user, group),
        "care_task": policy.can_facilitate(user, group),
    }
    wanted = [step for step, may in allowed.items() if may]
    if not wanted:
        return []
    kinds = [kind for step in wanted for kind in FIRST_STEPS[step]]
    done = set(db.session.scalars(
        select(Event.kind).where(Event.group_id == group.id, Event.kind.in_(kinds)).distinct()))
    return [step for step in wanted if not done.intersection(FIRST_STEPS[step])]


def _flush_slug() -> None:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_l("That address was taken a moment ago. Try another."), "slug")


def update_group(
    user: User, group: Group, name: str, description: str, visibility: str, timezone: str, locale: str
) -> None:
    """Admins change a group's settings."""
    require(policy.can_admin(user, group))
    _check_text(name, description)
    if visibility not in ("private", "public"):
        raise Refused(_l("Choose private or public."), "visibility")
    if not is_timezone(timezone):
        raise Refused(_l("That isn't a time zone we know."), "timezone")
    if locale not in LOCALES:
        raise Refused(_l("Choose Korean or English."), "locale")
    changed = [
        field
        for field, new in (("name", name.strip()), ("description", description), ("visibility", visibility),
                           ("timezone", timezone), ("locale", locale))
        if new != getattr(group, "description_md" if field == "description" else field)
    ]
    group.name = name.strip()
    group.description_md = description
    group.description_html = str(render(description))
    group.visibility = visibility
    group.timezone = timezone
    group.locale = locale
    if changed:
        happened("group.updated", group, user, group, fields=changed)
    db.session.commit()


# ---------------------------------------------------------------- membership


def _refuse_if_last_admin(membership: Membership) -> None:
    if membership.role == "admin" and queries.member_count(membership.group, role="admin") <= 1:
        raise Refused(_l("A group needs at least one admin. Make someone else an admin first."))


def change_role(actor: User, group: Group, membership_id: int, role: str) -> Membership:
    """Admins change roles; the last admin can't be demoted."""
    require(policy.can_admin(actor, group))
    membership = membership_in(group, membership_id)
    if role not in ROLES:
        raise Refused(_l("Choose member, facilitator or admin."), "role")
    if role == membership.role:
        return membership
    _refuse_if_last_admin(membership)
    old = membership.role
    membership.role = role
    happened("member.role_changed", group, actor, membership.user,
             name=membership.user.display_name, old=old, new=role)
    db.session.commit()
    return membership


def set_capacity(actor: User, group: Group, membership_id: int, percent: int) -> Membership:
    """A member sets their own care-work capacity; admins may set anyone's. 10–100 %."""
    membership = membership_in(group, membership_id)
    require(policy.can_set_capacity(actor, membership))
    if not 10 <= percent <= 100:
        raise Refused(_l("Capacity is between 10% and 100%."), "capacity_percent")
    if percent == membership.capacity_percent:
        return membership
    old = membership.capacity_percent
    membership.capacity_percent = percent
    happened("member.capacity_changed", group, actor, membership.user,
             name=membership.user.display_name, old=old, new=percent)
    db.session.commit()
    return membership


def _end(membership: Membership) -> None:
    """End a stint here and in the group's working groups (their members must belong here)."""
    now = utcnow()
    membership.left_at = now
    for wg in membership.group.working_groups:
        inner = policy.membership(membership.user, wg)
        if inner is not None:
            inner.left_at = now
            happened("member.left", wg, membership.user, membership.user, name=membership.user.display_name)


def leave(user: User, group: Group) -> None:
    """Leaving keeps everything the person wrote. The last admin can't leave."""
    membership = policy.membership(user, group)
    if membership is None:
        raise Refused(_l("You are not a member of this group."))
    _refuse_if_last_admin(membership)
    _end(membership)
    happened("member.left", group, user, user, name=user.display_name)
    db.session.commit()


def remove_member(actor: User, group: Group, membership_id: int) -> None:
    """Admins remove someone; the last admin can't be removed."""
    require(policy.can_admin(actor, group))
    membership = membership_in(group, membership_id)
    if membership.user_id == actor.id:
        raise Refused(_l("To remove yourself, leave the group."))
    _refuse_if_last_admin(membership)
    _end(membership)
    happened("member.removed", group, actor, membership.user, name=membership.user.display_name)
    db.session.commit()


def _join(user: User, group: Group, role: str, via: str) -> Membership:
    if group.parent_id is not None and policy.membership(user, group.parent) is None:
        raise Refused(_l("Join %(parent)s first: working groups are for its members.", parent=group.parent.name))
    if policy.membership(user, group) is not None:
        raise Refused(_l("You are already a member of this group."))
    membership = Membership(group=group, user_id=user.id, role=role)
    db.session.add(membership)
    happened("member.joined", group, user, user, name=user.display_name, role=role, via=via)
    return membership


def join_working_group(user: User, group: Group) -> Membership:
    """Members of a co-op join its public working groups by themselves."""
    require(policy.can_join_working_group(user, group))
    membership = _join(user, group, "member", "self")
    db.session.commit()
    return membership


def add_to_working_group(actor: User, group: Group, user_id: int) -> Membership:
    """A working group's admin adds a member of the parent group."""
    require(policy.can_add_member(actor, group))
    person = db.session.get(User, user_id)
    if person is None:
        raise Refused(_l("Choose someone from the list."), "user_id")
    membership = _join(person, group, "member", "added")
    db.session.commit()
    return membership


# ---------------------------------------------------------------- invitations


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(actor: User, group: Group, role: str, days: int, max_uses: int | None, note: str = ""):
    """An invitation link. Returns (invitation, token); only the token's hash is kept."""
    require(policy.can_admin(actor, group))
    if role not in ROLES:
        raise Refused(_l("Choose member, facilitator or admin."), "role")
    if not 1 <= days <= 365:
        raise Refused(_l("An invitation lasts 1 to 365 days."), "days")
    if max_uses is not None and not 1 <= max_uses <= 1000:
        raise Refused(_l("Allow 1 to 1000 uses, or leave it empty for no limit."), "max_uses")
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        group=group,
        token_hash=_token_hash(token),
        role=role,
        note=note.strip(),
        expires_at=utcnow() + timedelta(days=days),
        max_uses=max_uses,
        created_by_id=actor.id,
    )
    db.session.add(invitation)
    db.session.flush()  # the event points at the invitation by its id
    happened("invitation.created", group, actor, invitation, role=role)
    db.session.commit()
    return invitation, token


def invitations(actor: User, group: Group) -> list[Invitation]:
    require(policy.can_admin(actor, group))
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.group_id == group.id)
            .options(selectinload(Invitation.created_by))
            .order_by(Invitation.created_at.desc())
        )
    )


def revoke_invitation(actor: User, group: Group, invitation_id: int) -> None:
    require(policy.can_admin(actor, group))
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.group_id != group.id:
        raise Missing()
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        happened("invitation.revoked", group, actor, invitation)
        db.session.commit()


INVITATION_PROBLEMS = {
    "revoked": _l("This invitation link has been revoked. Ask the group for a new one."),
    "expired": _l("This invitation link has expired. Ask the group for a new one."),
    "used_up": _l("This invitation link has been used as many times as it allows. Ask the group for a new one."),
}


def invitation_for(token: str) -> Invitation:
    """The invitation behind a link, usable or not (the page explains which); unknown: Missing."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token)).options(selectinload(Invitation.group))
    )
    if invitation is None:
        raise Missing()
    return invitation


def invitation_problem(invitation: Invitation, user) -> str | None:
    """Why this link can't be used by this person (None if it can), checked before anything is saved."""
    state = invitation.state(utcnow())
    if state != "active":
        return INVITATION_PROBLEMS[state]
    group = invitation.group
    if group.parent_id is not None and policy.membership(user, group.parent) is None:
        return str(_l("Join %(parent)s first: working groups are for its members.", parent=group.parent.name))
    if policy.membership(user, group) is not None:
        return _l("You are already a member of this group.")
    return None


def accept_invitation(user: User, token: str) -> Membership:
    """Join through a link that is neither revoked, expired nor used up."""
    invitation = invitation_for(token)
    problem = invitation_problem(invitation, user)
    if problem is not None:
        raise Refused(problem)
    membership = _join(user, invitation.group, invitation.role, "invitation")
    # Counting in the UPDATE itself means two people racing for the last use can't both get in.
    counted = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .where((Invitation.max_uses.is_(None)) | (Invitation.uses < Invitation.max_uses))
        .values(uses=Invitation.uses + 1)
    ).rowcount
    if not counted:
        db.session.rollback()
        raise Refused(INVITATION_PROBLEMS["used_up"])
    happened("invitation.accepted", invitation.group, user, None, record=False, name=user.display_name)
    db.session.commit()
    return membership
