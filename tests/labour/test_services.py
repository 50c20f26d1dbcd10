"""Ledger events through the services: each keeps Σ balances at zero and moves only what it should."""
from datetime import timedelta
from fractions import Fraction

from sqlalchemy import select

from app.core.extensions import db
from app.groups import services as groups
from app.labour import services
from app.labour.models import Assignment, LedgerEntry
from tests.labour.care_cast import attached, start_rota


def _future_slot(group_id, user_id=None):
    query = select(Assignment).where(Assignment.group_id == group_id, Assignment.period > 0,
                                     Assignment.status == "assigned")
    if user_id is not None:
        query = query.where(Assignment.user_id != user_id)
    return db.session.scalars(query.order_by(Assignment.period, Assignment.id)).first()


def test_override_survives_a_later_regeneration(app, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, _ = attached(cast)
        slot = _future_slot(group.id, user_id=member.id)
        task_id, period, number = slot.task_id, slot.period, slot.slot
        services.override(facilitator, slot, member.id, "Minji asked for this one")
        services.set_willingness(admin, group, task_id, "rather_not")  # regenerates the future
        again = db.session.scalar(select(Assignment).where(
            Assignment.task_id == task_id, Assignment.period == period, Assignment.slot == number))
        assert again is not None and again.user_id == member.id
        assert again.reason["override"]["reason"] == "Minji asked for this one"


def test_balances_sum_to_zero_through_every_kind_of_event(app, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, _ = attached(cast)
        now = db.session.scalars(select(Assignment).where(Assignment.group_id == group.id,
                                                          Assignment.period == 0)).all()
        mine = [a for a in now if a.user_id == member.id]
        if mine:
            services.mark_done(member, mine[0])
        others = [a for a in now if a.status == "assigned"]
        if others:
            services.mark_missed(facilitator, others[0])
        today = services.today_in(group)
        services.add_absence(admin, group, today + timedelta(days=7), today + timedelta(days=20))
        care = services.log_care(member, group, "Organised the dinner", 2, today)
        services.confirm_care(admin, group, care.id)
        groups.set_capacity(member, group, groups.policy.membership(member, group).id, 50)
        assert sum(services.balances(group).values(), Fraction(0)) == 0
        kinds = set(db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.group_id == group.id)))
        assert {"join", "absence", "logged_care", "capacity"} <= kinds


def test_leaving_spreads_the_balance_and_keeps_the_sum_at_zero(app, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, _ = attached(cast)
        for a in db.session.scalars(select(Assignment).where(Assignment.group_id == group.id,
                                                             Assignment.period == 0)).all():
            services.mark_done(facilitator, a)
        before = services.balances(group)
        groups.leave(member, group)
        after = services.balances(group)
        assert member.id not in after and sum(after.values(), Fraction(0)) == 0
        assert before[member.id] == 0 or after != {k: v for k, v in before.items() if k != member.id}
        future = db.session.scalars(select(Assignment).where(Assignment.user_id == member.id,
                                                             Assignment.period > 0)).all()
        assert future == []


def test_a_swap_gives_the_credit_to_who_did_the_work(app, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, _ = attached(cast)
        slot = db.session.scalars(select(Assignment).where(
            Assignment.group_id == group.id, Assignment.period == 0, Assignment.user_id != member.id)).first()
        holder = db.session.get(type(member), slot.user_id)
        before = services.balances(group)
        swap = services.request_swap(holder, slot, member.id)
        services.accept_swap(member, swap)
        services.mark_done(member, slot)
        after = services.balances(group)
        moved = {m for m in after if after[m] != before.get(m)}
        assert member.id in moved and sum(after.values(), Fraction(0)) == 0
        assert slot.done_by_id == member.id
