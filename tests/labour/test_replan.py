"""Re-planning the future keeps what people agreed (docs/ROTA.md, "Re-planning the future"): accepted swaps, taken offers
and overrides stay; a pending request on a slot that changes is cancelled with a notice to both people;
and no re-plan ever fails, whatever swaps point at the slots it rewrites."""
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group
from app.labour import assignments, availability, book, periods
from app.labour.models import Absence, Assignment, CareTask, Swap
from app.notifications.models import Notification
from tests.labour.care_cast import attached, replan_confirmed, start_rota


def _future(group_id, holder_id, skip=()) -> Assignment:
    """A slot this person holds in a future week (not this one), avoiding `skip`."""
    group = db.session.get(Group, group_id)
    now = periods.current_period(periods.rota_of(group), group)
    return db.session.scalars(select(Assignment).where(
        Assignment.group_id == group_id, Assignment.user_id == holder_id, Assignment.period > now,
        Assignment.status == "assigned", Assignment.id.not_in(list(skip)) if skip else True,
    ).order_by(Assignment.period, Assignment.id)).first()


def _week(group, period):
    r = periods.rota_of(group)
    return periods.period_start(r, period)


def _cancel_notes(swap_id) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "swap_cancelled", Notification.target_type == "swap", Notification.target_id == swap_id)))


def test_time_away_after_a_swap_request_cancels_the_request_and_tells_both_people(app, client, auth, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, _fac, member, _out = attached(cast)
        slot = _future(group.id, member.id)
        swap = assignments.request_swap(member, slot, admin.id)
        slot_id, swap_id, week = slot.id, swap.id, _week(group, slot.period)
    auth.login(cast.member)
    response = client.post("/g/coop/care/absences", data={
        "starts_on": week.isoformat(), "ends_on": (week + timedelta(days=6)).isoformat()})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Swap, swap_id).status == "cancelled"
        assert db.session.get(Swap, swap_id).resolved_at is not None
        assert db.session.get(Assignment, slot_id).user_id != cast.member.id  # away: planned again
        assert _cancel_notes(swap_id) == {cast.member.id, cast.admin.id}
    auth.logout()
    auth.login(cast.admin)
    assert "is cancelled" in client.get("/notifications").get_data(as_text=True)


def _agreements(app, cast):
    """Every kind of thing people agreed on future slots, and one still pending:
    a pending swap (member → admin), a taken offer (facilitator's slot, taken by the member), an accepted
    swap (admin's slot, to the facilitator), an override (to the member) and a declined request."""
    with app.test_request_context():
        group, admin, facilitator, member, _out = attached(cast)
        pending = _future(group.id, member.id)
        assignments.request_swap(member, pending, admin.id)
        offered = _future(group.id, facilitator.id)
        assignments.accept_swap(member, assignments.request_swap(facilitator, offered, None))
        swapped = _future(group.id, admin.id)
        assignments.accept_swap(facilitator, assignments.request_swap(admin, swapped, facilitator.id))
        overridden = _future(group.id, admin.id, skip={swapped.id})
        assignments.override(facilitator, overridden, member.id, "Minji wants this one")
        declined = _future(group.id, admin.id, skip={swapped.id, overridden.id})
        assignments.decline_swap(facilitator, assignments.request_swap(admin, declined, facilitator.id))
        return {
            "pending": pending.id,
            "kept": {offered.id: member.id, swapped.id: facilitator.id, overridden.id: member.id},
            "declined": declined.id,
        }


def _last_week(app, cast):
    with app.app_context():
        group = db.session.get(Group, cast.group.id)
        r = periods.rota_of(group)
        return periods.period_start(r, periods.current_period(r, group) + r.periods_ahead)


TRIGGERS = ["absence", "cancel_absence", "willingness", "task_edit", "regenerate", "join", "capacity"]


