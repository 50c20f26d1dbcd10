"""Language and time: which locale and zone a viewer sees, dates in their form, Korean particles."""
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, g, has_app_context, has_request_context, request, session
from babel import Locale
from babel.core import get_global
from flask_babel import format_date, get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
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


class TimezoneField(SelectField):
    """A select of `timezone_choices()`. Anything else posted gets the field's own message; a
    stored zone we no longer accept shows as the zone actually in use, so saving the form
    doesn't silently switch it to the first zone in the list."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("choices", timezone_choices)
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
