"""The care-work pages: who may see and do what, what bad input gets, what the pages say, and that
the grid and the dashboard run a fixed number of queries however many members there are."""
import html
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.accounts.models import User
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group
from app.labour import assignments, periods, planning, recognition
from app.labour.models import Absence, Assignment, CareTask, LedgerEntry, LoggedCare, Rota, Swap, Thanks, Willingness
from app.notifications.models import Notification
from tests.labour.care_cast import attached, count, slots_of, start_rota

def read(response) -> str:
    """The page as a reader sees it: entities decoded (so "can't" matches "can&#39;t")."""
    return html.unescape(response.get_data(as_text=True))


PAGES = ["/g/{slug}/care", "/g/{slug}/care/rota", "/g/{slug}/care/fairness", "/g/{slug}/care/tasks"]


def _now(group_id) -> int:
    group = db.session.get(Group, group_id)
    return periods.current_period(periods.rota_of(group), group)


def _slot(app, person, cast, status="assigned", current=True):
    """One of this person's slots (this week's if they have one), as (id, period)."""
    with app.app_context():
        now = _now(cast.group.id)
        mine = slots_of(person.id, cast.group.id, status=status)
        if current:
            mine = [a for a in mine if a.period == now] or mine
        return mine[0].id, mine[0].period


def _give_current_slot(app, cast, person):
    """Make sure `person` holds a slot this week (a facilitator override, with a reason)."""
    with app.test_request_context():
        group, _admin, facilitator, *_ = attached(cast)
        now = _now(group.id)
        mine = [a for a in slots_of(person.id, group.id, period=now)]
        if mine:
            return mine[0].id
        a = db.session.scalars(select(Assignment).where(Assignment.group_id == group.id, Assignment.period == now,
                                                        Assignment.status == "assigned")).first()
        assignments.override(facilitator, a, person.id, "Covering for the test")
        return a.id


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("role", ["member", "facilitator", "admin"])
def test_every_care_page_renders_for_members_in_every_role(app, client, auth, cast, role):
    start_rota(app, cast)
    auth.login(cast.person(role))
    for path in PAGES + ["/g/{slug}/care/calendar"]:
        response = client.get(path.format(slug="coop"))
        assert response.status_code == 200, path
        assert "Care work" in read(response)


def test_before_the_rota_facilitators_get_the_set_up_form_and_members_an_explanation(app, client, auth, cast):
    auth.login(cast.facilitator)
    page = read(client.get("/g/coop/care"))
    assert "Start the rota" in page and 'name="weekday"' in page and 'name="starter"' in page
    auth.logout()
    auth.login(cast.member)
    page = read(client.get("/g/coop/care"))
    assert "Care work isn't set up here yet" in page and 'name="weekday"' not in page
    assert client.post("/g/coop/care/setup", data={"weekday": 0, "periods_ahead": 8}).status_code == 403


def test_set_up_starts_on_the_chosen_weekday_with_starter_tasks_and_plans_ahead(app, client, auth, cast):
    auth.login(cast.facilitator)
    response = client.post("/g/coop/care/setup", data={"weekday": 2, "periods_ahead": 4, "starter": "y"})
    assert response.status_code == 302
    with app.app_context():
        group = db.session.get(Group, cast.group.id)
        r = periods.rota_of(group)
        today = periods.today_in(group)
        assert r.starts_on.weekday() == 2 and 0 <= (today - r.starts_on).days < 7
        assert r.periods_ahead == 4
        assert count(CareTask, CareTask.group_id == group.id) == 5
        assert count(Assignment, Assignment.group_id == group.id) > 0


@pytest.mark.parametrize("viewer", ["anonymous", "outsider"])
def test_a_private_groups_care_pages_are_not_found_for_outsiders_and_ask_anonymous_visitors_to_log_in(app, client, auth, cast, viewer):
    start_rota(app, cast)
    if viewer == "outsider":
        auth.login(cast.outsider)
    for path in PAGES:
        response = client.get(path.format(slug="coop"))
        if viewer == "outsider":
            assert response.status_code == 404, path
        else:  # logging in may show it: sent to log in and back, as for a group that doesn't exist
            assert response.location == f"/login?next={path.format(slug='coop')}", path
            assert client.get(path.format(slug="no-such-group")).location == f"/login?next={path.format(slug='no-such-group')}"
    if viewer == "outsider":
        assert client.get("/g/coop/care/calendar").status_code == 404
    else:  # the calendar settings are personal: log in first (the same for any address)
        assert client.get("/g/coop/care/calendar").status_code == 302


