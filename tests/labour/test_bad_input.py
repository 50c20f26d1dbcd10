"""What a member (or anyone) may post to the care pages: ids that aren't ids, thanks to people outside
the group, and permission checked before any of the form is read."""
import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.events import Event
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group
from app.labour import assignments, availability, periods, planning, recognition
from app.labour.models import Absence, Assignment, CareTask, LedgerEntry, LoggedCare, Swap, Thanks, Willingness
from tests.labour.care_cast import attached, count, slots_of, start_rota

NOT_IDS = ["99999999999999999999", "-1", "0", "abc"]


def read(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _held_now(app, cast, person) -> int:
    """A slot `person` holds (given by a facilitator's override if need be), as its id."""
    with app.test_request_context():
        group, _admin, facilitator, *_ = attached(cast)
        mine = slots_of(person.id, group.id)
        if mine:
            return mine[0].id
        a = db.session.scalars(select(Assignment).where(Assignment.group_id == group.id,
                                                        Assignment.status == "assigned")).first()
        assignments.override(facilitator, a, person.id, "For the test")
        return a.id


def _done_by(app, cast, person) -> int:
    slot = _held_now(app, cast, person)
    with app.test_request_context():
        assignments.mark_done(db.session.get(User, person.id), db.session.get(Assignment, slot))
    return slot


def _confirmed_care(app, cast, person, by) -> int:
    with app.test_request_context():
        group = db.session.get(Group, cast.group.id)
        care = recognition.log_care(db.session.get(User, person.id), group, "Cooked", 2, periods.today_in(group))
        recognition.confirm_care(db.session.get(User, by.id), group, care.id)
        return care.id


# ---------------------------------------------------------------- ids that aren't ids


@pytest.mark.parametrize("value", NOT_IDS)
@pytest.mark.parametrize("field", ["to_user_id", "assignment_id", "care_id"])
def test_thanks_with_an_id_that_is_no_id_is_refused_and_saves_nothing(app, client, auth, cast, field, value):
    start_rota(app, cast)
    slot = _done_by(app, cast, cast.member)
    care = _confirmed_care(app, cast, cast.member, cast.admin)
    auth.login(cast.admin)
    data = {"to_user_id": cast.member.id, field: value}
    if field == "to_user_id":
        data["assignment_id"] = slot
    response = client.post("/g/coop/care/thanks", data=data)
    assert response.status_code == 422
    assert "Not a valid integer value." in read(response)
    with app.app_context():
        assert count(Thanks) == 0
        assert care and count(Event, Event.kind == "care.thanked") == 0


@pytest.mark.parametrize("value", NOT_IDS + [""])
def test_a_swap_with_an_id_that_is_no_id_is_refused_and_asks_nobody(app, client, auth, cast, value):
    start_rota(app, cast)
    slot = _held_now(app, cast, cast.member)
    auth.login(cast.member)
    response = client.post(f"/g/coop/care/slots/{slot}/swap", data={"to_user_id": value})
    assert response.status_code == 422 and "Choose another member of the group." in read(response)
    assert read(response).count("Choose another member of the group.") == 1  # one message, not one per check
    with app.app_context():
        assert count(Swap) == 0


@pytest.mark.parametrize("value", NOT_IDS + [""])
def test_an_override_with_an_id_that_is_no_id_is_refused_and_changes_nothing(app, client, auth, cast, value):
    start_rota(app, cast)
    slot = _held_now(app, cast, cast.member)
    auth.login(cast.facilitator)
    response = client.post(f"/g/coop/care/slots/{slot}/override", data={"to_user_id": value, "reason": "Because"})
    assert response.status_code == 422 and "Choose another member of the group." in read(response)
    with app.app_context():
        assert db.session.get(Assignment, slot).user_id == cast.member.id
        assert count(LedgerEntry, LedgerEntry.kind == "override") == 0


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "7", "abc", ""])
def test_starting_the_rota_on_a_day_that_is_no_weekday_is_refused(app, client, auth, cast, value):
    auth.login(cast.facilitator)
    response = client.post("/g/coop/care/setup", data={"weekday": value, "periods_ahead": 8})
    assert response.status_code == 422
    with app.app_context():
        assert periods.rota_of(db.session.get(Group, cast.group.id)) is None


# ---------------------------------------------------------------- thanks stay inside the group


