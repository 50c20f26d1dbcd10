"""Whatever people do — join, change roles, leave, remove — a group keeps an admin, and a working
group only has members of its co-op."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.errors import Missing, NotAllowed, Refused
from app.core.extensions import db
from app.groups import policy, services
from app.groups.models import ROLES, Membership

PEOPLE = 4  # few people, so operations meet; person 0 starts the co-op and its working group
person = st.integers(0, PEOPLE - 1)
role = st.sampled_from(ROLES)
operation = st.one_of(
    st.tuples(st.just("join"), person, role),  # by an invitation link the co-op's starter made
    st.tuples(st.just("role"), person, person, role),  # actor, target, new role
    st.tuples(st.just("leave"), person),
    st.tuples(st.just("remove"), person, person),  # actor, target
    st.tuples(st.just("join working group"), person),
    st.tuples(st.just("add to working group"), person, person),  # actor, target
    st.tuples(st.just("leave working group"), person),
)
slugs = (f"prop-{n}" for n in itertools.count())


@pytest.fixture
def people(make_user, ctx):
    return [db.session.get(User, make_user(f"prop{i}").id) for i in range(PEOPLE)]


def current(group, role=None) -> set[int]:
    query = select(Membership.user_id).where(Membership.group_id == group.id, Membership.left_at.is_(None))
    if role:
        query = query.where(Membership.role == role)
    return set(db.session.scalars(query))


def membership_id(user, group) -> int:
    found = policy.membership(user, group)
    return found.id if found else 0


def run(op, people, coop, circle):
    name, *args = op
    if name == "join":
        _, token = services.create_invitation(_an_admin(coop, people), coop, args[1], 7, 1)
        services.accept_invitation(people[args[0]], token)
    elif name == "role":
        services.change_role(people[args[0]], coop, membership_id(people[args[1]], coop), args[2])
    elif name == "leave":
        services.leave(people[args[0]], coop)
    elif name == "remove":
        services.remove_member(people[args[0]], coop, membership_id(people[args[1]], coop))
    elif name == "join working group":
        services.join_working_group(people[args[0]], circle)
    elif name == "add to working group":
        services.add_to_working_group(people[args[0]], circle, people[args[1]].id)
    elif name == "leave working group":
        services.leave(people[args[0]], circle)


def _an_admin(coop, people):
    admins = current(coop, "admin")
    return next(p for p in people if p.id in admins)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, max_size=15))
def test_a_group_always_keeps_an_admin_and_working_groups_only_hold_co_op_members(people, operations):
    coop = services.create_group(people[0], "Property Co-op", next(slugs), "", "private")
    circle = services.create_group(people[0], "Property circle", next(slugs), "", "public", coop)
    for op in operations:
        try:
            run(op, people, coop, circle)
        except (Refused, NotAllowed, Missing):
            db.session.rollback()
        assert current(coop, "admin"), f"no admin left after {op}"
        assert current(circle) <= current(coop), f"a working-group member outside the co-op after {op}"
        assert policy.can_admin(_an_admin(coop, people), circle)
    one_each = select(func.count()).select_from(Membership).where(Membership.left_at.is_(None)).group_by(
        Membership.group_id, Membership.user_id
    )
    assert set(db.session.scalars(one_each)) <= {1}