def test_a_private_groups_actions_are_not_found_for_outsiders(app, client, auth, cast):
    start_rota(app, cast)
    slot, _ = _slot(app, cast.member, cast)
    auth.login(cast.outsider)
    assert client.post(f"/g/coop/care/slots/{slot}/done").status_code == 404
    away = {"starts_on": "2030-01-01", "ends_on": "2030-01-02"}
    assert client.post("/g/coop/care/absences", data=away).status_code == 404


@pytest.mark.parametrize("viewer", ["anonymous", "outsider"])
def test_a_public_groups_care_pages_are_readable_by_anyone(app, client, auth, make_cast, viewer):
    cast = make_cast("open", "public")
    start_rota(app, cast)
    if viewer == "outsider":
        auth.login(cast.outsider)
    for path in PAGES:
        response = client.get(path.format(slug="open"))
        assert response.status_code == 200, path
        assert "Done" not in read(response)  # no buttons for people who can't act
    assert "Thank" not in read(client.get("/g/open/care"))


def test_a_public_groups_actions_are_forbidden_to_non_members_and_change_nothing(app, client, auth, make_cast):
    cast = make_cast("open", "public")
    start_rota(app, cast)
    slot, _ = _slot(app, cast.member, cast)
    with app.test_request_context():
        group, _admin, _fac, member, _out = attached(cast)
        swap = assignments.request_swap(member, db.session.get(Assignment, slot), None)
        task_id = periods.tasks_of(group)[0].id
        care = recognition.log_care(member, group, "Cooked for the meeting", 2, periods.today_in(group))
        swap_id, care_id = swap.id, care.id
        before = count(LedgerEntry)
    auth.login(cast.outsider)
    base = "/g/open/care"
    posts = {
        f"{base}/slots/{slot}/done": {},
        f"{base}/slots/{slot}/missed": {},
        f"{base}/slots/{slot}/offer": {},
        f"{base}/slots/{slot}/swap": {"to_user_id": cast.admin.id},
        f"{base}/slots/{slot}/skip": {},
        f"{base}/slots/{slot}/override": {"to_user_id": cast.admin.id, "reason": "because"},
        f"{base}/swaps/{swap_id}/accept": {},
        f"{base}/swaps/{swap_id}/decline": {},
        f"{base}/absences": {"starts_on": "2030-01-01", "ends_on": "2030-01-02"},
        f"{base}/willingness/{task_id}": {"level": "cannot"},
        f"{base}/logged": {"description": "x", "category": "other", "effort": 1, "done_on": "2020-01-01"},
        f"{base}/logged/{care_id}/confirm": {},
        f"{base}/thanks": {"to_user_id": cast.member.id, "care_id": care_id},
        f"{base}/rota/regenerate": {},
        f"{base}/tasks": {"name": "Sneaky", "category": "other", "effort": 1, "recurrence": "every",
                          "people_needed": 1},
        f"{base}/setup": {"weekday": 0, "periods_ahead": 8},
    }
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
    auth.logout()
    assert client.post(f"{base}/slots/{slot}/done").status_code == 302  # anonymous: log in first
    with app.app_context():
        assert count(LedgerEntry) == before
        assert db.session.get(Assignment, slot).status == "assigned"
        assert db.session.get(Swap, swap_id).status == "open"
        assert count(Absence) == 0 and count(Willingness) == 0 and count(Thanks) == 0
        assert db.session.get(LoggedCare, care_id).confirmed_at is None
        assert count(CareTask, CareTask.name == "Sneaky") == 0


# ---------------------------------------------------------------- what the pages say


