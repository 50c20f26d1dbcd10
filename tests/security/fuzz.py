"""The form fuzzer's parts: which POST routes exist, how to reach each, which fields each takes,
what a good value for a field looks like, and the bad values every field is sent.

The test module (test_form_fuzzer.py) puts them together. Routes come from `app.url_map`, so a
new route is fuzzed without anyone listing it; its URL variables must be in `url_values`, or
the fuzzer fails and says which name to add.
"""
import inspect
import io
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask_wtf import FlaskForm
from wtforms import fields as wtf

from tests.conftest import PASSWORD
from tests.security.crawl import Field

ROLES = ["anonymous", "outsider", "member", "facilitator", "admin"]

MISSING = object()  # the field is left out of the request
DUPLICATE = object()  # the field is sent twice: a good value, then a bad one


def _far(day: str, time: str):
    """A date at the calendar's edge, written as the field's kind expects (a day, or a day and time)."""
    return lambda field: day if field.kind == "date" else f"{day}T{time}"


# (name, value or value of the field): every field of every form gets these, shared among the roles.
BAD_VALUES = [
    ("empty", ""),
    ("huge text", "x" * 60_001),
    ("huge integer", "99999999999999999999"),
    ("negative", "-1"),
    ("not a number", "abc"),
    ("not UTF-8", b"\xff\xfe\xc3("),
    ("NUL", "a\x00b"),
    ("far past", _far("0001-01-01", "00:00")),
    ("far future", _far("9999-12-31", "23:59")),
    ("wrong choice", "not-a-choice"),
    ("missing", MISSING),
    ("duplicate", DUPLICATE),
]
# Files for file fields: (name, content, file name).
BAD_FILES = [
    ("empty file", b"", "empty.txt"),
    ("a page as a file", b"<script>alert(1)</script>", "page.html"),
    ("odd file name", b"hello", "../../e\u0301vil\x00.txt"),
    ("long file name", b"hello", "a" * 300 + ".txt"),
    ("not the image it says", b"not a png", "photo.png"),
]


def url_values(world) -> dict:
    """Real values for every URL variable a POST route has: names here are the only ones known.

    Each is a list the fuzzer goes round (so cases reach different objects); `target_id` and
    `token` depend on the route and the target type.
    """
    ids = world.ids
    return {
        "slug": ["coop", "coop-kitchen", "coop-garden", "town"],
        "thread_id": [ids["thread"], ids["closed_thread"], ids["circle_thread"], ids["town_thread"]],
        "comment_id": [ids["comment"], ids["reply"]],
        "document_id": [ids["document"], ids["town_document"]],
        "attachment_id": [ids["thread_attachment"], ids["document_attachment"]],
        "proposal_id": [*ids["proposals"], ids["town_proposal"]],
        "action_id": [ids["action"]],
        "assignment_id": [ids["slot_member"], ids["slot_admin"], ids["slot_facilitator"]],
        "swap_id": [ids["swap"], ids["offer"]],
        "care_id": [ids["care"], ids["care_confirmed"]],
        "absence_id": [ids["absence"]],
        "task_id": [ids["task"]],
        "invitation_id": [ids["invitation"]],
        "membership_id": [ids["membership_member"], ids["membership_facilitator"]],
        "notification_id": [ids["notification"]],
        "target_type": ["thread", "comment"],
        "target_id": {"thread": [ids["thread"], ids["town_thread"]], "comment": [ids["comment"], ids["reply"]]},
        "token": {"groups.accept": [world.tokens["invitation"]],
                  "notification_settings.mail_link": [world.tokens["mail"]]},
    }


class UnknownVariable(Exception):
    pass


def post_rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.endpoint)


def url_for_case(rule, values: dict, turn: int) -> str:
    """The rule's path with real values, the `turn`-th combination (slugs go round only on routes
    that name nothing else, so an object's id and its group's slug stay together)."""
    chosen = {}
    alone = set(rule.arguments) == {"slug"}
    for name in sorted(rule.arguments, key=lambda n: n == "target_id"):
        if name not in values:
            raise UnknownVariable(f"{rule.rule}: add <{name}> to url_values in tests/security/fuzz.py")
        options = values[name]
        if name == "target_id":
            options = options[chosen["target_type"]]
        elif name == "token":
            options = options.get(rule.endpoint)
            if options is None:
                raise UnknownVariable(f"{rule.rule}: add a token for {rule.endpoint} to url_values")
        elif name == "slug" and not alone:
            options = options[:1]
        chosen[name] = options[turn % len(options)]
    return rule.build(chosen, append_unknown=False)[1]


