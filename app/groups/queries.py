"""Who belongs where now: every read of current memberships goes through here.

A membership is current while `left_at` is empty (`Membership.is_current`); leaving ends
it, rejoining starts a new one. Features ask these functions instead of filtering the table.
"""
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.extensions import db
from app.groups.models import Group, Membership


def current_members(group: Group, by_name: bool = True) -> list[Membership]:
    """Current memberships with their people: admins first, then by name (or, `by_name=False`, in
    the order they joined). Two queries."""
    query = (select(Membership).where(Membership.group_id == group.id, Membership.is_current)
             .options(selectinload(Membership.user)))
    if by_name:
        query = query.join(User, User.id == Membership.user_id).order_by(Membership.role.desc(),
                                                                          func.lower(User.display_name))
    else:
        query = query.order_by(Membership.id)
    return list(db.session.scalars(query))


def member_ids(group_id: int) -> list[int]:
    """Ids of the group's current members: one query."""
    return list(db.session.scalars(select(Membership.user_id).where(Membership.group_id == group_id,
                                                                    Membership.is_current)))


def members_among(group_id: int, user_ids) -> set[int]:
    """Those of these people who are members of the group now: one query."""
    if not user_ids:
        return set()
    return set(db.session.scalars(
        select(Membership.user_id).where(Membership.group_id == group_id, Membership.is_current,
                                         Membership.user_id.in_(list(user_ids)))
    ))


def members_by_group(group_ids) -> dict[int, set[int]]:
    """{group id: ids of its current members} for many groups: one query."""
    found: dict[int, set[int]] = {gid: set() for gid in group_ids}
    rows = db.session.execute(select(Membership.group_id, Membership.user_id)
                              .where(Membership.group_id.in_(list(group_ids)), Membership.is_current))
    for group_id, user_id in rows:
        found[group_id].add(user_id)
    return found


def role_holders(group_id: int, roles: tuple[str, ...]) -> list[int]:
    """Ids of the current members holding one of these roles."""
    return list(db.session.scalars(
        select(Membership.user_id).where(Membership.group_id == group_id, Membership.is_current,
                                         Membership.role.in_(roles))
    ))


def member_count(group: Group, role: str | None = None) -> int:
    query = select(func.count()).select_from(Membership).where(Membership.group_id == group.id, Membership.is_current)
    if role is not None:
        query = query.where(Membership.role == role)
    return db.session.scalar(query)


def group_ids_of(user_id: int, among=None) -> Select:
    """A subquery: the ids of the groups this person belongs to now (of these groups, if given)."""
    query = select(Membership.group_id).where(Membership.user_id == user_id, Membership.is_current)
    return query if among is None else query.where(Membership.group_id.in_(list(among)))


def people_in_any_group() -> Select:
    """A subquery: the ids of everyone who belongs to some group now."""
    return select(Membership.user_id).where(Membership.is_current)


def members_by_handle(group: Group, handles: set[str]) -> dict[str, User]:
    """The current members of the group among these handles, in one query."""
    if not handles:
        return {}
    rows = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id, Membership.is_current, User.handle.in_(handles))
    )
    return {user.handle: user for user in rows}


def members_starting_with(group: Group, prefix: str, limit: int, leave_out: int | None = None) -> list[User]:
    """Current members whose handle, name or a word of their name starts with `prefix` (any case),
    those matched by handle first, then by name; at most `limit`, in one query. For completing an
    @mention: nobody outside the group is ever among them."""
    prefix = prefix.lower()
    by_handle = func.lower(User.handle).startswith(prefix, autoescape=True)
    name = func.lower(User.display_name)
    by_name = or_(name.startswith(prefix, autoescape=True), name.contains(" " + prefix, autoescape=True))
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.group_id == group.id, Membership.is_current, or_(by_handle, by_name))
             .order_by(case((by_handle, 0), else_=1), name, User.handle).limit(limit))
    if leave_out is not None:
        query = query.where(User.id != leave_out)
    return list(db.session.scalars(query))
