"""Ledger events through the services: each keeps Σ balances at zero and moves only what it should."""
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from app.core.errors import NotAllowed
from app.core.extensions import db
from app.groups import services as groups
from app.labour import assignments, availability, book, periods, planning, recognition, tasks
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
        assignments.override(facilitator, slot, member.id, "Minji asked for this one")
        availability.set_willingness(admin, group, task_id, "rather_not")  # regenerates the future
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
            assignments.mark_done(member, mine[0])
        others = [a for a in now if a.status == "assigned"]
        if others:
            assignments.mark_missed(facilitator, others[0])
        today = periods.today_in(group)
        availability.add_absence(admin, group, today + timedelta(days=7), today + timedelta(days=20))
        care = recognition.log_care(member, group, "Organised the dinner", 2, today)
        recognition.confirm_care(admin, group, care.id)
        groups.set_capacity(member, group, groups.policy.membership(member, group).id, 50)
        assert sum(book.balances(group).values(), Fraction(0)) == 0
        kinds = set(db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.group_id == group.id)))
        assert {"join", "absence", "logged_care", "capacity"} <= kinds


def test_leaving_spreads_the_balance_and_keeps_the_sum_at_zero(app, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, _ = attached(cast)
        for a in db.session.scalars(select(Assignment).where(Assignment.group_id == group.id,
                                                             Assignment.period == 0)).all():
            assignments.mark_done(facilitator, a)
        before = book.balances(group)
        groups.leave(member, group)
        after = book.balances(group)
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
        before = book.balances(group)
        swap = assignments.request_swap(holder, slot, member.id)
        assignments.accept_swap(member, swap)
        assignments.mark_done(member, slot)
        after = book.balances(group)
        moved = {m for m in after if after[m] != before.get(m)}
        assert member.id in moved and sum(after.values(), Fraction(0)) == 0
        assert slot.done_by_id == member.id


def test_the_services_check_permission_themselves_whoever_calls_them(app, cast):
    """A route asks first; a service asks again, so a script or a test can't skip the rule."""
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, outsider = attached(cast)
        theirs = _future_slot(group.id, user_id=member.id)
        asked = assignments.request_swap(db.session.get(type(member), theirs.user_id), theirs,
                                         next(p.id for p in (admin, facilitator) if p.id != theirs.user_id))
        today = periods.today_in(group)
        refused = [
            lambda: planning.generate(member, group),
            lambda: tasks.save_task(member, group, tasks.TaskDraft("Book the room")),
            lambda: assignments.mark_done(member, theirs),
            lambda: assignments.mark_skipped(member, theirs),
            lambda: assignments.override(member, theirs, member.id, "Mine now"),
            lambda: assignments.request_swap(member, theirs, None),
            lambda: assignments.accept_swap(member, asked),
            lambda: assignments.decline_swap(member, asked),
            lambda: availability.add_absence(outsider, group, today, today),
            lambda: recognition.log_care(outsider, group, "Cooked", 1, today),
        ]
        for call in refused:
            with pytest.raises(NotAllowed):
                call()
            db.session.rollback()
        assert asked.status == "open" and theirs.status == "assigned" and theirs.user_id != member.id