# ---------------------------------------------------------------- fields a route takes

KINDS = [  # most specific first: DateTimeLocalField is a DateTimeField, IdField an IntegerField
    (wtf.BooleanField, "checkbox"), (wtf.DateTimeLocalField, "datetime-local"), (wtf.DateField, "date"),
    (wtf.DateTimeField, "datetime-local"), (wtf.IntegerField, "number"), (wtf.DecimalField, "number"),
    (wtf.RadioField, "radio"), (wtf.SelectMultipleField, "select"), (wtf.SelectField, "select"),
    (wtf.TextAreaField, "textarea"), (wtf.MultipleFileField, "file"), (wtf.FileField, "file"),
    (wtf.PasswordField, "password"), (wtf.EmailField, "email"), (wtf.HiddenField, "hidden"),
]
FORM_CALL = re.compile(r"\b([A-Z]\w*Form)\(([^()]*)")
PREFIX = re.compile(r"prefix=[\"'](\w+)[\"']")
RAW_FIELD = re.compile(r"request\.(?:form|values)(?:\.get(?:list)?\(|\[)\s*[\"'](\w+)[\"']")


def _kind(field) -> str:
    return next((kind for cls, kind in KINDS if isinstance(field, cls)), "text")


def _flat(fields):
    """Every leaf field, list entries and sub-forms included (`actions-0-description`)."""
    for field in fields:
        if isinstance(field, (wtf.FieldList, wtf.FormField)):
            yield from _flat(field)
        else:
            yield field


def _choice_values(field) -> list[str]:
    """A select's or radio's values, however its choices are written (pairs, SelectChoice, a dict)."""
    choices = getattr(field, "choices", None) or []
    if isinstance(choices, dict):  # option groups
        choices = [c for group in choices.values() for c in group]
    return [str(getattr(c, "value", c[0] if isinstance(c, (tuple, list)) else c)) for c in choices]


def source_fields(app, endpoint: str) -> dict[str, Field]:
    """The fields a route's view reads, from its source: the WTForms forms it builds and the raw
    `request.form` names it looks up. Pages may not show every form (only to some people, only
    in some states); the code always names them."""
    view = inspect.unwrap(app.view_functions[endpoint])
    source = inspect.getsource(view)
    found = {}
    for form_name, arguments in set(FORM_CALL.findall(source)):
        form_class = view.__globals__.get(form_name)
        if not (isinstance(form_class, type) and issubclass(form_class, FlaskForm)):
            continue
        prefix = PREFIX.search(arguments)
        with app.test_request_context():
            form = form_class(formdata=None, meta={"csrf": False}, prefix=prefix.group(1) if prefix else "")
            for field in _flat(form):
                found[field.name] = Field(field.name, _kind(field), "", _choice_values(field))
    for name in RAW_FIELD.findall(source):
        found.setdefault(name, Field(name, "text"))
    return found


def merged_fields(page_fields: dict, code_fields: dict) -> dict[str, Field]:
    """The page's fields (with what the page filled in) and any the code reads that the page
    didn't show. The CSRF token is not a field to fuzz: every request carries a valid one."""
    fields = {**code_fields, **page_fields}
    return {name: field for name, field in fields.items() if not name.endswith("csrf_token")}


# ---------------------------------------------------------------- good values

