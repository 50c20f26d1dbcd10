"""Only canonical zone names are saved (a person's and a group's), and a bad zone already stored
never breaks a page: it falls back to the group's zone, then the site's default."""
import re
from datetime import datetime, timezone

import pytest
from flask import g
from flask_babel import refresh
from flask_login import login_user
from flask_migrate import downgrade, upgrade
from sqlalchemy import update

from app.accounts.models import User
from app.archive.models import Comment
from app.core.extensions import db
from app.groups.models import Group
from app.core.i18n import canonical_zone, is_timezone, select_timezone, timezone_choices, usable_zone, when
from tests.accounts.helpers import stored_user, text
from tests.archive.archive_helpers import ArchiveScene
from tests.conftest import ON_POSTGRES

# Each of these opens with ZoneInfo() on this machine, and used to be saved.
NOT_CANONICAL = ["Factory", "localtime", "posix/Asia/Seoul", "right/UTC", "posix/UTC", "Etc/GMT+9", "US/Eastern",
                 "Asia/Calcutta", "ROK", "EST5EDT", "Etc/UTC", "GMT"]
BROKEN = ["Factory", "localtime", "posix/Asia/Seoul", "right/UTC", "Mars/Olympus", "", "x" * 64]
MOMENT = datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)
IN_SEOUL, IN_NEW_YORK, IN_BERLIN = "Sat 21 Nov 2026, 3:00 PM", "Sat 21 Nov 2026, 1:00 AM", "Sat 21 Nov 2026, 7:00 AM"


# ---------------------------------------------------------------- the two helpers


@pytest.mark.parametrize("name", NOT_CANONICAL + ["Mars/Olympus", "asia/seoul", "", None, 9, "Asia/Seoul\x00"])
def test_only_canonical_zone_names_are_accepted(name):
    assert not is_timezone(name)


def test_every_zone_offered_is_accepted_and_formats_a_date(app):
    choices = timezone_choices()
    assert {"Asia/Seoul", "Europe/Berlin", "America/New_York", "UTC"} <= set(choices)
    assert not [z for z in choices if z.startswith(("posix/", "right/", "Etc/")) or z in ("Factory", "localtime")]
    for zone in choices:
        assert is_timezone(zone)
        with app.test_request_context(headers={"Accept-Language": "en"}):
            g.group = Group(timezone=zone)
            assert select_timezone() == zone
            assert when(MOMENT).endswith(("AM", "PM"))


@pytest.mark.parametrize("stored, used", [("US/Eastern", "America/New_York"), ("Asia/Calcutta", "Asia/Kolkata"),
                                          ("Etc/UTC", "UTC"), ("Asia/Seoul", "Asia/Seoul")])
def test_an_old_alias_is_read_as_its_canonical_zone(stored, used):
    assert canonical_zone(stored) == used


@pytest.mark.parametrize("bad", BROKEN + [None])
def test_the_zone_to_use_skips_what_we_dont_accept(app, bad):
    with app.app_context():
        assert usable_zone(bad, "Europe/Berlin") == "Europe/Berlin"
        assert usable_zone(bad, bad) == "Asia/Seoul"  # the site's default


def test_a_bad_default_zone_in_the_settings_still_gives_a_zone(make_app):
    with make_app(CANOE_DEFAULT_TIMEZONE="posix/Asia/Seoul").app_context():
        assert usable_zone("Factory") == "UTC"


@pytest.mark.parametrize("bad", BROKEN)
def test_a_viewer_with_a_bad_stored_zone_sees_the_groups_zone(app, make_user, bad):
    user = make_user("minji")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        viewer = db.session.get(User, user.id)
        viewer.timezone = bad
        login_user(viewer)
        g.group = Group(timezone="America/New_York")
        assert when(MOMENT) == IN_NEW_YORK
        g.group = Group(timezone="right/UTC")
        refresh()  # Flask-Babel keeps the zone for the request
        assert when(MOMENT) == IN_SEOUL


# ---------------------------------------------------------------- the two forms


@pytest.mark.parametrize("zone", NOT_CANONICAL)
def test_a_person_cannot_save_a_zone_that_is_not_canonical(client, app, auth, make_user, zone):
    auth.login(make_user("minji"))
    response = client.post("/settings", data={"locale": "ko", "timezone": zone})
    assert response.status_code == 422
    assert "That isn't a time zone we know." in text(response)
    assert (stored_user(app, "minji").locale, stored_user(app, "minji").timezone) == ("en", None)


@pytest.fixture
def town(app, make_cast):
    """A public group, "town", whose admin has a thread with one reply at MOMENT."""
    scene = ArchiveScene(app, make_cast("town", "public"))
    scene.thread_id = scene.thread(author="admin", title="Bread rota")
    scene.comment(scene.thread_id, author="admin", body="Tuesday suits me.")
    with scene.ctx():
        db.session.execute(update(Comment).values(created_at=MOMENT))
        db.session.commit()
    return scene


