"""What care work needs me: my slots still to do this week and the swaps people asked of me, for the
group home and the personal "needs you" page — each in a fixed number of queries."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.extensions import db
from app.groups import queries as group_queries
from app.groups.models import Group
from app.labour.models import Assignment, Rota, Swap
from app.labour.periods import current_period, period_start, rota_of


@dataclass
class CareNeeds:
    """On the group home: my care tasks still to do this period, and swaps people asked of me."""

    tasks: list[Assignment]
    swaps: list[Swap]
    week_starts: date | None = None

    def __bool__(self) -> bool:
        return bool(self.tasks or self.swaps)


def needs_me(user, group: Group) -> CareNeeds:
    """My open slots this period and open swap requests addressed to me, in a fixed number of queries."""
    r = rota_of(group)
    if r is None or not getattr(user, "is_authenticated", False):
        return CareNeeds([], [])
    now = current_period(r, group)
    tasks = list(db.session.scalars(
        select(Assignment).where(Assignment.group_id == group.id, Assignment.user_id == user.id,
                                 Assignment.period == now, Assignment.status == "assigned")
        .options(selectinload(Assignment.task)).order_by(Assignment.effort.desc(), Assignment.id)
    ))
    swaps = list(db.session.scalars(
        select(Swap).join(Assignment, Assignment.id == Swap.assignment_id)
        .where(Assignment.group_id == group.id, Swap.to_user_id == user.id, Swap.status == "open")
        .options(selectinload(Swap.assignment).selectinload(Assignment.task), selectinload(Swap.from_user))
        .order_by(Swap.id)
    ))
    return CareNeeds(tasks, swaps, period_start(r, now))


def needs_me_everywhere(user) -> list[tuple[Group, CareNeeds]]:
    """`needs_me` across all my groups, for the personal "needs you" page, in a fixed number of
    queries however many groups: my open slots in each group's current period, and open swap
    requests addressed to me."""
    if not getattr(user, "is_authenticated", False):
        return []
    mine = group_queries.group_ids_of(user.id)
    rotas = {r.group_id: r for r in db.session.scalars(select(Rota).where(Rota.group_id.in_(mine)))}
    if not rotas:
        return []
    found = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(list(rotas))))}
    now = {gid: current_period(r, found[gid]) for gid, r in rotas.items()}
    slots = db.session.scalars(
        select(Assignment).where(Assignment.group_id.in_(list(rotas)), Assignment.user_id == user.id,
                                 Assignment.status == "assigned")
        .where(Assignment.period <= max(now.values())).where(Assignment.period >= min(now.values()))
        .options(selectinload(Assignment.task)).order_by(Assignment.effort.desc(), Assignment.id)
    )
    swaps = db.session.scalars(
        select(Swap).join(Assignment, Assignment.id == Swap.assignment_id)
        .where(Assignment.group_id.in_(list(rotas)), Swap.to_user_id == user.id, Swap.status == "open")
        .options(selectinload(Swap.assignment).selectinload(Assignment.task), selectinload(Swap.from_user))
        .order_by(Swap.id)
    )
    needs = {gid: CareNeeds([], [], period_start(r, now[gid])) for gid, r in rotas.items()}
    for a in slots:
        if a.period == now[a.group_id]:
            needs[a.group_id].tasks.append(a)
    for s in swaps:
        needs[s.assignment.group_id].swaps.append(s)
    return [(found[gid], n) for gid, n in sorted(needs.items(), key=lambda item: found[item[0]].name) if n]
