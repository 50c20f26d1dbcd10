"""Preferences: per member, group and kind — off, in the app, or also by email; the pages that set them."""
import re

import pytest
from sqlalchemy import func, select

from app.core.errors import Refused
from app.core.extensions import db
from app.notifications.models import MailSettings, NotificationPreference, ThreadSubscription
from tests.conftest import ROLES


def test_by_default_mentions_and_what_needs_me_come_by_email_and_the_rest_in_the_app(scene):
    thread = scene.thread("facilitator")
    scene.comment(thread, "member", "@coopadmin see this")  # a mention for admin, a reply for the facilitator
    assert scene.email_kinds("admin") == ["mention"]
    assert scene.email_kinds("facilitator") == []
    assert [n[0] for n in scene.notifications("facilitator")] == ["reply"]


def test_a_kind_switched_off_makes_no_notification_and_no_email(scene):
    scene.prefer("admin", mention="off")
    thread = scene.thread("member")
    scene.comment(thread, "member", "@coopadmin see this")
    assert scene.notifications("admin") == []
    assert scene.outbox("admin") == []


def test_in_app_only_makes_a_notification_without_email(scene):
    scene.prefer("admin", mention="app")
    scene.thread("member", body="@coopadmin see this")
    assert [n[0] for n in scene.notifications("admin")] == ["mention"]
    assert scene.outbox("admin") == []


def test_email_for_a_kind_that_defaults_to_the_app(scene):
    scene.prefer("facilitator", reply="email")
    thread = scene.thread("facilitator")
    scene.comment(thread, "member", "Reply")
    assert scene.email_kinds("facilitator") == ["reply"]


def test_preferences_are_per_group(scene, make_cast):
    other = make_cast("other", "private")
    scene.prefer("admin", mention="off")
    # The same person's preference in one group does not touch another group.
    with scene.ctx():
        assert db.session.scalar(select(func.count()).select_from(NotificationPreference)) == 1
        pref = db.session.scalar(select(NotificationPreference))
        assert pref.group_id == scene.group_id != other.group.id


def test_all_email_off_stops_every_email_but_not_the_bell(scene):
    scene.mail_settings("admin", email_off=True)
    scene.thread("member", body="@coopadmin see this")
    assert [n[0] for n in scene.notifications("admin")] == ["mention"]
    assert scene.outbox("admin") == []


def test_an_unknown_channel_or_kind_is_refused_and_nothing_changes(scene):
    with scene.ctx():
        from app.notifications import preferences

        with pytest.raises(Refused):
            preferences.set_group_preferences(scene.user("admin"), scene.group(), {"mention": "off", "reply": "loud"})
        with pytest.raises(Refused):
            preferences.set_group_preferences(scene.user("admin"), scene.group(), {"nonsense": "off"})
        db.session.rollback()
    assert scene.count(NotificationPreference) == 0


# ---------------------------------------------------------------- pages: who may open them


EXPECTED = {"anonymous": 302, "outsider": 404, "member": 200, "facilitator": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_the_group_notification_settings(scene, role):
    response = scene.client(role).get("/g/coop/notifications")
    assert response.status_code == EXPECTED[role]
    if role == "anonymous":
        assert "/login" in response.location
    if response.status_code == 200:
        assert "Notifications for Coop Co-op" in response.text and 'name="kind-mention"' in response.text


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_a_threads_notification_settings(scene, role):
    thread = scene.thread("admin")
    response = scene.client(role).get(f"/t/{thread}/notifications")
    assert response.status_code == EXPECTED[role]


@pytest.mark.parametrize("role", ROLES)
def test_everyone_logged_in_has_their_own_email_settings(scene, role):
    response = scene.client(role).get("/settings/notifications")
    assert response.status_code == (302 if role == "anonymous" else 200)


def test_a_visitor_of_a_public_group_may_read_it_but_has_no_settings_there(town):
    assert town.client("outsider").get("/g/town/notifications").status_code == 403
    thread = town.thread("admin")
    assert town.client("outsider").get(f"/t/{thread}/notifications").status_code == 403
    assert town.client("outsider").post(f"/t/{thread}/notifications", data={"state": "follow"}).status_code == 403
    assert town.client("outsider").post(f"/t/{thread}/notifications", data={"state": "loud"}).status_code == 403
    assert town.count(ThreadSubscription) == 0


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
def test_nobody_outside_changes_a_groups_settings(scene, role):
    response = scene.client(role).post("/g/coop/notifications", data={"kind-mention": "off"})
    assert response.status_code in (302, 404)
    assert scene.count(NotificationPreference) == 0


# ---------------------------------------------------------------- pages: saving


def test_saving_the_group_settings_page_changes_only_what_was_chosen(scene):
    client = scene.client("member")
    response = client.post("/g/coop/notifications", data={"kind-mention": "app", "kind-proposal": "off",
                                                         "kind-reply": "app"})
    assert response.status_code == 302
    page = client.get("/g/coop/notifications").text
    checked = re.findall(r'name="kind-(\w+)" value="(\w+)"\s+checked', page)
    assert ("mention", "app") in checked and ("proposal", "off") in checked and ("closing", "email") in checked
    with scene.ctx():
        rows = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.channel)).all())
    # reply=app is the default: no row is kept for it.
    assert rows == {"mention": "app", "proposal": "off"}
    scene.propose("admin")
    assert scene.notifications("member", "proposal") == []


