"""Helpers the care-work page tests share: a group with a running rota, and looking things up."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.core.extensions import db
from app.groups.models import Group
from app.labour import periods, planning
from app.labour.models import Assignment


def attached(cast):
    """The cast's group and people as objects of the current session."""
    get = db.session.get
    return (get(Group, cast.group.id), *(get(User, p.id) for p in (cast.admin, cast.facilitator, cast.member,
                                                                    cast.outsider)))


def start_rota(app, cast, starter=True, weeks=8):
    """The facilitator starts the rota this week (with the starter tasks) and plans it."""
    with app.test_request_context():
        group, _admin, facilitator, _member, _outsider = attached(cast)
        today = periods.today_in(group)
        planning.set_up(facilitator, group, today - timedelta(days=today.weekday()), weeks, starter)
        planning.generate(facilitator, group)


def slots_of(user_id, group_id, period=None, status="assigned") -> list[Assignment]:
    query = select(Assignment).where(Assignment.user_id == user_id, Assignment.group_id == group_id)
    if period is not None:
        query = query.where(Assignment.period == period)
    if status is not None:
        query = query.where(Assignment.status == status)
    return list(db.session.scalars(query.order_by(Assignment.period, Assignment.id)))


def count(model, *criteria) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*criteria))


def replan_confirmed(client, slug="coop"):
    """A facilitator's "Regenerate the future": look at what it would do, then confirm exactly that."""
    shown = client.get(f"/g/{slug}/care/rota/regenerate").get_data(as_text=True)
    fingerprint = re.search(r'name="confirmed" value="([0-9a-f]+)"', shown).group(1)
    return client.post(f"/g/{slug}/care/rota/regenerate", data={"confirmed": fingerprint})
