"""Language and time: which locale and zone a viewer sees, dates in their form, Korean particles."""
from datetime import date, datetime, timedelta, timezone
import unicodedata
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, g, has_app_context, has_request_context, request, session
from babel import Locale
from babel.core import get_global
from babel.dates import format_timedelta
from flask_babel import format_date, get_locale, get_timezone, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

from app.core.outage import database_down

LOCALES = ("ko", "en")

# Babel's own long forms are verbose in Korean; these are the forms Canoe shows: 2026년 11월 21일 (토) 오후 3:00, Sat 21 Nov 2026, 3:00 PM.
DATETIME_PATTERNS = {"ko": "y년 M월 d일 (E) aaaa h:mm", "en": "EEE d MMM y, h:mm a"}
DATE_PATTERNS = {"ko": "y년 M월 d일 (E)", "en": "EEE d MMM y"}


def select_locale() -> str:
    if not has_request_context():  # a CLI command: the default language
        return current_app.config["CANOE_DEFAULT_LOCALE"]
    # Who is logged in comes from the database; once it has failed this request, don't ask again.
    if not database_down() and current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return locale_without_database()


def locale_without_database() -> str:
    """The language this request alone asks for: the `lang` this browser chose, else its
    Accept-Language, else the site's default. The page shown while the database is down uses it."""
    if session.get("lang") in LOCALES:
        return session["lang"]
    if request:
        best = request.accept_languages.best_match(LOCALES)
        if best:
            return best
    return current_app.config["CANOE_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The viewer's own zone, else the group's they are looking at, else the site's default."""
    if not has_request_context():
        return usable_zone()
    own = current_user.timezone if current_user and current_user.is_authenticated else None
    group = g.get("group")
    return usable_zone(own, getattr(group, "timezone", None))


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    """Canonical IANA zone names that both zoneinfo and Babel know, plus UTC.

    `ZoneInfo()` also opens `Factory`, `localtime`, `posix/…`, `right/…` and old aliases
    (`US/Eastern`); those load but break formatting or mean nothing to a person, so a zone
    must be one of these. `Etc/GMT+9` and the like are left out: their signs run backwards.
    """
    known = set(get_global("zone_territories"))
    names = {z for z in available_timezones() & known if not z.startswith("Etc/")}
    return tuple(sorted(names | {"UTC"}))


def timezone_choices() -> list[str]:
    """The zones a person or group may choose, sorted: the same set `is_timezone` accepts."""
    return list(_zones())


def is_timezone(name) -> bool:
    """Whether `name` is a zone we accept to store (one of `timezone_choices()`)."""
    return isinstance(name, str) and name in _accepted()


@lru_cache(maxsize=1)
def _accepted() -> frozenset[str]:
    return frozenset(_zones())


def canonical_zone(name) -> str | None:
    """An accepted zone for a stored name: itself, or what Babel says an old alias now is."""
    if not isinstance(name, str):
        return None
    if is_timezone(name):
        return name
    alias = get_global("zone_aliases").get(name, name)
    if alias in ("Etc/UTC", "Etc/GMT"):  # UTC under its other names
        return "UTC"
    return alias if is_timezone(alias) else None


def usable_zone(*names) -> str:
    """The zone to use: the first of `names` we accept (aliases resolved), else the site's default.

    Pages read stored zones through this, so a value saved before zones were checked (or
    edited in the database) falls back instead of breaking every date on the page.
    """
    for name in names:
        zone = canonical_zone(name)
        if zone:
            return zone
    default = current_app.config["CANOE_DEFAULT_TIMEZONE"] if has_app_context() else None
    return canonical_zone(default) or "UTC"


def zone_info(*names) -> ZoneInfo:
    """`usable_zone(*names)` as a ZoneInfo, for code that does its own date arithmetic."""
    return ZoneInfo(usable_zone(*names))


# Offered first, before the whole list: where most of Canoe's co-ops are, and the zone without a place.
COMMON_ZONES = ("Asia/Seoul", "UTC")


@lru_cache(maxsize=1)
def _cldr_names() -> dict[str, tuple[str, ...]]:
    """For each zone, the names CLDR may file its city under: itself, then its old names.

    CLDR keeps a zone's words under its first, stable id (`Asia/Calcutta`, `America/Buenos_Aires`)
    even where tzdata renamed it (`Asia/Kolkata`, `America/Argentina/Buenos_Aires`)."""
    names: dict[str, list[str]] = {zone: [zone] for zone in _zones()}
    for old, zone in get_global("zone_aliases").items():
        if zone in names:
            names[zone].append(old)
    return {zone: tuple(found) for zone, found in names.items()}


@lru_cache(maxsize=len(LOCALES) + 1)
def _zone_places(lang: str) -> dict[str, str]:
    """Each zone as a person finds it, in their language: "대한민국(서울)", "Germany (Berlin)"."""
    locale = Locale.parse(lang)
    places = {}
    for zone, names in _cldr_names().items():
        if zone == "UTC":
            places[zone] = f"UTC ({locale.time_zones['Etc/UTC']['long']['standard']})"
            continue
        city = next((locale.time_zones[n]["city"] for n in names if "city" in locale.time_zones.get(n, {})),
                    zone.rsplit("/", 1)[-1].replace("_", " "))
        country = locale.territories.get(get_global("zone_territories").get(zone, "ZZ"), "")
        places[zone] = locale.zone_formats["fallback"] % {"0": city, "1": country} if country else city
    return places


def _sort_key(label: str) -> str:
    # Without accents, so "Åland" sits with the A's; Hangul keeps its own (가나다) order.
    return "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=2)
def _offsets(hour: datetime) -> dict[str, timedelta]:
    """Every zone's offset from UTC at this hour (summer time moves them on the hour, near enough);
    opening 418 zone files takes longer than drawing the page."""
    return {zone: hour.astimezone(ZoneInfo(zone)).utcoffset() for zone in _zones()}


def _gmt(offset: timedelta, pattern: str) -> str:
    """"GMT+09:00", "GMT-03:30" (Babel's own `get_timezone_gmt` misreads negative half hours)."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return pattern % f"{sign}{hours:02d}:{minutes:02d}"


def timezone_options(current: str | None = None) -> list[SelectChoice]:
    """The zones to choose from, named in the viewer's language with their offset today
    ("대한민국(서울) · GMT+09:00"): Seoul, UTC and the zone in use first, then all, by name.

    The same zones as `timezone_choices()`, each once; only the order and the words differ.
    The offset is worked out now rather than cached, as summer time moves it.
    """
    lang = _lang() if _lang() in LOCALES else "en"
    places = _zone_places(lang)
    offsets = _offsets(datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0))
    gmt = Locale.parse(lang).zone_formats["gmt"]

    def named(zone):
        return f"{places[zone]} · {_gmt(offsets[zone], gmt)}"

    first = [z for z in dict.fromkeys((*COMMON_ZONES, canonical_zone(current))) if z and is_timezone(z)]
    common, everywhere = str(_l("Common time zones")), str(_l("All time zones"))
    rest = sorted((z for z in _zones() if z not in first), key=lambda z: _sort_key(places[z]))
    return [SelectChoice(z, named(z), optgroup=common) for z in first] + \
        [SelectChoice(z, named(z), optgroup=everywhere) for z in rest]


class TimezoneField(SelectField):
    """A select of the zones we accept (`timezone_options`: named, the common ones first).
    Anything else posted gets the field's own message; a stored zone we no longer accept shows
    as the zone actually in use, so saving the form doesn't silently switch it to the first
    zone in the list."""

    def __init__(self, label=None, validators=None, **kwargs):
        # Called when the select is drawn, once the field holds its zone: that one is offered
        # among the first; a person with no zone of their own sees the one their pages use.
        kwargs.setdefault("choices", lambda form, field: timezone_options(field.data or select_timezone()))
        super().__init__(label, validators, validate_choice=False, **kwargs)

    def process_data(self, value):
        super().process_data(usable_zone(value) if value else None)  # None: a person's "no zone of my own"

    def pre_validate(self, form):
        if not is_timezone(self.data):
            raise ValidationError(str(_l("That isn't a time zone we know.")))


def _lang() -> str:
    return str(get_locale() or "en")[:2]


@lru_cache(maxsize=4)
def _calendar_words(lang: str) -> tuple[dict, dict, dict]:
    """Weekday, month and am/pm words from Babel's locale data, looked up once per language."""
    locale = Locale.parse(lang)
    periods = locale.day_periods["format"]["wide" if lang == "ko" else "abbreviated"]
    return locale.days["format"]["abbreviated"], locale.months["format"]["abbreviated"], periods


def when(value: datetime | None) -> str:
    """A moment in the viewer's zone, in their language's everyday form (DATETIME_PATTERNS).

    Written out by hand rather than through format_datetime: a long thread shows hundreds of
    these, and Babel's general formatter costs ~60 µs each.
    """
    if value is None:
        return ""
    lang = _lang() if _lang() in DATETIME_PATTERNS else "en"
    local = value.astimezone(get_timezone())
    days, months, periods = _calendar_words(lang)
    hour = local.hour % 12 or 12
    ampm = periods["am" if local.hour < 12 else "pm"]
    weekday = days[local.weekday()]
    if lang == "ko":
        return f"{local.year}년 {local.month}월 {local.day}일 ({weekday}) {ampm} {hour}:{local.minute:02d}"
    return f"{weekday} {local.day} {months[local.month]} {local.year}, {hour}:{local.minute:02d} {ampm}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return format_date(value, DATE_PATTERNS.get(_lang(), DATE_PATTERNS["en"]))


def iso(value: datetime | None) -> str:
    """A moment as a `<time datetime>` value: UTC to the second (`2026-12-03T17:40:43Z`).

    HTML's "valid global date and time string" allows a fraction of a second, but browsers and
    checkers differ on more than three digits, and a second is all a page ever means.
    """
    if value is None:
        return ""
    if not isinstance(value, datetime):  # a day: "2026-12-03" is valid as it is
        return value.isoformat()
    if value.tzinfo is None:  # the database's naive values are UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# How far back a moment is still told relative to now: past four weeks the date says more than "1 month ago".
RELATIVE_DAYS = 27
RECENT_HOURS = 12


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago a moment was, in the viewer's words: "just now", "3 hours ago", "yesterday",
    "3일 전"; the date itself once it is more than four weeks back (or ahead).

    Under twelve hours it is counted in hours and minutes; after that in whole calendar days of
    the viewer's zone, so "yesterday" is the day before today where they are. Babel words the
    counts (`format_timedelta`), in Korean and English alike.
    """
    if value is None:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    seconds = (value - now).total_seconds()
    if abs(seconds) < 60:
        return gettext("just now")
    zone = get_timezone()
    days = (value.astimezone(zone).date() - now.astimezone(zone).date()).days
    if abs(days) > RELATIVE_DAYS:
        return day(value.astimezone(zone))
    if days == -1 and seconds <= -RECENT_HOURS * 3600:
        return gettext("yesterday")
    if days == 0 or abs(seconds) < RECENT_HOURS * 3600:  # past midnight, "2 hours ago" still reads better
        return format_timedelta(value - now, add_direction=True, threshold=1, locale=_lang())
    # threshold=1: six days stay "6 days ago" rather than becoming "1 week ago".
    return format_timedelta(timedelta(days=days), add_direction=True, threshold=1, granularity="day",
                            locale=_lang())


def moment(value: datetime | None, css: str = "") -> Markup:
    """A `<time>`: how long ago it was, with the full date and time in `title` (on hover) and
    `datetime`. A screen reader hears the full date, which doesn't change from one visit to the
    next; the relative words are for the eye."""
    if value is None:
        return Markup("")
    full = when(value)
    return Markup(
        '<time{css} datetime="{iso}" title="{full}"><span aria-hidden="true">{ago}</span>'
        '<span class="visually-hidden">{full}</span></time>'
    ).format(css=Markup(' class="%s"') % css if css else "", iso=iso(value), full=full, ago=ago(value))


# Final consonants of Latin letters and digits as Koreans read them, for names like "Sam".
_LATIN_WITH_BATCHIM = set("lmnr")
_DIGITS_WITH_BATCHIM = set("013678")
PARTICLES = {
    "은/는": ("은", "는"),
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "과/와": ("과", "와"),
    "아/야": ("아", "야"),
    "이에요/예요": ("이에요", "예요"),
    "으로/로": ("으로", "로"),
}


def has_batchim(word: str) -> bool:
    """Whether a word ends in a final consonant, which picks 은 over 는 and 을 over 를."""
    word = word.rstrip()
    if not word:
        return False
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    if last.isdigit():
        return last in _DIGITS_WITH_BATCHIM
    return last.lower() in _LATIN_WITH_BATCHIM


def josa(word: str, pair: str) -> str:
    """`josa("민지", "을/를")` → "민지를". Only Korean uses it; other languages get the word."""
    with_final, without = PARTICLES[pair]
    final = has_batchim(word)
    # 으로/로 is the one pair where a final ㄹ counts as none: 서울로, not 서울으로.
    if pair == "으로/로" and final and _final_is_rieul(word):
        final = False
    return f"{word}{with_final if final else without}"


def _final_is_rieul(word: str) -> bool:
    last = word.rstrip()[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 == 8
    return last.lower() in {"l", "1", "7", "8"}


def particle(word: str, pair: str) -> str:
    """The word with its Korean particle when the page is Korean; the bare word otherwise."""
    return josa(word, pair) if _lang() == "ko" else word


def init_app(app) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.globals["moment"] = moment
    app.jinja_env.filters["particle"] = particle
    app.jinja_env.globals["LOCALES"] = LOCALES
    app.jinja_env.globals["current_lang"] = _lang


def local_to_utc(value: datetime | None) -> datetime | None:
    """A wall-clock time the viewer typed (their zone) as an aware UTC datetime."""
    from datetime import timezone as _utc
    from flask_babel import get_timezone

    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(str(get_timezone()))).astimezone(_utc.utc)
