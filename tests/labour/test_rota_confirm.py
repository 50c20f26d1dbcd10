"""The rota page's controls: "Regenerate the future" asks first (a dry run says what would change, and nothing
changes until the facilitator confirms that exact plan); what a member is willing to do is one form with one
save; the grid offers swap and change controls only where they apply."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.groups.models import Group
from app.labour import availability, periods, planning
from app.labour.models import Assignment, CareTask, Rota, Willingness
from tests.conftest import ROLES
from tests.labour.care_cast import attached, count, start_rota

REPLAN = "/g/coop/care/rota/regenerate"


def read(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _plan(app, cast) -> list[tuple]:
    """Every slot as it stands: what a re-plan would change."""
    with app.app_context():
        return [(a.id, a.task_id, a.period, a.slot, a.user_id, a.status) for a in db.session.scalars(
            select(Assignment).where(Assignment.group_id == cast.group.id).order_by(Assignment.id))]


def _make_the_plan_stale(app, cast):
    """Someone says "cannot" behind the planner's back (no re-plan), so a re-plan would change things."""
    with app.app_context():
        group = db.session.get(Group, cast.group.id)
        now = periods.current_period(periods.rota_of(group), group)
        held = db.session.scalars(select(Assignment).where(
            Assignment.group_id == group.id, Assignment.period > now, Assignment.user_id == cast.member.id)).all()
        for task_id in {a.task_id for a in held}:
            db.session.add(Willingness(group_id=group.id, user_id=cast.member.id, task_id=task_id, level="cannot"))
        db.session.commit()
        return len(held)


def _fingerprint(page: str) -> str:
    return re.search(r'name="confirmed" value="([0-9a-f]+)"', page).group(1)


def test_regenerate_asks_first_and_says_what_would_change_without_changing_anything(app, client, auth, cast):
    start_rota(app, cast)
    moved = _make_the_plan_stale(app, cast)
    before = _plan(app, cast)
    auth.login(cast.facilitator)
    response = client.get(REPLAN)
    page = read(response)
    assert response.status_code == 200 and "Re-plan the future?" in page
    assert "future slots will be planned afresh" in page and "What changes" in page
    with app.test_request_context():
        group, _admin, facilitator, *_ = attached(cast)
        shown = planning.preview(facilitator, group)
    assert len(shown.changes) >= moved > 0  # at least every slot of a task the member now cannot do
    assert f"{shown.planned} future slots will be planned afresh" in page
    assert f"{len(shown.changes)} of them change (listed below)" in page
    assert page.count('class="replan-change"') == len(shown.changes)  # one line per change
    assert _plan(app, cast) == before  # the dry run wrote nothing


def test_posting_without_the_confirmation_shows_it_and_changes_nothing(app, client, auth, cast):
    start_rota(app, cast)
    _make_the_plan_stale(app, cast)
    before = _plan(app, cast)
    auth.login(cast.facilitator)
    for data in ({}, {"confirmed": ""}, {"confirmed": "   "}):
        response = client.post(REPLAN, data=data)
        assert response.status_code == 200 and "Re-plan the future?" in read(response)
    assert _plan(app, cast) == before


@pytest.mark.parametrize("confirmed", ["0123456789abcdef", "not a fingerprint", "x" * 5000, "\u212b\u00e9"])
def test_a_confirmation_of_some_other_plan_changes_nothing_and_shows_the_current_one(app, client, auth, cast,
                                                                                      confirmed):
    start_rota(app, cast)
    _make_the_plan_stale(app, cast)
    before = _plan(app, cast)
    auth.login(cast.facilitator)
    response = client.post(REPLAN, data={"confirmed": confirmed})
    page = read(response)
    assert response.status_code == 409
    assert "The rota changed since you looked" in page and 'name="confirmed"' in page
    assert _plan(app, cast) == before


