"""Every POST route, every field, every role: bad input never gives a 5xx, and a refusal (4xx)
changes nothing in the database.

Routes come from the app's URL map (a new route is fuzzed as soon as it exists); their fields
from the forms the site's pages show (crawled as each role) and from the forms and raw
`request.form` names the view's code uses. Each request carries a valid CSRF token, as a
browser's would, and every other one is an htmx request. Everything is deterministic: the
values each role sends each field go round a fixed list (see tests/security/fuzz.py).

A request that answers 2xx/3xx and changed something did what it was for: the database is put
back and the next request starts from the same world.
"""
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import SQLAlchemyError

from app.web import create_app
from app.core.config import TestConfig, from_env
from tests.conftest import ON_POSTGRES
from tests.security import state
from tests.security.crawl import Field, crawl, endpoint_of
from tests.security.visitors import log_in
from tests.security.fuzz import (
    BAD_VALUES, ROLES, UnknownVariable, body_of, cases, merged_fields, post_rules, source_fields, url_for_case, url_values,
)

# The URL map, read when the tests are collected: one test per POST route.
_MAP_APP = create_app({**from_env(TestConfig), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
ENDPOINTS = [rule.endpoint for rule in post_rules(_MAP_APP)]

# How many bad values each role sends each field. Roles take different turns through the list,
# so together they send every field every bad value; those who can act get the larger share.
PER_FIELD = {"anonymous": 2, "outsider": 2, "member": 2, "facilitator": 3, "admin": 3}
# No request may hold a worker longer than this (CPU time, so a busy machine doesn't count).
CPU_BUDGET_S = 1.0
# Whole-form cases besides a sensible submission: no fields at all, every field twice.
WHOLE = {"anonymous": (), "outsider": (), "member": ("none",), "facilitator": ("twice",), "admin": ("none", "twice")}


@dataclass
class Site:
    """The seeded world with everyone logged in, every form found, and a snapshot to go back to."""

    world: object
    visitors: dict = field(default_factory=dict)
    page_fields: dict = field(default_factory=dict)  # endpoint -> {name: Field}
    saved: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    writes: object = None  # state.Writes

    @property
    def app(self):
        return self.world.app

    def client(self, role):
        return self.visitors[role].client()

    def send(self, role: str, url: str, case) -> tuple[int, str | None]:
        """Post one case: its status, and what went wrong, if anything."""
        token = self.visitors[role].csrf
        headers = {"HX-Request": "true", "X-CSRFToken": token} if case.htmx else {}
        where = f"{role} {'htmx ' if case.htmx else ''}POST {url} [{case.label}]"
        started = time.process_time()
        try:
            response = self.client(role).post(url, headers=headers, **body_of(case, token))
            response.get_data()  # a streamed body fails while it is read
            status, error = response.status_code, ""
        except Exception as exc:  # TESTING propagates a view's exception: that is the 500
            status, error = 500, _app_frame(exc)
        cpu = time.process_time() - started
        after = state.fingerprint(self.app) if self.writes.since_last_look() else self.baseline
        problem = None
        if status >= 500:
            problem = f"{where} → {status} {error}"
        elif cpu > CPU_BUDGET_S:
            problem = f"{where} → {status} after {cpu:.2f} s of CPU"
        elif 400 <= status < 500 and after != self.baseline:
            problem = f"{where} → {status} but changed {', '.join(state.changed(self.baseline, after))}"
        if after != self.baseline:
            self.put_back(after)
        return status, problem

    def put_back(self, after: dict) -> None:
        """Undo what the request changed; if undoing row by row misses anything, reload everything."""
        touched = [name for name in after if after[name] != self.baseline[name]]
        try:
            state.put_back(self.app, self.saved, touched)
        except SQLAlchemyError:  # e.g. a unique value moved between rows: the whole snapshot, below
            pass
        if state.fingerprint(self.app) != self.baseline:
            state.restore(self.app, self.saved)
            assert state.fingerprint(self.app) == self.baseline, "the world could not be put back"
        self.writes.since_last_look()  # our own writes don't count


def _app_frame(exc: BaseException) -> str:
    """The exception and the last line of our own code it passed through."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/app/" in f.filename]
    where = f" at {frames[-1].filename.split('/app/', 1)[1]}:{frames[-1].lineno} {frames[-1].line}" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{where}"


# Pages that only show things (no forms to post): the form crawl doesn't need them.
READING_ONLY = {
    "static", "archive.attachment", "labour.feed", "archive.thread_history", "archive.comment_history",
    "archive.document_history", "decisions.history", "archive.timeline", "search.search", "decisions.register",
    "decisions.register_csv", "accounts.person", "labour.fairness", "archive.replies", "decisions.needs_me",
}


def _forms_on_pages(site: Site) -> None:
    """Crawl as the people who see the most forms; note each form's fields by the route it posts to."""
    world, app = site.world, site.app
    ids = world.ids
    starts = {  # role: (where to start, how many pages at most); edit pages show their forms filled in
        "admin": (["/g/coop", "/g/coop-garden", "/g/coop-kitchen", "/g/town", "/groups/new", "/settings",
                   "/settings/notifications", "/profile", "/settings/password", "/g/coop/members",
                   "/g/coop/invitations", "/g/coop/settings", "/g/coop/notifications", f"/t/{ids['thread']}",
                   f"/g/coop/care/tasks/{ids['task']}", f"/p/{ids['proposal_poll_open']}",
                   f"/p/{ids['proposal_consent_closed']}"], 60),
        "member": ([f"/t/{ids['thread']}/edit", f"/c/{ids['reply']}/edit", f"/d/{ids['document']}/edit",
                    f"/p/{ids['proposal_consent_open']}/amend", f"/p/{ids['proposal_draft']}", "/g/coop/care",
                    f"/t/{ids['thread']}/notifications", "/notifications"], 20),
        "facilitator": ([f"/p/{ids['proposal_consensus_closed']}/outcome", f"/p/{ids['proposal_advice_open']}",
                         "/g/coop/care/rota"], 6),
        "outsider": (["/g/town", "/g/coop-kitchen"], 4),
        "anonymous": (["/login", "/register", f"/join/{world.tokens['invitation']}",
                       f"/mail/settings/{world.tokens['mail']}"], 4),
    }
    for role, (start, limit) in starts.items():
        found = crawl(app, site.client(role), start, limit=limit, per_endpoint=2, skip=READING_ONLY)
        for _page, form in found.forms:
            if form.method != "post":
                continue
            endpoint, _args = endpoint_of(app, form.action.removeprefix("http://localhost"), "POST")
            if endpoint is not None:
                known = site.page_fields.setdefault(endpoint, {})
                for name, seen in form.fields.items():
                    if name not in known or (seen.value and not known[name].value):
                        known[name] = seen


@pytest.fixture(scope="module")
def site(world):
    site = Site(world)
    for role in ROLES:
        site.visitors[role] = log_in(world.app, world.emails.get(role))
    _forms_on_pages(site)
    site.saved = state.snapshot(world.app)
    state.restore(world.app, site.saved)  # from here on, every request starts from exactly this
    site.baseline = state.fingerprint(world.app)
    site.writes = state.Writes(world.app)
    yield site
    site.writes.close()


def test_every_post_route_has_real_values_for_its_url(site):
    """A new route with a URL variable the fuzzer doesn't know fails here, naming it."""
    values = url_values(site.world)
    unknown = []
    for rule in post_rules(site.app):
        try:
            url_for_case(rule, values, 0)
        except UnknownVariable as problem:
            unknown.append(str(problem))
    assert not unknown, unknown
    assert sorted(ENDPOINTS) == sorted(r.endpoint for r in post_rules(site.app))


def test_the_fingerprint_sees_a_write_and_putting_back_undoes_it(site):
    """The fuzzer's own instruments: a refused request that wrote would be caught, and the
    world after each request is the world before it."""
    client = site.client("member")
    response = client.post(f"/t/{site.world.ids['thread']}/comments",
                           data={"body": "One more", "csrf_token": site.visitors["member"].csrf})
    assert response.status_code == 302
    assert site.writes.since_last_look()
    after = state.fingerprint(site.app)
    assert "comments" in {name.split(" ")[0] for name in state.changed(site.baseline, after)}
    site.put_back(after)
    assert state.fingerprint(site.app) == site.baseline
    if not ON_POSTGRES:  # there the signal is server-wide: another test worker's write shows in it too
        assert not site.writes.since_last_look()


def test_the_roles_together_send_every_field_every_bad_value():
    """Each role sends a share of the bad values; the shares add up to all of them."""
    fields = {"title": Field("title", "text"), "closes_at": Field("closes_at", "datetime-local")}
    world = SimpleNamespace(ids=defaultdict(int), people=defaultdict(int))
    sent, start = {name: set() for name in fields}, 0
    for role in ROLES:
        for case in cases("decisions.new", fields, world, start, PER_FIELD[role], WHOLE[role]):
            name, _, label = case.label.partition(" = ")
            if name in sent:
                sent[name].add(label)
        start += PER_FIELD[role]
    assert all(labels == {label for label, _value in BAD_VALUES} for labels in sent.values()), sent


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_input_from_any_role_gives_a_5xx_and_a_refusal_changes_nothing(site, endpoint):
    rule = next(r for r in post_rules(site.app) if r.endpoint == endpoint)
    fields = merged_fields(site.page_fields.get(endpoint, {}), source_fields(site.app, endpoint))
    values = url_values(site.world)
    problems, answers, start = [], set(), 0
    for role in ROLES:
        for turn, case in enumerate(cases(endpoint, fields, site.world, start, PER_FIELD[role], WHOLE[role])):
            try:
                url = url_for_case(rule, values, turn)
            except UnknownVariable as unknown:
                pytest.fail(str(unknown))
            status, problem = site.send(role, url, case)
            answers.add((role, status))
            if problem:
                problems.append(problem)
        start += PER_FIELD[role]
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])
    # The fuzz reached the route's own code: someone got more than "not found" back.
    assert any(status != 404 for role, status in answers if role in ("member", "facilitator", "admin")), answers
