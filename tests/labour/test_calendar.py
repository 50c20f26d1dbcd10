"""The personal calendar feed: a secret address, my assignments only, valid iCalendar, and a reset
that makes the old address answer 404."""
import html
import re
from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.groups import services as groups
from app.labour import periods, planning
from app.labour.models import Assignment, CalendarToken
from tests.labour.care_cast import count, start_rota


def _feed_path(client, slug="coop") -> str:
    page = html.unescape(client.get(f"/g/{slug}/care/calendar").get_data(as_text=True))
    found = re.search(r'value="https?://[^/"]+(/care/calendar/[^"]+\.ics)"', page)
    return found.group(1) if found else None


def _make_link(client, slug="coop") -> str:
    assert client.post(f"/g/{slug}/care/calendar/reset").status_code == 302
    return _feed_path(client, slug)


def _events(body: bytes):
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_the_settings_page_offers_a_link_then_shows_it(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    page = client.get("/g/coop/care/calendar")
    assert page.status_code == 200 and "Make my calendar link" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert _feed_path(client) is None
    path = _make_link(client)
    assert path and path.startswith("/care/calendar/")
    assert _feed_path(client) == path  # shown again on every visit
    assert "Reset the link" in client.get("/g/coop/care/calendar").get_data(as_text=True)


def test_the_feed_is_icalendar_of_my_assignments_only_and_needs_no_login(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    path = _make_link(client)
    auth.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    events = _events(response.data)
    with app.app_context():
        mine = {a.id: a for a in db.session.scalars(select(Assignment).where(Assignment.user_id == cast.member.id))}
        everyone = count(Assignment)
        group = db.session.get(type(cast.group), cast.group.id)
        r = periods.rota_of(group)
        starts = {a_id: periods.period_start(r, a.period) for a_id, a in mine.items()}
    assert mine and len(events) == len(mine) < everyone
    uids = set()
    for e in events:
        uid = str(e["UID"])
        uids.add(uid)
        a_id = int(re.search(r"care-assignment-(\d+)@", uid).group(1))
        assert a_id in mine
        assert e.decoded("DTSTART") == starts[a_id] and isinstance(e.decoded("DTSTART"), date)
        assert e.decoded("DTEND") == starts[a_id] + timedelta(days=7)
        assert "DTSTAMP" in e
        assert "fair share" in str(e["DESCRIPTION"]) or "Assigned" in str(e["DESCRIPTION"])
        assert str(e["URL"]).endswith("/g/coop/care")
        assert "Coop Co-op" in str(e["SUMMARY"])
    assert len(uids) == len(events)


def test_the_feed_covers_all_my_groups_and_nobody_elses(app, client, auth, cast, make_cast):
    start_rota(app, cast)
    other = make_cast("river")
    start_rota(app, other)
    with app.test_request_context():
        admin = db.session.get(User, other.admin.id)
        river = db.session.get(type(other.group), other.group.id)
        _, token = groups.create_invitation(admin, river, "member", 7, None)
        groups.accept_invitation(db.session.get(User, cast.member.id), token)
        planning.generate(db.session.get(User, other.facilitator.id), river)
        mine = set(db.session.scalars(select(Assignment.id).where(Assignment.user_id == cast.member.id)))
        in_groups = set(db.session.scalars(select(Assignment.group_id).where(Assignment.user_id == cast.member.id)))
    assert len(in_groups) == 2
    auth.login(cast.member)
    path = _make_link(client)
    auth.logout()
    found = {int(re.search(r"care-assignment-(\d+)@", str(e["UID"])).group(1)) for e in _events(client.get(path).data)}
    assert found == mine


def test_resetting_makes_the_old_address_404_and_the_new_one_work(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    old = _make_link(client)
    assert client.get(old).status_code == 200
    new = _make_link(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    with app.app_context():
        assert count(CalendarToken) == 1


def test_the_token_is_stored_only_as_a_hash(app, client, auth, cast):
    start_rota(app, cast)
    auth.login(cast.member)
    path = _make_link(client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.scalar(select(CalendarToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_unknown_tokens_are_not_found(client):
    assert client.get("/care/calendar/not-a-real-token.ics").status_code == 404
    assert client.get("/care/calendar/.ics").status_code == 404


def test_the_settings_page_needs_a_login_and_membership(app, client, auth, cast):
    assert client.get("/g/coop/care/calendar").status_code == 302
    assert client.post("/g/coop/care/calendar/reset").status_code == 302
    auth.login(cast.outsider)
    assert client.get("/g/coop/care/calendar").status_code == 404
    assert client.post("/g/coop/care/calendar/reset").status_code == 404
    with app.app_context():
        assert count(CalendarToken) == 0