def test_the_group_settings_page_with_htmx_returns_just_the_form(scene):
    response = scene.client("member").post("/g/coop/notifications", data={"kind-mention": "off"},
                                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form") and "Saved." in response.text and "<html" not in response.text


@pytest.mark.parametrize("data", [{"kind-mention": "loud"}, {}, {"kind-mention": "off", "kind-reply": ""}])
def test_bad_input_on_the_group_settings_page_says_why_and_saves_nothing(scene, data):
    response = scene.client("member").post("/g/coop/notifications", data=data)
    assert response.status_code == 422
    assert 'class="form-errors"' in response.text
    assert scene.count(NotificationPreference) == 0


def test_following_a_thread_from_its_settings_page(scene):
    thread = scene.thread("admin")
    client = scene.client("facilitator")
    response = client.post(f"/t/{thread}/notifications", data={"state": "follow"})
    assert response.status_code == 302 and response.location == f"/t/{thread}"
    comment = scene.comment(thread, "member", "Hello")
    assert scene.notifications("facilitator") == [("comment", "comment", comment)]
    assert "following" in client.get("/g/coop/notifications").text


@pytest.mark.parametrize("state", ["loud", ""])
def test_a_bad_thread_state_is_refused(scene, state):
    thread = scene.thread("admin")
    response = scene.client("member").post(f"/t/{thread}/notifications", data={"state": state})
    assert response.status_code == 422
    assert scene.count(ThreadSubscription) == 0


def test_an_unknown_or_huge_thread_id_is_not_found(scene):
    client = scene.client("member")
    assert client.get("/t/999999/notifications").status_code == 404
    assert client.get("/t/99999999999999999999/notifications").status_code == 404


def test_email_settings_save_and_refuse_nonsense(scene):
    client = scene.client("member")
    assert client.post("/settings/notifications", data={"digest": "daily"}).status_code == 302
    with scene.ctx():
        assert db.session.scalar(select(MailSettings.digest)) == "daily"
    response = client.post("/settings/notifications", data={"digest": "hourly"})
    assert response.status_code == 422
    with scene.ctx():
        assert db.session.scalar(select(MailSettings.digest)) == "daily"


def test_settings_are_reachable_from_account_settings_and_from_the_group(scene):
    client = scene.client("member")
    assert 'href="/settings/notifications"' in client.get("/settings").text
    assert 'href="/g/coop/notifications"' in client.get("/settings/notifications").text
    assert 'href="/g/coop/notifications"' in client.get("/g/coop").text


# Every page of the settings blueprint, with what each role gets; the test below keeps it complete.
TABLE = {
    "notification_settings.settings": ("GET", "/settings/notifications",
                                       {"anonymous": 302, "outsider": 200, "member": 200, "facilitator": 200,
                                        "admin": 200}),
    "notification_settings.group_settings": ("GET", "/g/coop/notifications", EXPECTED),
    "notification_settings.thread_settings": ("GET", "/t/{T}/notifications", EXPECTED),
    # No login: the signed token is the permission (tested in test_mail.py); a bad one changes nothing.
    "notification_settings.mail_link": ("GET", "/mail/settings/not-a-token",
                                        {role: 400 for role in ROLES}),
}


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_table_of_every_settings_page(scene, role):
    thread = scene.thread("admin")
    client = scene.client(role)
    for method, url, expected in TABLE.values():
        response = client.open(url.format(T=thread), method=method)
        assert response.status_code == expected[role], (url, role)


def test_the_table_has_a_row_for_every_settings_route(app):
    """A new route without a row here is a permission nobody checked."""
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("notification_settings.")}
    assert routes == set(TABLE)


def test_the_group_settings_page_runs_as_many_queries_for_many_threads_as_for_one(scene):
    from tests.sql import counting_queries

    client = scene.client("member")
    counts = []
    for how_many in (1, 5):  # threads followed after this round: 1, then 6
        for i in range(how_many):
            scene.thread_state("member", scene.thread("admin", title=f"Thread {len(counts)}-{i}"), "follow")
        with counting_queries(scene.app) as statements:
            page = client.get("/g/coop/notifications")
        assert page.status_code == 200 and page.text.count('class="badge">following') == 1 + 5 * len(counts)
        counts.append(len(statements))
    assert counts[0] == counts[1]