def test_thanks_to_someone_outside_the_group_are_refused_and_show_nowhere(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    response = client.post("/g/coop/care/thanks", data={"to_user_id": cast.outsider.id, "message": "Hi"})
    assert response.status_code == 422 and "You can only thank a current member of the group." in read(response)
    auth.logout()
    auth.login(cast.outsider)
    assert "Hi" not in read(client.get(f"/u/{cast.outsider.handle}"))
    with app.app_context():
        assert count(Thanks) == 0 and count(Event, Event.kind == "care.thanked") == 0


def test_thanks_to_a_former_member_are_refused_even_for_work_they_did(app, client, auth, cast):
    start_rota(app, cast)
    slot = _done_by(app, cast, cast.member)
    care = _confirmed_care(app, cast, cast.member, cast.admin)
    with app.test_request_context():
        group, _admin, _fac, member, _out = attached(cast)
        groups.leave(member, group)
    auth.login(cast.admin)
    page = read(client.get("/g/coop/care"))
    assert f'name="to_user_id" value="{cast.member.id}"' not in page  # no button that would be refused
    for data in ({"assignment_id": slot}, {"care_id": care}, {}):
        response = client.post("/g/coop/care/thanks", data={"to_user_id": cast.member.id, **data})
        assert response.status_code == 422 and "You can only thank a current member" in read(response)
    with app.app_context():
        assert count(Thanks) == 0


def test_thanks_for_work_in_another_group_are_not_found(app, client, auth, cast):
    """The member also belongs to a second group, where they did work; thanks here can't point at it."""
    start_rota(app, cast)
    with app.test_request_context():
        _group, admin, _fac, member, _out = attached(cast)
        other = groups.create_group(admin, "Other co-op", "other", "", "private")
        _, token = groups.create_invitation(admin, other, "member", 7, None)
        groups.accept_invitation(member, token)
        today = periods.today_in(other)
        planning.set_up(admin, other, today - timedelta(days=today.weekday()), 2, True)
        planning.generate(admin, other)
        a = db.session.scalars(select(Assignment).where(Assignment.group_id == other.id,
                                                        Assignment.status == "assigned")).first()
        assignments.override(admin, a, member.id, "Test")
        assignments.mark_done(member, a)
        care = recognition.log_care(member, other, "Cooked", 2, today)
        recognition.confirm_care(admin, other, care.id)
        elsewhere, care_id = a.id, care.id
    auth.login(cast.admin)
    for data in ({"assignment_id": elsewhere}, {"care_id": care_id}):
        response = client.post("/g/coop/care/thanks", data={"to_user_id": cast.member.id, **data})
        assert response.status_code == 404
    with app.app_context():
        assert count(Thanks) == 0


# ---------------------------------------------------------------- permission first, whatever is posted


GARBAGE = {"to_user_id": "99999999999999999999", "assignment_id": "abc", "care_id": "-1", "level": "never",
           "starts_on": "0001-01-01", "ends_on": "nope", "description": "", "effort": "x", "done_on": "",
           "reason": "", "name": "", "weekday": "99", "periods_ahead": "0"}


def _posts(app, cast):
    """Every care POST route of the cast's group, with something real to point at."""
    slot = _held_now(app, cast, cast.member)
    with app.test_request_context():
        group, _admin, _fac, member, _out = attached(cast)
        swap = assignments.request_swap(member, db.session.get(Assignment, slot), None)
        care = recognition.log_care(member, group, "Cooked for the meeting", 2, periods.today_in(group))
        today = periods.today_in(group)
        absence = availability.add_absence(member, group, today + timedelta(days=60), today + timedelta(days=61))
        task_id = periods.tasks_of(group)[0].id
        ids = dict(slot=slot, swap=swap.id, care=care.id, absence=absence.id, task=task_id)
    base = f"/g/{cast.group.slug}/care"
    return [
        f"{base}/setup", f"{base}/slots/{ids['slot']}/done", f"{base}/slots/{ids['slot']}/missed",
        f"{base}/slots/{ids['slot']}/offer", f"{base}/slots/{ids['slot']}/swap", f"{base}/slots/{ids['slot']}/skip",
        f"{base}/slots/{ids['slot']}/override", f"{base}/swaps/{ids['swap']}/accept",
        f"{base}/swaps/{ids['swap']}/decline", f"{base}/absences", f"{base}/absences/{ids['absence']}/cancel",
        f"{base}/willingness/{ids['task']}", f"{base}/willingness", f"{base}/logged", f"{base}/logged/{ids['care']}/confirm",
        f"{base}/thanks", f"{base}/rota/regenerate", f"{base}/tasks", f"{base}/tasks/{ids['task']}",
        f"{base}/calendar/reset",
    ], ids


def _unchanged(app, ids, ledger_before):
    with app.app_context():
        assert count(LedgerEntry) == ledger_before
        assert db.session.get(Swap, ids["swap"]).status == "open"
        assert db.session.get(Absence, ids["absence"]).cancelled_at is None
        assert db.session.get(LoggedCare, ids["care"]).confirmed_at is None
        assert count(Thanks) == 0 and count(Willingness) == 0


@pytest.mark.parametrize("viewer", ["outsider", "former"])
def test_outsiders_of_a_private_group_get_not_found_whatever_they_post(app, client, auth, cast, viewer):
    start_rota(app, cast)
    paths, ids = _posts(app, cast)
    person = cast.outsider
    if viewer == "former":
        with app.test_request_context():
            group, _admin, facilitator, *_ = attached(cast)
            groups.leave(facilitator, group)
        person = cast.facilitator
    with app.app_context():
        before = count(LedgerEntry)
    auth.login(person)
    for path in paths:
        for data in (GARBAGE, {}):
            status = client.post(path, data=data).status_code
            assert status == 404, (path, data, status)
    _unchanged(app, ids, before)


def test_anonymous_visitors_are_sent_to_log_in_whatever_they_post(app, client, cast):
    start_rota(app, cast)
    paths, ids = _posts(app, cast)
    with app.app_context():
        before = count(LedgerEntry)
    for path in paths:
        response = client.post(path, data=GARBAGE)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    _unchanged(app, ids, before)


def test_non_members_of_a_public_group_are_forbidden_whatever_they_post(app, client, auth, make_cast):
    cast = make_cast("open", "public")
    start_rota(app, cast)
    paths, ids = _posts(app, cast)
    with app.app_context():
        before = count(LedgerEntry)
    auth.login(cast.outsider)
    for path in paths:
        if path.endswith("/calendar/reset"):
            continue  # their own calendar link: nothing of the group's
        for data in (GARBAGE, {}):
            assert client.post(path, data=data).status_code == 403, (path, data)
    _unchanged(app, ids, before)


def test_only_the_holder_may_ask_for_a_swap_whatever_they_post(app, client, auth, cast):
    start_rota(app, cast)
    slot = _held_now(app, cast, cast.member)
    auth.login(cast.admin)
    for data in (GARBAGE, {}, {"to_user_id": cast.facilitator.id}):
        assert client.post(f"/g/coop/care/slots/{slot}/swap", data=data).status_code == 403
    with app.app_context():
        assert count(Swap) == 0


def _not_for_a_plain_member(app, cast):
    """What a plain member of the group may not post — the facilitators' actions, and actions on a
    slot or a request that isn't theirs — each with a body that would otherwise be accepted."""
    theirs = _held_now(app, cast, cast.admin)
    with app.test_request_context():
        group, admin, facilitator, _member, _out = attached(cast)
        asked = assignments.request_swap(admin, db.session.get(Assignment, theirs), facilitator.id)
        task_id, swap_id = periods.tasks_of(group)[0].id, asked.id
    base = f"/g/{cast.group.slug}/care"
    task = {"name": "Book the room", "category": "logistics", "effort": 2, "recurrence": "every",
            "people_needed": 1, "active": "y"}
    posts = {
        f"{base}/setup": {"weekday": 0, "periods_ahead": 8, "starter": "y"},
        f"{base}/tasks": task,
        f"{base}/tasks/{task_id}": task,
        f"{base}/rota/regenerate": {},
        f"{base}/slots/{theirs}/skip": {},
        f"{base}/slots/{theirs}/override": {"to_user_id": cast.member.id, "reason": "I'll do it"},
        f"{base}/slots/{theirs}/done": {},
        f"{base}/slots/{theirs}/missed": {},
        f"{base}/slots/{theirs}/offer": {},
        f"{base}/slots/{theirs}/swap": {"to_user_id": cast.member.id},
        f"{base}/swaps/{swap_id}/accept": {},  # asked of the facilitator, not of them
        f"{base}/swaps/{swap_id}/decline": {},  # between two others
    }
    return posts, dict(slot=theirs, swap=swap_id, task=task_id)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_member_without_the_right_gets_the_same_refusal_whether_the_form_is_valid_or_not(
        app, client, auth, cast, htmx):
    start_rota(app, cast)
    posts, ids = _not_for_a_plain_member(app, cast)
    with app.app_context():
        before = (count(LedgerEntry), count(CareTask), count(Assignment), count(Swap))
    auth.login(cast.member)
    headers = {"HX-Request": "true"} if htmx else {}
    for path, valid in posts.items():
        for data in (valid, GARBAGE, {}):
            response = client.post(path, data=data, headers=headers)
            assert response.status_code == 403, (path, data, response.status_code)
            assert "You don't have permission to do that here." in read(response), (path, data)
    with app.app_context():
        assert (count(LedgerEntry), count(CareTask), count(Assignment), count(Swap)) == before
        assert db.session.get(Swap, ids["swap"]).status == "open"
        assert (db.session.get(Assignment, ids["slot"]).status, db.session.get(Assignment, ids["slot"]).user_id) == (
            "assigned", cast.admin.id)
        assert db.session.get(CareTask, ids["task"]).name != "Book the room"
    auth.logout()
    auth.login(cast.facilitator)  # the one asked may answer
    assert client.post(f"/g/coop/care/swaps/{ids['swap']}/decline").status_code == 302
    with app.app_context():
        assert db.session.get(Swap, ids["swap"]).status == "declined"