def good_value(field: Field, world) -> str | None:
    """What a person filling the form in sensibly would send (None: leave it out, as an
    unticked box is)."""
    ids, people = world.ids, world.people
    by_name = {
        "email": "fuzz@example.org", "password": PASSWORD, "confirm": PASSWORD, "current": PASSWORD,
        "slug": "fuzzed", "handle": "fuzzer", "timezone": "Europe/Paris", "to_user_id": str(people["facilitator"]),
        "user_id": str(people["member"]), "assignment_id": str(ids["slot_facilitator"]), "care_id": str(ids["care"]),
        "parent_id": str(ids["comment"]), "thread": str(ids["thread"]), "next": "/",
    }
    key = field.name.rsplit("-", 1)[-1]  # `reg-email` (a prefixed form), `actions-0-owner_id` (a list)
    if field.value:
        return field.value
    if key in by_name:
        return by_name[key]
    if key == "owner_id":
        return str(people["member"])
    today = datetime.now().date()
    if field.kind == "checkbox":
        return None
    if field.kind in ("select", "radio"):
        return next((o for o in field.options if o), None)
    if field.kind == "number":
        return "2"
    if field.kind == "date":
        later = key in ("review_on", "due_on", "starts_on", "ends_on")
        return (today + timedelta(days=20 if key != "ends_on" else 22)).isoformat() if later else today.isoformat()
    if field.kind == "datetime-local":
        return (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    if field.kind == "file":
        return None
    return "Fuzzed words"


# ---------------------------------------------------------------- cases


LATER_ENTRY = re.compile(r"-[1-9]\d*-")


def _stands_for(name: str, field: Field, fields: dict) -> str:
    """Fields read alike are fuzzed through one of them: `actions-1-…` like `actions-0-…`
    (a list's entries), and a row of checkboxes `kind-mention`, `kind-reply`, … like its first."""
    if LATER_ENTRY.search(name):
        return LATER_ENTRY.sub("-0-", name)
    if field.kind == "checkbox" and "-" in name:
        prefix = name.split("-", 1)[0] + "-"
        return min(n for n, f in fields.items() if n.startswith(prefix) and f.kind == "checkbox")
    return name


@dataclass
class Case:
    label: str
    pairs: list  # (name, str | bytes) in the order sent
    files: dict | None = None  # name -> (stream, file name): sent as multipart
    htmx: bool = False


def _spread(key: str, count: int, among: int, start: int) -> list[int]:
    """`count` indexes into a list of `among` from `start` on, shifted by the key: deterministic."""
    first = zlib.crc32(key.encode()) + start
    return [(first + i) % among for i in range(count)]


def cases(endpoint: str, fields: dict[str, Field], world, start: int, per_field: int, whole=()) -> list[Case]:
    """The requests one role sends one route: a sensible submission, the `whole`-form cases asked
    for ("none": no fields at all, "twice": every field twice), and `per_field` bad values for each
    field (the other fields sensible), taken from the list at `start`: roles start where the one
    before stopped, so together they send every value."""
    good = {name: good_value(field, world) for name, field in fields.items()}
    base = [(name, value) for name, value in good.items() if value is not None]
    made = [Case("a sensible submission", base)]
    if "none" in whole:
        made.append(Case("no fields at all", []))
    if "twice" in whole:
        made.append(Case("every field twice", base + [(n, "abc") for n, _ in base]))
    for name, field in sorted(fields.items()):
        if _stands_for(name, field, fields) != name:
            continue
        if field.kind == "file":
            for i in _spread(endpoint + name, per_field, len(BAD_FILES), start):
                label, content, filename = BAD_FILES[i]
                made.append(Case(f"{name} = {label}", base, {name: (content, filename)}))
            continue
        for i in _spread(endpoint + name, per_field, len(BAD_VALUES), start):
            label, value = BAD_VALUES[i]
            value = value(field) if callable(value) else value
            others = [(n, v) for n, v in base if n != name]
            if value is MISSING:
                pairs = others
            elif value is DUPLICATE:
                pairs = others + [(name, good[name] or "1"), (name, "abc")]
            else:
                pairs = others + [(name, value)]
            made.append(Case(f"{name} = {label}", pairs))
    for i, case in enumerate(made):
        case.htmx = (i + start) % 2 == 1
    return made


def body_of(case: Case, csrf: str) -> dict:
    """Keyword arguments for the test client's `post`."""
    if case.files:
        data = {}
        for name, value in case.pairs:
            data.setdefault(name, []).append(value)
        for name, (content, filename) in case.files.items():
            data[name] = (io.BytesIO(content), filename)
        data["csrf_token"] = csrf
        return {"data": data, "content_type": "multipart/form-data"}
    return {"data": urlencode([("csrf_token", csrf), *case.pairs]),
            "content_type": "application/x-www-form-urlencoded"}
