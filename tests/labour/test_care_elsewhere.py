"""Care work outside the care pages: thanks on the person's page, care on /needs-me, the timeline filter."""
import html

from sqlalchemy import event, select

from app.archive.timeline import TimelineFilter, timeline
from app.core.extensions import db
from app.groups import services as groups
from app.labour import assignments, periods, recognition
from app.labour.models import Assignment, Thanks
from tests.labour.care_cast import attached, slots_of, start_rota


def read(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _done_and_thanked(app, cast, message="Thank you for the minutes"):
    """The member does a slot of this week (given by override if need be); the facilitator thanks them."""
    with app.test_request_context():
        group, _admin, facilitator, member, _outsider = attached(cast)
        now = periods.current_period(periods.rota_of(group), group)
        mine = slots_of(member.id, group.id, period=now)
        if not mine:
            a = db.session.scalars(select(Assignment).where(Assignment.group_id == group.id, Assignment.period == now,
                                                            Assignment.status == "assigned")).first()
            assignments.override(facilitator, a, member.id, "Covering")
            mine = [a]
        assignments.mark_done(member, mine[0])
        recognition.thank(facilitator, group, member.id, message, assignment_id=mine[0].id)


def test_a_persons_page_lists_the_thanks_they_received_with_who_and_when(app, client, auth, cast):
    start_rota(app, cast)
    _done_and_thanked(app, cast)
    auth.login(cast.admin)
    body = read(client.get(f"/u/{cast.member.handle}"))
    assert "Thanks for care work" in body
    assert "Thank you for the minutes" in body
    assert cast.facilitator.display_name in body
    assert cast.group.name in body


def test_a_private_groups_thanks_stay_hidden_from_outsiders(app, client, auth, cast):
    start_rota(app, cast)
    _done_and_thanked(app, cast, "A secret thank-you")
    auth.login(cast.outsider)
    body = read(client.get(f"/u/{cast.member.handle}"))
    assert "A secret thank-you" not in body
    assert "Thanks for care work" not in body
    auth.logout()
    assert "A secret thank-you" not in read(client.get(f"/u/{cast.member.handle}"))


def test_thanks_on_the_persons_page_take_one_query_however_many(app, client, auth, cast):
    start_rota(app, cast)
    _done_and_thanked(app, cast)

    def statements():
        with app.app_context():
            engine = db.engine
        seen = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(f"/u/{cast.member.handle}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return [s for s in seen if "thanks" in s.lower()]

    auth.login(cast.admin)
    few = statements()
    with app.test_request_context():
        group, _admin, facilitator, member, _outsider = attached(cast)
        for n in range(5):
            db.session.add(Thanks(group_id=group.id, from_user_id=facilitator.id, to_user_id=member.id,
                                  message=f"Thanks {n}"))
        db.session.commit()
    many = statements()
    assert len(few) == len(many) == 1
    assert "Thanks 4" in read(client.get(f"/u/{cast.member.handle}"))


def test_needs_me_shows_my_care_tasks_this_week_and_swaps_asked_of_me(app, client, auth, cast, make_cast):
    start_rota(app, cast)
    other = make_cast("other")
    start_rota(app, other)
    with app.test_request_context():
        group, _admin, facilitator, member, _outsider = attached(cast)
        now = periods.current_period(periods.rota_of(group), group)
        theirs = slots_of(facilitator.id, group.id, period=now) or slots_of(facilitator.id, group.id)
        assignments.request_swap(facilitator, theirs[0], member.id)
        asked = theirs[0].task.name
        mine = [a.task.name for a in slots_of(member.id, group.id, period=now)]
    auth.login(cast.member)
    body = read(client.get("/needs-me"))
    assert "Care work" in body and cast.group.name in body
    assert f"{cast.facilitator.display_name} asked you to take {asked}" in body
    for name in mine:
        assert name in body
    assert other.group.name not in body, "only my groups"


def test_needs_me_with_care_runs_a_fixed_number_of_queries(app, client, auth, make_cast, make_user):
    def count_for(n_groups):
        me = make_user(f"busy{n_groups}")
        for i in range(n_groups):
            c = make_cast(f"g{n_groups}x{i}")
            with app.test_request_context():
                group, admin, *_ = attached(c)
                _, token = groups.create_invitation(admin, group, "member", 7, None)
                groups.accept_invitation(db.session.merge(me), token)
            start_rota(app, c)
        auth.login(me)
        with app.app_context():
            engine = db.engine
        seen = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/needs-me").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        auth.logout()
        return len(seen)

    assert count_for(1) == count_for(3)


def test_the_timeline_filters_care_work(app, client, auth, cast):
    start_rota(app, cast)
    _done_and_thanked(app, cast)
    auth.login(cast.member)
    response = client.get(f"/g/{cast.group.slug}/timeline?kind=care")
    care = read(response)
    assert response.status_code == 200 and "Not a valid choice" not in care
    assert 'value="care"' in care and "Care work" in care
    assert "Thank you for the minutes" not in read(client.get(f"/g/{cast.group.slug}/timeline?kind=thread"))


def test_the_care_category_keeps_only_care_events(app, cast):
    start_rota(app, cast)
    _done_and_thanked(app, cast)
    with app.app_context():
        kinds = {e.kind for e in timeline([cast.group.id], limit=100, where=TimelineFilter(category="care"))}
        everything = {e.kind for e in timeline([cast.group.id], limit=100)}
    assert kinds and all(k.startswith("care.") for k in kinds)
    assert {"care.done", "care.thanked", "care.rota_started"} <= kinds
    assert everything - kinds, "other events are left out"
