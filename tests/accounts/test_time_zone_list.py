"""The time-zone list a person (or a group) chooses from: canonical zones only, each once, the
common ones first, named in the reader's language; and how dates read: relative words from
Babel, a full date beside them, and `datetime` values HTML accepts."""
import re
import zoneinfo
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.core import get_global
from flask_babel import refresh

from app.core.i18n import ago, iso, moment, timezone_choices, timezone_options
from tests.accounts.helpers import text

NOW = datetime(2026, 12, 3, 8, 40, 43, 123456, tzinfo=timezone.utc)  # 17:40 in Seoul


def options(app, lang, current=None):
    with app.test_request_context(headers={"Accept-Language": lang}):
        return timezone_options(current)


def select_of(page: str) -> str:
    return re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S).group(0)


# ---------------------------------------------------------------- the list


def test_seoul_and_utc_come_first_then_every_zone_once(app):
    offered = options(app, "en")
    values = [o.value for o in offered]
    assert values[:2] == ["Asia/Seoul", "UTC"]
    assert sorted(values) == timezone_choices() and len(values) == len(set(values))
    assert {o.optgroup for o in offered[:2]} == {"Common time zones"}
    assert {o.optgroup for o in offered[2:]} == {"All time zones"}


def test_the_zone_in_use_joins_the_common_ones(app):
    values = [o.value for o in options(app, "en", "Europe/Berlin")]
    assert values[:3] == ["Asia/Seoul", "UTC", "Europe/Berlin"] and values.count("Europe/Berlin") == 1
    # An old alias stored before zones were checked is offered as the zone it now is.
    values = [o.value for o in options(app, "en", "Asia/Calcutta")]
    assert values[:3] == ["Asia/Seoul", "UTC", "Asia/Kolkata"] and "Asia/Calcutta" not in values


def test_no_alias_or_deprecated_name_is_offered(app):
    values = {o.value for o in options(app, "en")}
    aliases = set(get_global("zone_aliases"))  # CLDR's old names: US/Eastern, Asia/Calcutta, ROK, …
    assert values & aliases == {"UTC"}  # for CLDR, "UTC" is a name of Etc/UTC; for people, the name
    assert not {v for v in values if v.startswith(("Etc/", "posix/", "right/", "US/", "SystemV/"))}
    assert {"US/Eastern", "Asia/Calcutta", "Europe/Kiev", "GMT", "ROK", "Factory"}.isdisjoint(values)


def test_the_zones_are_tzdatas_own_list_of_places(app):
    """The list is zoneinfo's zones that CLDR knows: that is tzdata's zone.tab (one line per place,
    no backward links), plus UTC."""
    tables = [Path(p) / "zone.tab" for p in zoneinfo.TZPATH if (Path(p) / "zone.tab").exists()]
    if not tables:
        pytest.skip("this system's tzdata ships no zone.tab")
    places = {line.split("\t")[2].strip() for line in tables[0].read_text().splitlines()
              if line and not line.startswith("#")}
    offered = {o.value for o in options(app, "en")}
    assert offered - places == {"UTC"}
    assert len(places - offered) <= 3  # a zone newer than the CLDR of this Babel (America/Coyhaique)


def label(app, lang, zone):
    return next(o.label for o in options(app, lang) if o.value == zone)


@pytest.mark.parametrize("lang, zone, name", [
    ("ko", "Asia/Seoul", "대한민국(서울) · GMT+09:00"),
    ("en", "Asia/Seoul", "South Korea (Seoul) · GMT+09:00"),
    ("ko", "UTC", "UTC (협정 세계시) · GMT+00:00"),
    ("en", "Asia/Kolkata", "India (Kolkata) · GMT+05:30"),
    ("ko", "Asia/Kolkata", "인도(콜카타) · GMT+05:30"),  # CLDR files it under Asia/Calcutta
    ("en", "America/Argentina/Buenos_Aires", "Argentina (Buenos Aires) · GMT-03:00"),
    ("ko", "Europe/Berlin", "독일(베를린) · GMT+0"),
])
def test_zones_are_named_in_the_readers_language(app, lang, zone, name):
    assert label(app, lang, zone).startswith(name)