def test_confirming_what_was_shown_re_plans_exactly_that(app, client, auth, cast):
    start_rota(app, cast)
    _make_the_plan_stale(app, cast)
    auth.login(cast.facilitator)
    page = read(client.get(REPLAN))
    with app.test_request_context():
        group, _admin, facilitator, *_ = attached(cast)
        shown = planning.preview(facilitator, group)
        expected = {(c.period, c.task.id, c.after) for c in shown.changes if c.after}
    response = client.post(REPLAN, data={"confirmed": _fingerprint(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/g/coop/care/rota")
    with app.app_context():
        held = {(a.period, a.task_id, a.user_id) for a in db.session.scalars(
            select(Assignment).where(Assignment.group_id == cast.group.id, Assignment.status == "assigned"))}
        assert expected <= held
        assert not db.session.scalars(select(Assignment).where(
            Assignment.user_id == cast.member.id, Assignment.period > 0, Assignment.status == "assigned",
            Assignment.task_id.in_(select(Willingness.task_id).where(Willingness.level == "cannot")))).all()
    again = read(client.get(REPLAN))
    assert "Nobody's slots change" in again  # the plan now follows the rules


def test_a_change_between_looking_and_confirming_is_not_carried_out_blindly(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.facilitator)
    fingerprint = _fingerprint(read(client.get(REPLAN)))
    _make_the_plan_stale(app, cast)  # meanwhile, someone said "cannot"
    before = _plan(app, cast)
    response = client.post(REPLAN, data={"confirmed": fingerprint})
    assert response.status_code == 409 and "Here is what it would do now" in read(response)
    assert _plan(app, cast) == before


def test_with_htmx_the_confirmation_is_a_block_under_the_button(app, client, auth, cast):
    start_rota(app, cast)
    _make_the_plan_stale(app, cast)  # so the block lists changes (their weeks, tasks and names) too
    auth.login(cast.facilitator)
    response = client.get(REPLAN, headers={"HX-Request": "true"})
    body = read(response)
    assert response.status_code == 200 and "<html" not in body and 'id="replan"' in body
    assert 'name="confirmed"' in body and "What changes" in body


@pytest.mark.parametrize("role", ROLES)
def test_only_facilitators_and_admins_see_or_confirm_a_re_plan(app, client, auth, cast, role):
    start_rota(app, cast)
    _make_the_plan_stale(app, cast)
    before = _plan(app, cast)
    person = cast.person(role)
    if person is not None:
        auth.login(person)
    expected = {"anonymous": 302, "outsider": 404, "member": 403, "facilitator": 200, "admin": 200}[role]
    assert client.get(REPLAN).status_code == expected
    posted = client.post(REPLAN, data={"confirmed": "0123456789abcdef"}).status_code
    assert posted == (409 if expected == 200 else expected)
    assert _plan(app, cast) == before
    rota_page = read(client.get("/g/coop/care/rota"))
    if expected == 200:
        assert 'href="/g/coop/care/rota/regenerate"' in rota_page
    else:
        assert "/rota/regenerate" not in rota_page


def test_before_the_rota_there_is_nothing_to_re_plan(app, client, auth, cast):
    auth.login(cast.facilitator)
    assert client.get(REPLAN).status_code == 404
    assert client.post(REPLAN, data={"confirmed": "0123456789abcdef"}).status_code == 404


def test_the_preview_matches_what_the_re_plan_then_does(app, cast):
    start_rota(app, cast)
    _make_the_plan_stale(app, cast)
    with app.test_request_context():
        group, _admin, facilitator, *_ = attached(cast)
        shown = planning.preview(facilitator, group)
        before = {(a.task_id, a.period, a.slot): a.user_id for a in db.session.scalars(
            select(Assignment).where(Assignment.group_id == group.id, Assignment.status == "assigned"))}
        planning.generate(facilitator, group, confirmed=shown.fingerprint)
        after = {(a.task_id, a.period, a.slot): a.user_id for a in db.session.scalars(
            select(Assignment).where(Assignment.group_id == group.id, Assignment.status == "assigned"))}
        changed = {(k[1], k[0], after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
        assert changed == {(c.period, c.task.id, c.after) for c in shown.changes}
        assert planning.preview(facilitator, group).changes == []


# ---------------------------------------------------------------- willingness: one form, one save


def _levels(app, cast, user_id):
    with app.app_context():
        return {w.task_id: w.level for w in db.session.scalars(select(Willingness).where(
            Willingness.user_id == user_id))}


def _task_ids(app, cast):
    with app.app_context():
        return [t.id for t in db.session.scalars(select(CareTask).where(CareTask.group_id == cast.group.id)
                                                 .order_by(CareTask.id))]


def test_willingness_is_one_form_with_one_save_button(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    page = read(client.get("/g/coop/care"))
    section = page[page.index('id="willingness"'):page.index('id="logged"')]
    assert section.count("<form") == 1 and section.count('type="submit"') == 1
    for task_id in _task_ids(app, cast):
        assert f'name="level-{task_id}"' in section


def test_willingness_saves_every_answer_at_once_and_re_plans_once(app, client, auth, cast, monkeypatch):
    start_rota(app, cast)
    first, second, *rest = _task_ids(app, cast)
    replans = []
    real = availability.regenerate
    monkeypatch.setattr(availability, "regenerate", lambda group: replans.append(1) or real(group))
    auth.login(cast.member)
    data = {f"level-{first}": "cannot", f"level-{second}": "rather_not"} | {f"level-{t}": "happy" for t in rest}
    response = client.post("/g/coop/care/willingness", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("#willingness")
    assert _levels(app, cast, cast.member.id) == {first: "cannot", second: "rather_not"}
    assert replans == [1]
    with app.app_context():
        assert not db.session.scalars(select(Assignment).where(
            Assignment.user_id == cast.member.id, Assignment.task_id == first, Assignment.period > 0,
            Assignment.status == "assigned")).all()


@pytest.mark.parametrize("bad", [{"level-{second}": "never"}, {"level-999999": "cannot"}, {"level-abc": "cannot"},
                                 {"level-{second}": ""}, {"level-{second}": "cannot" * 1000}, None])
def test_willingness_with_a_bad_answer_saves_none_of_them_and_says_why(app, client, auth, cast, bad):
    start_rota(app, cast)
    first, second, *_ = _task_ids(app, cast)
    before = _plan(app, cast)
    auth.login(cast.member)
    # A good answer beside the bad one: it is not saved either (all or nothing). None: no answer at all.
    data = {} if bad is None else {f"level-{first}": "cannot"} | {
        key.format(second=second): value for key, value in bad.items()}
    response = client.post("/g/coop/care/willingness", data=data)
    assert response.status_code == 422
    assert "flash-error" in read(response)
    assert _levels(app, cast, cast.member.id) == {}
    assert _plan(app, cast) == before


@pytest.mark.parametrize("role", ROLES)
def test_willingness_form_permissions(app, client, auth, cast, role):
    start_rota(app, cast)
    first = _task_ids(app, cast)[0]
    person = cast.person(role)
    if person is not None:
        auth.login(person)
    status = client.post("/g/coop/care/willingness", data={f"level-{first}": "cannot"}).status_code
    assert status == {"anonymous": 302, "outsider": 404, "member": 302, "facilitator": 302, "admin": 302}[role]
    with app.app_context():
        assert count(Willingness) == (0 if role in ("anonymous", "outsider") else 1)


# ---------------------------------------------------------------- the grid stays calm


def test_the_grid_shows_swap_links_only_on_my_own_slots_from_this_week_on(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    page = read(client.get("/g/coop/care/rota"))
    with app.app_context():
        group = db.session.get(Group, cast.group.id)
        now = periods.current_period(periods.rota_of(group), group)
        mine = db.session.scalars(select(Assignment).where(
            Assignment.user_id == cast.member.id, Assignment.period >= now, Assignment.status == "assigned")).all()
    assert page.count('class="small slot-swap"') == len(mine) > 0
    for a in mine:
        assert f'/g/coop/care#slot-{a.id}"' in page
    assert "slot-admin" not in page and "Change slots" not in page  # no facilitator controls for a member


def test_facilitators_get_change_controls_only_when_they_ask_and_never_in_the_past(app, client, auth, cast):
    start_rota(app, cast)
    with app.app_context():  # a week in the past, still marked as to do
        group = db.session.get(Group, cast.group.id)
        r = db.session.scalar(select(Rota).where(Rota.group_id == group.id))
        r.starts_on = r.starts_on - timedelta(days=7)
        db.session.commit()
        now = periods.current_period(r, group)
        past = db.session.scalars(select(Assignment).where(Assignment.group_id == group.id,
                                                           Assignment.period < now)).all()
        open_now = db.session.scalars(select(Assignment).where(
            Assignment.group_id == group.id, Assignment.period >= now, Assignment.status == "assigned")).all()
    assert past
    auth.login(cast.facilitator)
    calm = read(client.get("/g/coop/care/rota"))
    assert "slot-admin" not in calm and "Change slots" in calm
    changing = read(client.get("/g/coop/care/rota?change=1"))
    assert changing.count('class="slot-admin"') == len(open_now)
    for a in past:
        assert f"/slots/{a.id}/override" not in changing and f"/slots/{a.id}/skip" not in changing
    assert "Done changing slots" in changing
