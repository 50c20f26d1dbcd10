import pytest

from app.core.extensions import db
from app.groups import services as groups
from tests.accounts.helpers import html_lang, is_logged_in, stored_user, text
from tests.conftest import PASSWORD

# ---------------------------------------------------------------- who may open which page


@pytest.mark.parametrize("path", ["/profile", "/settings", "/settings/password"])
def test_personal_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("path", ["/profile", "/settings", "/settings/password", "/u/minji"])
def test_personal_pages_open_for_their_owner(client, auth, make_user, path):
    auth.login(make_user("minji"))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/register", "/u/minji"])
def test_public_account_pages_open_for_anyone(client, make_user, path):
    make_user("minji")
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/profile", "/settings", "/settings/password"])
def test_posting_to_personal_pages_needs_login(client, path):
    assert client.post(path, data={}).status_code == 302


# ---------------------------------------------------------------- profile


def test_you_can_change_your_name_and_handle(client, app, auth, make_user):
    auth.login(make_user("minji"))
    response = client.post("/profile", data={"display_name": "Minji Kim", "handle": "MinjiK"})
    assert response.status_code == 302
    assert stored_user(app, "minjik").display_name == "Minji Kim"
    assert "Minji Kim" in text(client.get("/u/minjik"))
    assert client.get("/u/minji").status_code == 404


def test_keeping_your_own_handle_in_another_case_is_fine(client, app, auth, make_user):
    auth.login(make_user("minji"))
    assert client.post("/profile", data={"display_name": "Minji", "handle": "MINJI"}).status_code == 302
    assert stored_user(app, "minji") is not None


def test_a_taken_handle_is_refused_on_the_profile(client, app, auth, make_user):
    make_user("jiho")
    auth.login(make_user("minji"))
    response = client.post("/profile", data={"display_name": "Minji Kim", "handle": "Jiho"})
    assert response.status_code == 422
    assert "That handle is taken" in text(response)
    assert stored_user(app, "minji").display_name == "Minji"


@pytest.mark.parametrize("form", [{"display_name": "", "handle": "minji"}, {"display_name": "M", "handle": "x!"}, {}])
def test_a_bad_profile_gets_a_message_and_changes_nothing(client, app, auth, make_user, form):
    auth.login(make_user("minji"))
    response = client.post("/profile", data=form)
    assert response.status_code in (302, 422)  # an empty post keeps what is there
    saved = stored_user(app, "minji")
    assert (saved.display_name, saved.handle) == ("Minji", "minji")


def test_an_unknown_handle_is_404(client, auth, make_user):
    auth.login(make_user("minji"))
    assert client.get("/u/nobody").status_code == 404


def test_an_unknown_handle_sends_an_anonymous_visitor_to_log_in(client):
    response = client.get("/u/nobody")
    assert response.status_code == 302 and response.location == "/login?next=/u/nobody"


def test_a_profile_hides_private_groups_from_outsiders(client, auth, make_cast):
    cast = make_cast("coop", "private")
    auth.login(cast.outsider)
    page = text(client.get("/u/coopmember"))
    assert "Coopmember" in page
    assert "Coop Co-op" not in page


def test_a_profile_hides_private_groups_from_anonymous_visitors(client, make_cast):
    make_cast("coop", "private")
    page = text(client.get("/u/coopmember"))
    assert "Coop Co-op" not in page


def test_a_profile_shows_a_shared_private_group_to_a_fellow_member(client, auth, make_cast):
    cast = make_cast("coop", "private")
    auth.login(cast.facilitator)
    assert "Coop Co-op" in text(client.get("/u/coopmember"))


def test_a_profile_shows_public_groups_to_anyone(client, app, make_cast):
    cast = make_cast("town", "public")
    assert "Town Co-op" in text(client.get(f"/u/{cast.member.handle}"))


def test_a_profile_shows_only_the_readable_groups_of_one_person(client, app, auth, make_cast):
    cast = make_cast("coop", "private")
    with app.app_context():
        member = db.session.merge(cast.member)
        groups.create_group(member, "Open Kitchen", "kitchen", "Anyone may read.", "public")
    auth.login(cast.outsider)
    page = text(client.get("/u/coopmember"))
    assert "Open Kitchen" in page
    assert "Coop Co-op" not in page


# ---------------------------------------------------------------- settings


def test_language_and_time_zone_are_saved(client, app, auth, make_user):
    auth.login(make_user("minji"))
    response = client.post("/settings", data={"locale": "ko", "timezone": "America/New_York"})
    assert response.status_code == 302
    saved = stored_user(app, "minji")
    assert (saved.locale, saved.timezone) == ("ko", "America/New_York")


def test_after_choosing_korean_pages_are_in_korean(client, auth, make_user):
    auth.login(make_user("minji"))
    client.post("/settings", data={"locale": "ko", "timezone": "Asia/Seoul"})
    response = client.get("/settings", headers={"Accept-Language": "en"})
    assert html_lang(response) == "ko"


