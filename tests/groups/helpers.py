"""Small helpers the group tests share: counting rows, reading the timeline, joining people."""
from sqlalchemy import func, select

from app.core.events import Event
from app.core.extensions import db
from app.groups import services
from app.groups.models import Group, Membership


def count(model, *criteria) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*criteria))


def kinds(group) -> list[str]:
    """The group's event kinds, oldest first."""
    return list(db.session.scalars(select(Event.kind).where(Event.group_id == group.id).order_by(Event.id)))


def last_event(group) -> Event:
    return db.session.scalar(select(Event).where(Event.group_id == group.id).order_by(Event.id.desc()).limit(1))


def group(slug) -> Group:
    return db.session.scalar(select(Group).where(Group.slug == slug))


def stints(user, group) -> list[Membership]:
    """Every membership row of this person in this group, current or not, oldest first."""
    return list(
        db.session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.group_id == group.id).order_by(Membership.id)
        )
    )


def invite(admin, group, person, role="member"):
    """`person` joins `group` through a fresh one-use link made by `admin`."""
    _, token = services.create_invitation(admin, group, role, 7, 1)
    return services.accept_invitation(person, token)


def attached(cast):
    """The cast's group and people as objects of the current session."""
    from tests.conftest import Cast

    get = db.session.get
    return Cast(
        get(Group, cast.group.id),
        *(get(type(p), p.id) for p in (cast.admin, cast.facilitator, cast.member, cast.outsider)),
    )
