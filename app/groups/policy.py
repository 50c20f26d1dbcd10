"""Who may do what in a group. Every route and every listing asks here, nowhere else; the
services ask again with `app.core.errors.require`.

Private groups are invisible to outsiders (callers answer 404, not 403). A working group
is readable if its parent is readable and it is public, or by its own members and the
parent's admins, who are admins of every working group in their co-op.
"""
from flask import g, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, select

from app.core.extensions import db
from app.groups.models import ROLE_RANK, Group, Membership

_KEPT = "canoe_memberships"  # on flask.g: {user id: {group id: current Membership}}


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _memberships(user) -> dict[int, Membership]:
    """The person's current memberships by group, read once per request (a page asks many times)
    and read again once memberships change: in this transaction, or after it ends."""
    if _changing(db.session):
        return _read(user)
    kept = g.setdefault(_KEPT, {})
    if user.id not in kept:
        kept[user.id] = _read(user)
    return kept[user.id]


def _read(user) -> dict[int, Membership]:
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id, Membership.is_current))
    return {m.group_id: m for m in rows}


def _changing(session) -> bool:
    """Memberships added, changed or removed but not yet flushed: the kept ones may be out of date."""
    return any(isinstance(o, Membership) for o in (*session.new, *session.dirty, *session.deleted))


def _forget(*_args) -> None:
    if has_app_context():
        g.pop(_KEPT, None)


@event.listens_for(FlaskSession, "after_flush")
def _after_flush(session, _context) -> None:
    if _changing(session):
        _forget()


@event.listens_for(FlaskSession, "after_transaction_end")
def _after_transaction(_session, transaction) -> None:
    # The outer transaction (commit, rollback, close) or a savepoint: what was read may be undone or stale.
    if transaction.parent is None or transaction.nested:
        _forget()


def roles_of(user, group_ids: list[int] | None = None) -> dict[int, str]:
    """{group id: role} of the person's current memberships (of these groups, if given)."""
    if not _authenticated(user):
        return {}
    return {gid: m.role for gid, m in _memberships(user).items() if group_ids is None or gid in group_ids}


def membership(user, group: Group | None) -> Membership | None:
    """The person's current membership of this group, if any."""
    if group is None or not _authenticated(user):
        return None
    return _memberships(user).get(group.id)


def _role(group_id: int, parent_id: int | None, roles: dict[int, str]) -> str | None:
    if parent_id is not None and roles.get(parent_id) == "admin":
        return "admin"
    return roles.get(group_id)


def _readable(group_id, parent_id, public, parent_public, roles) -> bool:
    if parent_id is not None and not (parent_public or parent_id in roles):
        return False
    return public or _role(group_id, parent_id, roles) is not None


def role_in(user, group: Group) -> str | None:
    """The role that counts here, or None for someone outside."""
    return _role(group.id, group.parent_id, roles_of(user, [group.id, group.parent_id or group.id]))


def _at_least(user, group: Group, role: str) -> bool:
    have = role_in(user, group)
    return have is not None and ROLE_RANK[have] >= ROLE_RANK[role]


def can_read(user, group: Group) -> bool:
    roles = roles_of(user, [group.id, group.parent_id or group.id])
    parent_public = group.parent.is_public if group.parent_id is not None else True
    return _readable(group.id, group.parent_id, group.is_public, parent_public, roles)


def can_write(user, group: Group) -> bool:
    """Members write (threads, votes, care work); visitors of a public group only read."""
    return membership(user, group) is not None


def can_facilitate(user, group: Group) -> bool:
    return _at_least(user, group, "facilitator")


def can_admin(user, group: Group) -> bool:
    return _at_least(user, group, "admin")


def can_create_working_group(user, group: Group) -> bool:
    return group.parent_id is None and can_facilitate(user, group)


def can_join_working_group(user, group: Group) -> bool:
    """Members of a co-op join its public working groups by themselves (joining says if they aren't)."""
    return _authenticated(user) and group.parent_id is not None and group.is_public


def can_add_member(user, group: Group) -> bool:
    """A working group's admins add members of its co-op; a co-op's members come by invitation."""
    return group.parent_id is not None and can_admin(user, group)


def can_set_capacity(user, membership: Membership) -> bool:
    """A member sets their own care-work capacity; admins set anyone's."""
    return (_authenticated(user) and membership.user_id == user.id) or can_admin(user, membership.group)


def readable_among(user, groups: list[Group]) -> list[Group]:
    """Those of these groups the person may read, in one query whatever their number."""
    ids = {g.id for g in groups} | {g.parent_id for g in groups if g.parent_id is not None}
    roles = roles_of(user, list(ids))
    return [
        g
        for g in groups
        if _readable(g.id, g.parent_id, g.is_public, g.parent.is_public if g.parent_id is not None else True, roles)
    ]


def visible_events(events: list, readable_ids) -> list:
    """Events minus those about another group the viewer can't read: a private working group's
    start is in its co-op's timeline, but its name is not for co-op members outside it."""
    return [e for e in events if e.target_type != "group" or e.target_id in (e.group_id, *readable_ids)]


def readable_group_ids(user) -> list[int]:
    """Ids of every group this person may read, in two queries whatever their number."""
    roles = roles_of(user)
    rows = db.session.execute(select(Group.id, Group.parent_id, Group.visibility)).all()
    public = {gid: vis == "public" for gid, _, vis in rows}
    return [
        gid
        for gid, parent_id, vis in rows
        if _readable(gid, parent_id, vis == "public", public.get(parent_id, True), roles)
    ]