def test_my_care_work_says_why_each_task_is_mine(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    page = read(client.get("/g/coop/care"))
    assert "Assigned " in page and "available members" in page and "fair share" in page
    assert "Who else could have taken it" in page
    assert "You're even with your fair share." in page


def test_my_balance_sentence_follows_the_ledger(app, client, auth, cast):
    start_rota(app, cast)
    slot, _ = _slot(app, cast.member, cast)
    auth.login(cast.member)
    assert client.post(f"/g/coop/care/slots/{slot}/done").status_code == 302
    page = read(client.get("/g/coop/care"))
    assert "Marked done" in page and "points more than your fair share" in page


def test_the_rota_grid_shows_names_marks_and_this_week(app, client, auth, cast):
    start_rota(app, cast)
    slot, period = _slot(app, cast.member, cast)
    auth.login(cast.member)
    client.post(f"/g/coop/care/slots/{slot}/done")
    page = read(client.get("/g/coop/care/rota"))
    assert "Coopmember" in page and "✓" in page and "this week" in page and 'aria-current="date"' in page
    assert "Regenerate the future" not in page and "Skip this week" not in page
    auth.logout()
    auth.login(cast.facilitator)
    page = read(client.get("/g/coop/care/rota"))
    assert "Regenerate the future" in page and "Skip this week" not in page  # calm until asked
    page = read(client.get("/g/coop/care/rota?change=1"))
    assert "Skip this week" in page and 'name="reason"' in page


def test_the_dashboard_draws_earned_and_owed_as_labelled_svg(app, client, auth, cast):
    start_rota(app, cast)
    slot, _ = _slot(app, cast.member, cast)
    auth.login(cast.member)
    client.post(f"/g/coop/care/slots/{slot}/done")
    page = read(client.get("/g/coop/care/fairness"))
    assert '<svg viewBox=' in page and 'role="img"' in page
    assert "<title id=\"bars-title\">" in page and "<desc id=\"bars-desc\">" in page
    assert "<text" in page and ">Coopmember</text>" in page and "earned " in page and "owed " in page
    assert 'class="grid numbers"' in page  # the same numbers as a table
    assert "Unfairness over time" in page and 'class="u-dot"' in page
    assert "Rotation: who held which task" not in page  # facilitators only
    auth.logout()
    auth.login(cast.facilitator)
    assert "Rotation: who held which task" in read(client.get("/g/coop/care/fairness"))


def test_the_alarm_shows_once_an_override_pushes_unfairness_over_the_bound(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    page = read(client.get("/g/coop/care/fairness"))
    assert "not shared fairly" not in page
    with app.app_context():
        now = _now(cast.group.id)
        this_week = [a.id for a in db.session.scalars(select(Assignment).where(
            Assignment.group_id == cast.group.id, Assignment.period == now, Assignment.status == "assigned"))]
    auth.logout()
    auth.login(cast.facilitator)
    for slot in this_week:
        response = client.post(f"/g/coop/care/slots/{slot}/override",
                               data={"to_user_id": cast.member.id, "reason": "Minji asked for more this week"})
        assert response.status_code == 302
    page = read(client.get("/g/coop/care/fairness"))
    assert "The plan ahead is not fair." in page  # as planned, before anything is done
    auth.logout()
    auth.login(cast.member)
    for slot in this_week:
        assert client.post(f"/g/coop/care/slots/{slot}/done").status_code == 302
    page = read(client.get("/g/coop/care/fairness"))
    assert "The care work is not shared fairly right now." in page and 'role="alert"' in page
    assert "Minji asked for more this week" in page and "less fair" in page


def test_group_home_needs_me_lists_my_care_this_week_and_swaps_asked_of_me(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    with app.app_context():
        task = db.session.get(Assignment, slot).task.name
    auth.login(cast.member)
    page = read(client.get("/g/coop"))
    assert task in page and "your care task this week" in page
    assert client.post(f"/g/coop/care/slots/{slot}/swap", data={"to_user_id": cast.admin.id}).status_code == 302
    auth.logout()
    auth.login(cast.admin)
    page = read(client.get("/g/coop"))
    assert "Coopmember asked you to take" in page and "swap request" in page


def test_care_events_read_as_sentences_on_the_timeline_and_in_notifications(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    client.post(f"/g/coop/care/slots/{slot}/swap", data={"to_user_id": cast.admin.id})
    auth.logout()
    auth.login(cast.admin)
    inbox = read(client.get("/notifications"))
    assert "Coopmember asked you to take over" in inbox
    with app.app_context():
        swap_id = db.session.scalar(select(Swap.id).where(Swap.assignment_id == slot))
        note = db.session.scalar(select(Notification).where(Notification.user_id == cast.admin.id,
                                                            Notification.kind == "swap"))
        note_id = note.id
    opened = client.post(f"/notifications/{note_id}/read")
    assert opened.headers["Location"].endswith("/g/coop/care#swaps")
    assert client.post(f"/g/coop/care/swaps/{swap_id}/accept").status_code == 302
    client.post(f"/g/coop/care/slots/{slot}/done")
    client.post("/g/coop/care/thanks", data={"to_user_id": cast.admin.id, "assignment_id": slot})
    auth.logout()
    auth.login(cast.member)
    assert "Coopadmin took over" in read(client.get("/notifications"))
    client.post("/g/coop/care/thanks", data={"to_user_id": cast.admin.id, "assignment_id": slot,
                                             "message": "You saved my week"})
    home = read(client.get("/g/coop"))
    assert "started the <a" in home and "Coopadmin took over" in home
    assert "Coopmember thanked Coopadmin: “You saved my week”" in home
    auth.logout()
    auth.login(cast.admin)
    assert "Coopmember thanked you: “You saved my week”" in read(client.get("/notifications"))
    assert "You saved my week" in read(client.get("/g/coop/care"))  # thanks I received


# ---------------------------------------------------------------- doing the work


def test_done_without_javascript_redirects_and_with_htmx_swaps_the_part(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    response = client.post(f"/g/coop/care/slots/{slot}/missed", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in read(response) and 'id="mine-region"' in read(response)
    assert "Marked missed" in response.headers["HX-Trigger"]  # said with the block (app.core.announce)
    with app.app_context():
        assert db.session.get(Assignment, slot).status == "missed"
        reoffered = db.session.scalar(select(Swap).where(Swap.kind == "offer", Swap.status == "open"))
        assert reoffered is not None
        reoffered_id = reoffered.id
    auth.logout()
    auth.login(cast.admin)
    assert "was missed and is open to anyone" in read(client.get("/g/coop/care"))
    assert client.post(f"/g/coop/care/swaps/{reoffered_id}/accept").status_code == 302


def test_with_htmx_a_slot_action_answers_its_block_and_reads_only_what_the_block_shows(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    rest_of_the_page = ("FROM thanks", "FROM logged_care", "FROM absences", "FROM willingness")
    with counting(app) as statements:
        page = client.get("/g/coop/care")
    assert all(any(table in s for s in statements) for table in rest_of_the_page)  # the whole page reads them
    with counting(app) as statements:
        response = client.post(f"/g/coop/care/slots/{slot}/offer", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = read(response)
    assert "<html" not in body and 'id="mine-region"' in body and "Offered up." in response.headers["HX-Trigger"]
    assert 'id="thanks"' not in body and 'id="absences"' not in body and 'id="thanks"' in read(page)
    assert not [s for s in statements if any(table in s for table in rest_of_the_page)]


def test_with_htmx_a_refused_swap_answers_its_block_with_the_message_by_the_field(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    response = client.post(f"/g/coop/care/slots/{slot}/swap", data={"to_user_id": cast.outsider.id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = read(response)
    assert "<html" not in body and 'id="mine-region"' in body
    assert f'aria-describedby="swap-{slot}-errors"' in body and "Choose another member of the group." in body
    without_js = read(client.post(f"/g/coop/care/slots/{slot}/swap", data={"to_user_id": cast.outsider.id}))
    assert "<html" in without_js and f'aria-describedby="swap-{slot}-errors"' in without_js


def test_willingness_absences_logged_care_and_thanks_round_trip(app, client, auth, cast):
    start_rota(app, cast)
    with app.app_context():
        task_id = periods.tasks_of(db.session.get(Group, cast.group.id))[0].id
    auth.login(cast.member)
    assert client.post(f"/g/coop/care/willingness/{task_id}", data={"level": "cannot"}).status_code == 302
    assert client.post("/g/coop/care/absences", data={"starts_on": "2031-03-01", "ends_on": "2031-03-10",
                                                      "note": "Jeju"}).status_code == 302
    assert "Jeju" in read(client.get("/g/coop/care"))
    with app.app_context():
        level = db.session.scalar(select(Willingness.level).where(Willingness.user_id == cast.member.id))
        absence_id = db.session.scalar(select(Absence.id))
        today = periods.today_in(db.session.get(Group, cast.group.id))
    assert level == "cannot"
    assert client.post(f"/g/coop/care/absences/{absence_id}/cancel").status_code == 302
    assert "Jeju" not in read(client.get("/g/coop/care"))
    assert client.post("/g/coop/care/logged", data={"description": "Organised the dinner", "category": "other",
                                                    "effort": 2, "done_on": today.isoformat()}).status_code == 302
    auth.logout()
    auth.login(cast.admin)
    page = read(client.get("/g/coop/care"))
    assert "Organised the dinner" in page and "Confirm" in page
    with app.app_context():
        care_id = db.session.scalar(select(LoggedCare.id))
    assert client.post(f"/g/coop/care/logged/{care_id}/confirm").status_code == 302
    assert "♥ Thank" in read(client.get("/g/coop/care"))
    thanks = {"to_user_id": cast.member.id, "care_id": care_id}
    assert client.post("/g/coop/care/thanks", data=thanks).status_code == 302
    assert "You thanked them" in read(client.get("/g/coop/care"))


def test_facilitators_define_and_edit_tasks_and_members_only_read_them(app, client, auth, cast):
    start_rota(app, cast, starter=False)
    auth.login(cast.facilitator)
    response = client.post("/g/coop/care/tasks", data={
        "name": "Book the room", "description": "Call the library", "category": "logistics", "effort": 2,
        "recurrence": "every_2nd", "people_needed": 1, "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        task_id = db.session.scalar(select(CareTask.id).where(CareTask.name == "Book the room"))
    assert client.get(f"/g/coop/care/tasks/{task_id}").status_code == 200
    assert client.post(f"/g/coop/care/tasks/{task_id}", data={
        "name": "Book the room", "category": "logistics", "effort": 3, "recurrence": "every",
        "people_needed": 2}).status_code == 302
    with app.app_context():
        task = db.session.get(CareTask, task_id)
        assert (task.effort, task.people_needed, task.active) == (3, 2, False)
    auth.logout()
    auth.login(cast.member)
    page = read(client.get("/g/coop/care/tasks"))
    assert "Book the room" in page and "Add a task" not in page
    assert client.get(f"/g/coop/care/tasks/{task_id}").status_code == 403


# ---------------------------------------------------------------- bad input


def test_an_absence_ending_before_it_starts_is_refused_and_nothing_is_saved(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    response = client.post("/g/coop/care/absences", data={"starts_on": "2031-03-10", "ends_on": "2031-03-01"})
    assert response.status_code == 422
    assert "An absence can't end before it starts." in read(response) and 'aria-invalid="true"' in read(response)
    response = client.post("/g/coop/care/absences", data={"starts_on": "not a date", "ends_on": ""})
    assert response.status_code == 422
    with app.app_context():
        assert count(Absence) == 0
        assert count(LedgerEntry, LedgerEntry.kind == "absence") == 0


@pytest.mark.parametrize("field,value,message", [
    ("effort", 0, "Effort is between 1 and 20 points."),
    ("effort", 21, "Effort is between 1 and 20 points."),
    ("effort", "lots", "Effort is between 1 and 20 points."),
    ("people_needed", 0, "Between 1 and 20 people."),
    ("people_needed", 99, "Between 1 and 20 people."),
    ("name", "", "Give the task a name."),
    ("name", "x" * 121, "at most 120 characters"),
])
def test_a_task_out_of_range_is_refused_and_nothing_is_saved(app, client, auth, cast, field, value, message):
    start_rota(app, cast, starter=False)
    auth.login(cast.facilitator)
    data = {"name": "Book the room", "category": "logistics", "effort": 2, "recurrence": "every",
            "people_needed": 1, "active": "y", field: value}
    response = client.post("/g/coop/care/tasks", data=data)
    assert response.status_code == 422
    assert message in read(response) or (field == "effort" and "Not a valid integer" in read(response))
    with app.app_context():
        assert count(CareTask) == 0


@pytest.mark.parametrize("weeks", [0, 53])
def test_planning_out_of_range_is_refused(app, client, auth, cast, weeks):
    auth.login(cast.facilitator)
    response = client.post("/g/coop/care/setup", data={"weekday": 0, "periods_ahead": weeks})
    assert response.status_code == 422 and "Plan between 1 and 52 weeks ahead." in read(response)
    with app.app_context():
        assert count(Rota) == 0


def test_logging_care_out_of_range_or_in_the_future_is_refused(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    with app.app_context():
        tomorrow = periods.today_in(db.session.get(Group, cast.group.id)) + timedelta(days=1)
    for data, message in [
        ({"description": "Dinner", "category": "other", "effort": 25, "done_on": "2026-01-01"}, "between 1 and 20"),
        ({"description": "", "category": "other", "effort": 2, "done_on": "2026-01-01"}, "1–300 characters"),
        ({"description": "Dinner", "category": "other", "effort": 2, "done_on": tomorrow.isoformat()},
         "can't be in the future"),
    ]:
        response = client.post("/g/coop/care/logged", data=data)
        assert response.status_code == 422 and message in read(response)
    with app.app_context():
        assert count(LoggedCare) == 0


def test_swapping_with_someone_outside_the_group_is_refused(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    for to in (cast.outsider.id, 999_999, "", "nobody", cast.member.id):
        response = client.post(f"/g/coop/care/slots/{slot}/swap", data={"to_user_id": to})
        assert response.status_code == 422, to
        assert "Choose another member of the group." in read(response)
    with app.app_context():
        assert count(Swap) == 0 and count(Notification, Notification.kind == "swap") == 0


def test_accepting_a_swap_twice_is_refused_the_second_time(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    client.post(f"/g/coop/care/slots/{slot}/offer")
    with app.app_context():
        swap_id = db.session.scalar(select(Swap.id))
    auth.logout()
    auth.login(cast.admin)
    assert client.post(f"/g/coop/care/swaps/{swap_id}/accept").status_code == 302
    again = client.post(f"/g/coop/care/swaps/{swap_id}/accept")
    assert again.status_code == 422 and "already taken" in read(again)
    auth.logout()
    auth.login(cast.facilitator)
    late = client.post(f"/g/coop/care/swaps/{swap_id}/accept")
    assert late.status_code == 422
    with app.app_context():
        assert db.session.get(Assignment, slot).user_id == cast.admin.id
        assert count(LedgerEntry, LedgerEntry.kind == "offer") == 1


def test_marking_someone_elses_task_done_is_forbidden(app, client, auth, cast):
    start_rota(app, cast)
    with app.app_context():
        theirs_id = slots_of(cast.admin.id, cast.group.id)[0].id
    auth.login(cast.member)
    for action in ("done", "missed", "offer", "skip"):
        response = client.post(f"/g/coop/care/slots/{theirs_id}/{action}")
        assert response.status_code == 403, action
        assert "You don't have permission to do that here." in read(response)
    with app.app_context():
        assert db.session.get(Assignment, theirs_id).status == "assigned"
        assert count(LedgerEntry, LedgerEntry.kind.in_(("done", "miss", "skip"))) == 0
        assert count(Swap) == 0


def test_marking_a_task_done_twice_is_refused_the_second_time(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    assert client.post(f"/g/coop/care/slots/{slot}/done").status_code == 302
    again = client.post(f"/g/coop/care/slots/{slot}/done")
    assert again.status_code == 422 and "already marked" in read(again)
    with app.app_context():
        assert count(LedgerEntry, LedgerEntry.kind == "done") == 1


def test_an_override_without_a_reason_is_refused_and_changes_nothing(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.facilitator)
    response = client.post(f"/g/coop/care/slots/{slot}/override", data={"to_user_id": cast.admin.id, "reason": "  "})
    assert response.status_code == 422
    assert "Say why: overrides are visible to everyone." in read(response) and 'aria-invalid="true"' in read(response)
    response = client.post(f"/g/coop/care/slots/{slot}/override", data={"to_user_id": cast.outsider.id, "reason": "x"})
    assert response.status_code == 422 and "Choose another member of the group." in read(response)
    with app.app_context():
        assert db.session.get(Assignment, slot).user_id == cast.member.id
        assert count(LedgerEntry, LedgerEntry.kind == "override") == 0


def test_thanking_yourself_or_work_that_isnt_theirs_is_refused(app, client, auth, cast):
    start_rota(app, cast)
    slot = _give_current_slot(app, cast, cast.member)
    auth.login(cast.member)
    client.post(f"/g/coop/care/slots/{slot}/done")
    response = client.post("/g/coop/care/thanks", data={"to_user_id": cast.member.id, "assignment_id": slot})
    assert response.status_code == 422 and "Thank someone else" in read(response)
    auth.logout()
    auth.login(cast.admin)
    assert client.post("/g/coop/care/thanks", data={"to_user_id": cast.facilitator.id,
                                                    "assignment_id": slot}).status_code == 404
    response = client.post("/g/coop/care/thanks", data={"to_user_id": cast.member.id, "assignment_id": slot,
                                                        "message": "x" * 501})
    assert response.status_code == 422 and "under 500 characters" in read(response)
    with app.app_context():
        assert count(Thanks) == 0


def test_willingness_must_be_one_of_the_three(app, client, auth, cast):
    start_rota(app, cast)
    with app.app_context():
        task_id = periods.tasks_of(db.session.get(Group, cast.group.id))[0].id
    auth.login(cast.member)
    response = client.post(f"/g/coop/care/willingness/{task_id}", data={"level": "never"})
    assert response.status_code == 422 and "Choose happy, rather not or cannot." in read(response)
    assert client.post("/g/coop/care/willingness/999999", data={"level": "cannot"}).status_code == 404
    with app.app_context():
        assert count(Willingness) == 0


# ---------------------------------------------------------------- no N+1


@contextmanager
def counting(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _busy_group(app, make_user, slug, size):
    """A group of `size` members with a rota in use: work done and missed, a swap, an offer, an override,
    confirmed logged care and thanks — so every part of every page has rows to show."""
    people = [make_user(f"{slug}{i}") for i in range(size)]
    with app.test_request_context():
        admin = db.session.get(User, people[0].id)
        group = groups.create_group(admin, f"{slug} co-op", slug, "", "private")
        for person in people[1:]:
            _, token = groups.create_invitation(admin, group, "facilitator", 7, None)
            groups.accept_invitation(db.session.get(User, person.id), token)
        today = periods.today_in(group)
        planning.set_up(admin, group, today - timedelta(days=today.weekday() + 14), 8, True)
        planning.generate(admin, group)
        for task in periods.tasks_of(group):
            task.people_needed = 2
        db.session.commit()
        now = periods.current_period(periods.rota_of(group), group)
        slots = list(db.session.scalars(select(Assignment).where(Assignment.group_id == group.id,
                                                                 Assignment.period == now).order_by(Assignment.id)))
        holder = lambda a: db.session.get(User, a.user_id)  # noqa: E731
        assignments.mark_done(holder(slots[0]), slots[0])
        assignments.mark_missed(holder(slots[1]), slots[1])
        assignments.request_swap(holder(slots[2]), slots[2], next(p.id for p in people if p.id != slots[2].user_id))
        assignments.request_swap(holder(slots[3]), slots[3], None)
        assignments.override(admin, slots[4], next(p.id for p in people if p.id != slots[4].user_id), "Balance it out")
        care = recognition.log_care(db.session.get(User, people[1].id), group, "Dinner", 2, today)
        recognition.confirm_care(db.session.get(User, people[2].id), group, care.id)
        thanker = next(p for p in people if p.id != slots[0].done_by_id)
        recognition.thank(db.session.get(User, thanker.id), group, slots[0].done_by_id, "Thanks!",
                       assignment_id=slots[0].id)
    return people[0]


@pytest.mark.parametrize("path", ["/g/{slug}/care/rota", "/g/{slug}/care/fairness"])
def test_the_grid_and_the_dashboard_run_the_same_queries_for_5_and_20_members(app, client, auth, make_user, path):
    measured = []
    for slug, size in (("small", 5), ("large", 20)):
        viewer = _busy_group(app, make_user, slug, size)
        auth.login(viewer)
        url = path.format(slug=slug)
        assert client.get(url).status_code == 200
        with counting(app) as statements:
            assert client.get(url).status_code == 200
        measured.append(len(statements))
        auth.logout()
    assert measured[0] == measured[1], measured