def set_zone(scene, model, ident, zone):
    with scene.ctx():
        db.session.execute(update(model).where(model.id == ident).values(timezone=zone))
        db.session.commit()


def group_settings(zone: str) -> dict:
    return {"name": "Town Co-op", "description": "", "visibility": "public", "timezone": zone, "locale": "en"}


@pytest.mark.parametrize("zone", ["Factory", "localtime", "posix/Asia/Seoul", "right/UTC", "Etc/GMT+9", "US/Eastern"])
def test_a_group_cannot_save_a_zone_that_is_not_canonical(town, zone):
    response = town.client("admin").post(f"/g/{town.slug}/settings", data=group_settings(zone))
    assert response.status_code == 422
    assert "That isn't a time zone we know." in text(response)
    with town.ctx():
        assert town.group().timezone == "Asia/Seoul"


def test_both_forms_offer_exactly_the_zones_we_accept(town):
    admin = town.client("admin")
    for url in ("/settings", f"/g/{town.slug}/settings"):
        page = text(admin.get(url))
        select = re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S).group(0)
        offered = re.findall(r'<option[^>]*value="([^"]*)"', select)
        # Each once (the common ones lead: tests/accounts/test_time_zone_list.py), all of them.
        assert sorted(offered) == timezone_choices() and len(offered) == len(set(offered))


def test_a_canonical_zone_is_saved_by_both_forms(town):
    admin = town.client("admin")
    assert admin.post("/settings", data={"locale": "en", "timezone": "Europe/Berlin"}).status_code == 302
    assert admin.post(f"/g/{town.slug}/settings", data=group_settings("America/New_York")).status_code == 302
    with town.ctx():
        assert (town.user("admin").timezone, town.group().timezone) == ("Europe/Berlin", "America/New_York")


# ---------------------------------------------------------------- pages with a bad zone already stored


@pytest.mark.parametrize("bad", BROKEN)
def test_an_anonymous_visitor_of_a_public_group_with_a_bad_zone_sees_the_default_zone(town, bad):
    set_zone(town, Group, town.group_id, bad)
    visitor = town.client("anonymous")
    for url in (f"/g/{town.slug}", f"/g/{town.slug}/threads", f"/t/{town.thread_id}"):
        assert visitor.get(url, headers={"Accept-Language": "en"}).status_code == 200, url
    assert IN_SEOUL in text(visitor.get(f"/t/{town.thread_id}", headers={"Accept-Language": "en"}))


@pytest.mark.parametrize("bad", BROKEN)
def test_a_member_with_a_bad_zone_sees_the_groups_zone(town, bad):
    set_zone(town, Group, town.group_id, "America/New_York")
    set_zone(town, User, town.cast.member.id, bad)
    member = town.client("member")
    for url in (f"/g/{town.slug}", f"/t/{town.thread_id}", "/groups", "/notifications", "/settings", "/u/townadmin"):
        assert member.get(url).status_code == 200, url
    assert IN_NEW_YORK in text(member.get(f"/t/{town.thread_id}"))


def test_bad_zones_on_both_sides_still_give_a_page(town):
    set_zone(town, Group, town.group_id, "posix/Asia/Seoul")
    set_zone(town, User, town.cast.admin.id, "Factory")
    admin = town.client("admin")
    assert IN_SEOUL in text(admin.get(f"/t/{town.thread_id}"))
    settings = text(admin.get(f"/g/{town.slug}/settings"))
    # The form shows the zone in use, so saving the other settings doesn't pick the first in the list.
    assert re.search(r'<option selected value="Asia/Seoul">|<option value="Asia/Seoul" selected', settings)


def test_the_settings_form_shows_the_zone_in_use_for_a_bad_stored_zone(town):
    set_zone(town, User, town.cast.member.id, "right/UTC")
    page = text(town.client("member").get("/settings"))
    assert re.search(r'<option selected value="Asia/Seoul">|<option value="Asia/Seoul" selected', page)
    assert "right/UTC" not in page


def test_an_old_alias_keeps_working_as_its_canonical_zone(town):
    set_zone(town, User, town.cast.member.id, "US/Eastern")
    assert IN_NEW_YORK in text(town.client("member").get(f"/t/{town.thread_id}"))


# ---------------------------------------------------------------- zones stored before they were checked


@pytest.mark.skipif(ON_POSTGRES, reason="moves the shared schema down and up; the SQLite run checks the migration")
def test_the_upgrade_makes_stored_zones_canonical(town):
    set_zone(town, User, town.cast.member.id, "US/Eastern")
    set_zone(town, User, town.cast.admin.id, "posix/Asia/Seoul")
    set_zone(town, Group, town.group_id, "Factory")
    with town.app.app_context():
        downgrade(revision="a7e1c0de0001")
        upgrade()
    with town.ctx():
        assert (town.user("member").timezone, town.user("admin").timezone) == ("America/New_York", None)
        assert town.user("facilitator").timezone is None
        assert town.group().timezone == "Asia/Seoul"