def _trigger(app, client, auth, cast, make_user, trigger, made):
    """Re-plan the future one way, as the person who may; returns the response (or None for a service call)."""
    last = _last_week(app, cast)
    away = {"starts_on": last.isoformat(), "ends_on": (last + timedelta(days=3)).isoformat()}
    with app.app_context():
        kept_tasks = set(db.session.scalars(select(Assignment.task_id).where(
            Assignment.id.in_([*made["kept"], made["pending"]]))))
        task = db.session.scalars(select(CareTask).where(CareTask.group_id == cast.group.id)
                                  .order_by(CareTask.id)).all()
        free = next((t for t in task if t.id not in kept_tasks), task[0])
        edited = next(t for t in task if t.id in kept_tasks)
        free_id, edited_id, edited_name = free.id, edited.id, edited.name
    if trigger == "cancel_absence":
        auth.login(cast.admin)
        client.post("/g/coop/care/absences", data=away)
        with app.app_context():
            absence_id = db.session.scalar(select(Absence.id))
        return client.post(f"/g/coop/care/absences/{absence_id}/cancel")
    if trigger == "absence":
        auth.login(cast.admin)
        return client.post("/g/coop/care/absences", data=away)
    if trigger == "willingness":
        auth.login(cast.admin)
        return client.post(f"/g/coop/care/willingness/{free_id}", data={"level": "cannot"})
    if trigger == "task_edit":  # the points of a task people agreed on change: the agreements stand
        auth.login(cast.facilitator)
        return client.post(f"/g/coop/care/tasks/{edited_id}", data={
            "name": edited_name, "category": "other", "effort": 7, "recurrence": "every", "people_needed": 1,
            "active": "y"})
    if trigger == "regenerate":
        auth.login(cast.facilitator)
        return replan_confirmed(client)
    if trigger == "join":
        newcomer = make_user("newcomer")
        with app.test_request_context():
            group, admin, *_ = attached(cast)
            _, token = groups.create_invitation(admin, group, "member", 7, None)
            groups.accept_invitation(db.session.get(User, newcomer.id), token)
        return None
    with app.test_request_context():  # capacity
        group, admin, *_ = attached(cast)
        groups.set_capacity(admin, group, groups.policy.membership(admin, group).id, 50)
    return None


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_replan_keeps_agreed_slots_and_resolves_pending_requests(app, client, auth, cast, make_user, trigger):
    start_rota(app, cast)
    made = _agreements(app, cast)
    response = _trigger(app, client, auth, cast, make_user, trigger, made)
    assert response is None or response.status_code == 302
    with app.app_context():
        for slot_id, holder in made["kept"].items():
            a = db.session.get(Assignment, slot_id)
            assert (a.status, a.user_id) == ("assigned", holder), slot_id
        statuses = {s.assignment_id: s.status for s in db.session.scalars(select(Swap))}
        assert statuses[made["declined"]] == "declined"
        assert sum(statuses[k] == "accepted" for k in made["kept"] if k in statuses) == 2
        pending = db.session.scalar(select(Swap).where(Swap.assignment_id == made["pending"]))
        slot = db.session.get(Assignment, made["pending"])
        if pending.status == "open":  # its slot did not change: the request stands
            assert slot.user_id == cast.member.id
        else:
            assert pending.status == "cancelled" and slot.user_id != cast.member.id
            assert _cancel_notes(pending.id) == {cast.member.id, cast.admin.id}
        group = db.session.get(Group, cast.group.id)
        assert sum(book.balances(group).values(), Fraction(0)) == 0


def test_a_replan_that_leaves_a_slot_as_it_was_leaves_its_request_open(app, client, auth, cast):
    start_rota(app, cast)
    _agreements(app, cast)
    auth.login(cast.facilitator)
    assert replan_confirmed(client).status_code == 302  # the plan follows the agreements
    with app.test_request_context():
        group, admin, _fac, member, _out = attached(cast)
        asked = set(db.session.scalars(select(Swap.assignment_id).where(Swap.status == "open")))
        slot = _future(group.id, member.id, skip=asked)
        swap_id, slot_id = assignments.request_swap(member, slot, admin.id).id, slot.id
    assert replan_confirmed(client).status_code == 302  # nothing changed since
    with app.app_context():
        assert db.session.get(Swap, swap_id).status == "open"
        assert db.session.get(Assignment, slot_id).user_id == cast.member.id
        assert _cancel_notes(swap_id) == set()


@pytest.mark.parametrize("change", ["cannot", "away", "leaves"])
def test_a_request_to_someone_who_can_no_longer_take_it_is_cancelled_and_both_are_told(app, cast, change):
    start_rota(app, cast)
    with app.test_request_context():
        group, _admin, facilitator, member, _out = attached(cast)
        slot = _future(group.id, member.id)
        swap = assignments.request_swap(member, slot, facilitator.id)
        swap_id, week = swap.id, _week(group, slot.period)
        if change == "cannot":
            availability.set_willingness(facilitator, group, slot.task_id, "cannot")
        elif change == "away":
            availability.add_absence(facilitator, group, week, week + timedelta(days=6))
        else:
            groups.leave(facilitator, group)
        assert db.session.get(Swap, swap_id).status == "cancelled"
        told = _cancel_notes(swap_id)
        assert told == ({member.id} if change == "leaves" else {member.id, facilitator.id})


def test_asking_or_giving_a_slot_to_someone_away_or_unwilling_is_refused(app, client, auth, cast):
    start_rota(app, cast)
    with app.test_request_context():
        group, admin, facilitator, member, _out = attached(cast)
        slot = _future(group.id, member.id)
        week, slot_id = _week(group, slot.period), slot.id
        availability.set_willingness(admin, group, slot.task_id, "cannot")
        availability.add_absence(facilitator, group, week, week + timedelta(days=6))
        assert db.session.get(Assignment, slot_id).user_id == member.id
    auth.login(cast.member)
    for to in (cast.admin.id, cast.facilitator.id):
        response = client.post(f"/g/coop/care/slots/{slot_id}/swap", data={"to_user_id": to})
        assert response.status_code == 422 and "away that week or said they cannot" in response.get_data(as_text=True)
    assert client.post(f"/g/coop/care/slots/{slot_id}/offer").status_code == 302
    with app.app_context():
        offer_id = db.session.scalar(select(Swap.id).where(Swap.assignment_id == slot_id))
    auth.logout()
    for person in (cast.admin, cast.facilitator):
        auth.login(person)
        response = client.post(f"/g/coop/care/swaps/{offer_id}/accept")
        assert response.status_code == 422 and "away that week or said you cannot" in response.get_data(as_text=True)
        auth.logout()
    auth.login(cast.facilitator)
    response = client.post(f"/g/coop/care/slots/{slot_id}/override", data={"to_user_id": cast.admin.id, "reason": "x"})
    assert response.status_code == 422 and "away that week or said they cannot" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Swap, offer_id).status == "open"
        assert db.session.get(Assignment, slot_id).user_id == cast.member.id
        assert db.session.scalar(select(Swap.id).where(Swap.kind == "swap")) is None