def test_a_negative_half_hour_offset_is_right(app):
    """Babel's get_timezone_gmt says -04:30 for Newfoundland's -03:30; ours doesn't."""
    assert re.search(r"GMT-0[23]:30$", label(app, "en", "America/St_Johns"))


def test_the_rest_are_in_alphabetical_order_of_their_names(app):
    for lang in ("en", "ko"):
        names = [o.label for o in options(app, lang)[2:]]
        assert names[0].startswith("Afghanistan" if lang == "en" else "가")
        # Germany before Japan; 독일 before 일본 (ㄷ before ㅇ).
        assert names.index(label(app, lang, "Europe/Berlin")) < names.index(label(app, lang, "Asia/Tokyo"))


def test_the_settings_page_offers_the_named_list_in_korean(client, auth, make_user):
    auth.login(make_user("minji", locale="ko"))
    client.post("/settings", data={"locale": "ko", "timezone": "Europe/Berlin"})
    select = select_of(text(client.get("/settings")))
    assert '<optgroup label="자주 쓰는 시간대">' in select and '<optgroup label="모든 시간대">' in select
    firsts = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select)[:3]
    assert [v for v, _ in firsts] == ["Asia/Seoul", "UTC", "Europe/Berlin"]
    assert firsts[0][1] == "대한민국(서울) · GMT+09:00"
    assert re.search(r'<option selected value="Europe/Berlin">|<option value="Europe/Berlin" selected', select)


def test_the_group_settings_offer_the_same_named_list(client, auth, make_user, make_cast):
    cast = make_cast("town", "public")
    auth.login(cast.admin)
    select = select_of(text(client.get("/g/town/settings")))
    assert "South Korea (Seoul) · GMT+09:00" in select and "<optgroup" in select


# ---------------------------------------------------------------- dates


def test_a_datetime_value_is_utc_to_the_second():
    assert iso(NOW) == "2026-12-03T08:40:43Z"
    assert iso(NOW.astimezone(timezone(timedelta(hours=9)))) == "2026-12-03T08:40:43Z"
    assert iso(NOW.replace(tzinfo=None)) == "2026-12-03T08:40:43Z"  # naive: the database's UTC
    assert iso(NOW.date()) == "2026-12-03"
    assert iso(None) == ""


@pytest.mark.parametrize("back, en, ko", [
    (timedelta(seconds=20), "just now", "방금"),
    (timedelta(minutes=5), "5 minutes ago", "5분 전"),
    (timedelta(hours=3), "3 hours ago", "3시간 전"),
    (timedelta(days=1), "yesterday", "어제"),
    (timedelta(days=3), "3 days ago", "3일 전"),
    (timedelta(days=6), "6 days ago", "6일 전"),
    (timedelta(days=14), "2 weeks ago", "2주 전"),
    (timedelta(days=40), "Sat 24 Oct 2026", "2026년 10월 24일 (토)"),
    (-timedelta(days=2), "in 2 days", "2일 후"),
])
def test_relative_dates_read_right_in_both_languages(app, back, en, ko):
    for lang, words in (("en", en), ("ko", ko)):
        with app.test_request_context(headers={"Accept-Language": lang}):
            assert ago(NOW - back, NOW) == words


def test_yesterday_is_the_viewers_calendar_day(app):
    """At 00:30 in Seoul, 23:00 the evening before is "1 hour ago", not yet "yesterday"; 09:00
    the morning before is "yesterday"."""
    just_after_midnight = datetime(2026, 12, 3, 15, 30, tzinfo=timezone.utc)  # 00:30 on the 4th in Seoul
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert ago(just_after_midnight - timedelta(minutes=90), just_after_midnight) == "2 hours ago"
        assert ago(datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc), just_after_midnight) == "yesterday"


def test_a_moment_shows_words_and_keeps_the_full_date_for_hover_and_screen_readers(app):
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        refresh()
        html = str(moment(datetime.now(timezone.utc) - timedelta(days=3)))
    stamp, title, shown, spoken = re.fullmatch(
        r'<time datetime="([^"]+)" title="([^"]+)"><span aria-hidden="true">([^<]+)</span>'
        r'<span class="visually-hidden">([^<]+)</span></time>', html).groups()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert shown == "3일 전"
    assert title == spoken and re.fullmatch(r"\d{4}년 \d+월 \d+일 \(.\) 오[전후] \d+:\d\d", title)