def test_english_can_be_chosen_back(client, auth, make_user):
    auth.login(make_user("minji", locale="ko"))
    client.post("/settings", data={"locale": "en", "timezone": "Asia/Seoul"})
    assert html_lang(client.get("/settings", headers={"Accept-Language": "ko"})) == "en"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "asia/seoul", "Asia", "../../etc/passwd", "", "x" * 300, "Asia/Seoul\x00", None])
def test_an_unknown_time_zone_is_refused_and_nothing_saved(client, app, auth, make_user, zone):
    auth.login(make_user("minji"))
    form = {"locale": "ko"} if zone is None else {"locale": "ko", "timezone": zone}
    response = client.post("/settings", data=form)
    assert response.status_code == 422
    assert "That isn't a time zone we know." in text(response)
    saved = stored_user(app, "minji")
    assert (saved.locale, saved.timezone) == ("en", None)


@pytest.mark.parametrize("locale", ["fr", "", "ko-KR", "EN"])
def test_an_unknown_language_is_refused_and_nothing_saved(client, app, auth, make_user, locale):
    auth.login(make_user("minji"))
    response = client.post("/settings", data={"locale": locale, "timezone": "Europe/Paris"})
    assert response.status_code == 422
    assert 'class="errors"' in text(response)
    saved = stored_user(app, "minji")
    assert (saved.locale, saved.timezone) == ("en", None)


def test_the_settings_page_offers_the_time_zones(client, auth, make_user):
    auth.login(make_user("minji"))
    page = text(client.get("/settings"))
    assert '<option selected value="Asia/Seoul">' in page or 'value="Asia/Seoul" selected' in page
    assert 'value="Europe/London"' in page


# ---------------------------------------------------------------- password


def test_a_wrong_current_password_is_refused(client, auth, make_user):
    auth.login(make_user("minji"))
    response = client.post("/settings/password", data={"current": "not it", "password": "a new long one", "confirm": "a new long one"})
    assert response.status_code == 422
    assert "Your current password is not right." in text(response)
    auth.logout()
    assert auth.login("minji@example.org", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "new, confirm, message",
    [("short", "short", "A password is 8–200 characters."), ("a new long one", "another one", "The two passwords differ.")],
)
def test_a_bad_new_password_is_refused(client, auth, make_user, new, confirm, message):
    auth.login(make_user("minji"))
    response = client.post("/settings/password", data={"current": PASSWORD, "password": new, "confirm": confirm})
    assert response.status_code == 422
    assert message in text(response)


def test_changing_the_password_signs_out_other_sessions_but_not_this_one(app, make_user):
    user = make_user("minji")
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert is_logged_in(browser)

    new = "a brand new password"
    response = here.post("/settings/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302

    assert is_logged_in(here)
    assert elsewhere.get("/profile").location.startswith("/login")
    assert here.post("/logout").status_code == 302
    assert here.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422
    assert here.post("/login", data={"email": user.email, "password": new}).status_code == 302


def test_changing_the_password_also_voids_remembered_devices(app, make_user):
    user = make_user("minji")
    here, remembered = app.test_client(), app.test_client()
    here.post("/login", data={"email": user.email, "password": PASSWORD})
    remembered.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remembered.delete_cookie("session")  # the browser was closed; only the remember cookie is left
    assert is_logged_in(remembered)

    new = "a brand new password"
    here.post("/settings/password", data={"current": PASSWORD, "password": new, "confirm": new})
    remembered.delete_cookie("session")
    assert not is_logged_in(remembered)


def test_changing_the_password_keeps_this_device_remembered(app, make_user):
    user = make_user("minji")
    here = app.test_client()
    here.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    new = "a brand new password"
    here.post("/settings/password", data={"current": PASSWORD, "password": new, "confirm": new})
    here.delete_cookie("session")  # the browser was closed and opened again
    assert is_logged_in(here)


# ---------------------------------------------------------------- language switch


def test_the_language_switch_sets_the_language_for_a_visitor(client):
    response = client.post("/language", data={"lang": "ko", "next": "/login"})
    assert response.status_code == 302
    assert response.location == "/login"
    assert html_lang(client.get("/login")) == "ko"


def test_the_language_switch_beats_the_browser_language(client):
    client.post("/language", data={"lang": "en"})
    assert html_lang(client.get("/login", headers={"Accept-Language": "ko"})) == "en"


def test_without_a_choice_the_browser_language_is_used(client):
    assert html_lang(client.get("/login", headers={"Accept-Language": "ko-KR,ko;q=0.9"})) == "ko"
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr"})) == "en"


@pytest.mark.parametrize("lang", ["fr", "", "KO", "<script>"])
def test_an_unknown_language_changes_nothing(client, lang):
    response = client.post("/language", data={"lang": lang, "next": "/login"})
    assert response.status_code == 302
    assert html_lang(client.get("/login")) == "en"


def test_the_language_switch_is_saved_for_a_logged_in_person(client, app, auth, make_user):
    auth.login(make_user("minji"))
    client.post("/language", data={"lang": "ko"})
    assert stored_user(app, "minji").locale == "ko"


def test_the_language_switch_never_sends_you_off_site(client):
    assert client.post("/language", data={"lang": "ko", "next": "//evil.com"}).location == "/"
