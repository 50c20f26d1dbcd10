from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from flask import g, session
from flask_login import login_user

from app.accounts.models import User
from app.core.extensions import db
from app.core.i18n import day, has_batchim, is_timezone, josa, particle, select_locale, timezone_choices, when

# Saturday 21 November 2026, 06:00 UTC: 15:00 in Seoul, 06:00 in London, 01:00 in New York.
MOMENT = datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)


# ---------------------------------------------------------------- Korean particles


@pytest.mark.parametrize(
    "word, pair, expected",
    [
        ("민지", "을/를", "민지를"),
        ("지호", "을/를", "지호를"),
        ("하나", "을/를", "하나를"),
        ("은정", "을/를", "은정을"),
        ("Sam", "을/를", "Sam을"),
        ("Alex", "을/를", "Alex를"),
        ("3", "을/를", "3을"),
        ("2", "을/를", "2를"),
        ("10", "을/를", "10을"),
        ("협동조합", "을/를", "협동조합을"),
        ("협동조합", "은/는", "협동조합은"),
        ("민지", "은/는", "민지는"),
        ("은정", "이/가", "은정이"),
        ("지호", "이/가", "지호가"),
        ("은정", "과/와", "은정과"),
        ("민지", "과/와", "민지와"),
        ("Jun", "이에요/예요", "Jun이에요"),
        ("하나", "이에요/예요", "하나예요"),
    ],
)
def test_josa_picks_the_particle_after_the_last_sound(word, pair, expected):
    assert josa(word, pair) == expected


@pytest.mark.parametrize("word, final", [("민지", False), ("은정", True), ("닭", True), ("Sam", True), ("Bill", True), ("Alex", False), ("ALEX", False), ("7", True), ("", False), ("은정 ", True)])
def test_has_batchim_reads_the_final_consonant(word, final):
    assert has_batchim(word) is final


def test_particle_is_added_only_on_korean_pages(app):
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        assert particle("민지", "을/를") == "민지를"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert particle("민지", "을/를") == "민지"


# ---------------------------------------------------------------- dates and times


def test_when_in_korean_is_the_everyday_korean_form_in_seoul_time(app):
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        assert when(MOMENT) == "2026년 11월 21일 (토) 오후 3:00"
        assert when(datetime(2026, 11, 21, 0, 30, tzinfo=timezone.utc)) == "2026년 11월 21일 (토) 오전 9:30"


def test_when_in_english_is_the_english_form(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert when(MOMENT) == "Sat 21 Nov 2026, 3:00 PM"


def test_day_in_korean_and_english(app):
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        assert day(date(2026, 11, 21)) == "2026년 11월 21일 (토)"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert day(date(2026, 11, 21)) == "Sat 21 Nov 2026"


def test_day_of_a_moment_is_the_day_in_the_viewers_zone(app):
    late_friday_utc = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)  # already Saturday in Seoul
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert day(late_friday_utc) == "Sat 21 Nov 2026"


def test_nothing_to_show_is_an_empty_string(app):
    with app.test_request_context():
        assert when(None) == "" and day(None) == ""


def test_when_uses_the_viewers_own_time_zone(app, make_user):
    user = make_user("minji")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        viewer = db.session.get(User, user.id)
        viewer.timezone = "Europe/London"
        login_user(viewer)
        assert when(MOMENT) == "Sat 21 Nov 2026, 6:00 AM"


def test_a_utc_moment_shown_in_seoul_is_nine_hours_later(make_app):
    utc_app, seoul_app = make_app(CANOE_DEFAULT_TIMEZONE="UTC"), make_app(CANOE_DEFAULT_TIMEZONE="Asia/Seoul")
    with utc_app.test_request_context(headers={"Accept-Language": "en"}):
        assert when(MOMENT) == "Sat 21 Nov 2026, 6:00 AM"
    with seoul_app.test_request_context(headers={"Accept-Language": "en"}):
        assert when(MOMENT) == "Sat 21 Nov 2026, 3:00 PM"


def test_an_anonymous_visitor_sees_the_groups_time_zone(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        g.group = SimpleNamespace(timezone="America/New_York")
        assert when(MOMENT) == "Sat 21 Nov 2026, 1:00 AM"


def test_the_viewers_zone_beats_the_groups(app, make_user):
    user = make_user("minji")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        viewer = db.session.get(User, user.id)
        viewer.timezone = "Asia/Seoul"
        login_user(viewer)
        g.group = SimpleNamespace(timezone="America/New_York")
        assert when(MOMENT) == "Sat 21 Nov 2026, 3:00 PM"


# ---------------------------------------------------------------- choosing the language


def test_the_persons_setting_beats_the_browser(app, make_user):
    user = make_user("minji", locale="ko")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        login_user(db.session.get(User, user.id))
        assert select_locale() == "ko"


def test_a_visitors_choice_beats_the_browser(app):
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        session["lang"] = "en"
        assert select_locale() == "en"


@pytest.mark.parametrize("header, expected", [("ko-KR,ko;q=0.9,en;q=0.8", "ko"), ("en-GB", "en"), ("fr, de", "en"), (None, "en")])
def test_otherwise_the_browser_language_or_the_default(app, header, expected):
    headers = {"Accept-Language": header} if header else {}
    with app.test_request_context(headers=headers):
        assert select_locale() == expected


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize("name", ["Asia/Seoul", "Europe/London", "America/New_York", "UTC"])
def test_real_time_zones_are_known(name):
    assert is_timezone(name)


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/seoul", "Asia", "", "../etc/passwd", "/etc/localtime", "zone.tab", "x" * 300, None, 9, ["Asia/Seoul"]])
def test_anything_else_is_not_a_time_zone(name):
    assert not is_timezone(name)


def test_the_time_zone_list_is_sorted_real_zones():
    choices = timezone_choices()
    assert "Asia/Seoul" in choices and "Europe/London" in choices
    assert choices == sorted(choices)
    assert not [z for z in choices if z.startswith("Etc/") or ("/" not in z and z != "UTC")]
    assert all(is_timezone(z) for z in choices)
