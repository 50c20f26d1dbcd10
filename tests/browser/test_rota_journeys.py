"""The rota's controls in a real browser, with JavaScript and without, at 1280 px and 390 px, in English
and Korean: "Regenerate the future" first shows what would change (inline with htmx, a page without) and
changes nothing until it is confirmed; what a member is willing to do is saved with one button; the grid
offers "swap or offer" only on one's own slots, and a facilitator's change controls only on request."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.core.extensions import db
from app.groups.models import Group
from app.labour import periods, planning
from app.labour.models import Assignment, CareTask, Willingness
from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in

ROTA = "/g/riverside/care/rota"
WORDS = {
    "en": {"open": "Regenerate the future", "heading": "Re-plan the future?", "confirm": "Re-plan these weeks",
           "cancel": "Cancel: keep the rota as it is", "done": "The future of the rota is planned again",
           "change": "of them change"},
    "ko": {"open": "앞으로의 당번표 다시 짜기", "heading": "앞으로의 당번표를 다시 짤까요?", "confirm": "이 주들을 다시 짜기",
           "cancel": "취소: 당번표를 그대로 두기", "done": None, "change": "개가 바뀝니다"},
}


def _coop(live_server, locale: str):
    """Olga's co-op with a running rota: Ana, Ben and Cara are members, Fred facilitates."""
    olga = live_server.make_user("olga", locale, name="Olga Berg")
    people = [(live_server.make_user(handle, locale, name=name), role) for handle, name, role in (
        ("ana", "Ana Lima", "member"), ("ben", "Ben Okafor", "member"), ("cara", "Cara Diaz", "member"),
        ("fred", "Fred Ito", "facilitator"))]
    live_server.make_group(olga, "Riverside Food Co-op", "riverside", members=people)
    with live_server.app.test_request_context():
        group = db.session.scalar(select(Group).where(Group.slug == "riverside"))
        fred = db.session.scalar(select(User).where(User.handle == "fred"))
        today = periods.today_in(group)
        planning.set_up(fred, group, today - timedelta(days=today.weekday()), 6, True)
        planning.generate(fred, group)


def _plan(live_server) -> list[tuple]:
    with live_server.app.app_context():
        return [(a.id, a.user_id, a.status) for a in db.session.scalars(select(Assignment).order_by(Assignment.id))]


def _ana_cannot_do_what_she_holds(live_server) -> set[int]:
    """Ana says "cannot" to the tasks she holds ahead, without a re-plan: a re-plan would change them."""
    with live_server.app.app_context():
        ana = db.session.scalar(select(User).where(User.handle == "ana"))
        group = db.session.scalar(select(Group).where(Group.slug == "riverside"))
        tasks = set(db.session.scalars(select(Assignment.task_id).where(
            Assignment.user_id == ana.id, Assignment.period > 0, Assignment.status == "assigned")))
        for task_id in tasks:
            db.session.add(Willingness(group_id=group.id, user_id=ana.id, task_id=task_id, level="cannot"))
        db.session.commit()
        return tasks


def _ana_holds(live_server, tasks) -> int:
    with live_server.app.app_context():
        ana = db.session.scalar(select(User).where(User.handle == "ana"))
        return len(db.session.scalars(select(Assignment).where(
            Assignment.user_id == ana.id, Assignment.period > 0, Assignment.status == "assigned",
            Assignment.task_id.in_(tasks))).all())


SHAPES = pytest.mark.parametrize("width,locale", [(1280, "en"), (390, "ko")], ids=["1280-en", "390-ko"])


@JS
@SHAPES
def test_regenerate_shows_what_would_change_and_changes_nothing_until_confirmed(
        new_context, live_server, console, java_script_enabled, width, locale):
    js, words = java_script_enabled, WORDS[locale]
    _coop(live_server, locale)
    tasks = _ana_cannot_do_what_she_holds(live_server)
    assert _ana_holds(live_server, tasks) > 0
    before = _plan(live_server)
    fred = new_context(width=width, java_script_enabled=js).new_page()  # logs in in English; then his own language
    log_in(fred, "fred@example.org")
    fred.goto(ROTA)

    # First look, then step back: nothing changes.
    if js:
        fred.evaluate(MARKER)
    fred.get_by_role("link", name=re.compile(re.escape(words["open"]))).click()
    confirm = fred.locator("#replan")
    expect(confirm.get_by_role("heading", name=words["heading"])).to_be_visible()
    expect(confirm).to_contain_text(words["change"])
    expect(confirm.locator(".replan-change").first).to_be_visible()
    if js:
        assert fred.evaluate(SAME_PAGE), "with htmx the confirmation should appear in place"
        expect(fred).to_have_url(re.compile(r"/care/rota$"))
        expect(confirm).to_be_focused()  # focus moves to what appeared (data-focus)
    else:
        expect(fred).to_have_url(re.compile(r"/care/rota/regenerate$"))
    box = confirm.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, "the confirmation is wider than the screen"
    fred.get_by_role("link", name=words["cancel"]).click()
    expect(fred).to_have_url(re.compile(r"/care/rota$"))
    assert _plan(live_server) == before

    # Look again and confirm: the re-plan happens, and Ana no longer holds what she can't do.
    fred.get_by_role("link", name=re.compile(re.escape(words["open"]))).click()
    fred.locator("#replan").get_by_role("button", name=words["confirm"]).click()
    expect(fred).to_have_url(re.compile(r"/care/rota$"))
    if words["done"]:
        expect(fred.get_by_role("status").first).to_contain_text(words["done"])
    assert _plan(live_server) != before
    assert _ana_holds(live_server, tasks) == 0
    console.check()


@JS
def test_willingness_is_saved_for_every_task_with_one_button(new_context, live_server, console, java_script_enabled):
    _coop(live_server, "en")
    ana = new_context(java_script_enabled=java_script_enabled).new_page()
    log_in(ana, "ana@example.org")
    ana.goto("/g/riverside/care")
    section = ana.locator("#willingness")
    expect(section.get_by_role("button")).to_have_count(1)
    section.get_by_label(re.compile("^Tidy up")).select_option("cannot")
    section.get_by_label(re.compile("^Host the meeting")).select_option("rather_not")
    section.get_by_role("button", name="Save what I'm willing to do").click()
    expect(ana.get_by_role("status").first).to_contain_text("Saved. The rota ahead follows your answers.")
    expect(ana.locator("#willingness").get_by_label(re.compile("^Tidy up"))).to_have_value("cannot")
    with live_server.app.app_context():
        levels = {name: level for name, level in db.session.execute(
            select(CareTask.name, Willingness.level).join(CareTask, CareTask.id == Willingness.task_id))}
    assert levels == {"Tidy up": "cannot", "Host the meeting": "rather_not"}
    console.check()


def test_the_grid_offers_controls_only_where_they_apply(new_context, live_server, console):
    _coop(live_server, "en")
    with live_server.app.app_context():
        ana_id = db.session.scalar(select(User.id).where(User.handle == "ana"))
        mine = db.session.scalars(select(Assignment.id).where(Assignment.user_id == ana_id,
                                                              Assignment.status == "assigned")).all()
    ana = new_context(width=390).new_page()
    log_in(ana, "ana@example.org")
    ana.goto(ROTA)
    expect(ana.locator(".slot-admin")).to_have_count(0)
    expect(ana.locator("a.slot-swap")).to_have_count(len(mine))
    ana.locator("a.slot-swap").first.click()
    expect(ana).to_have_url(re.compile(r"/g/riverside/care#slot-\d+$"))

    fred = new_context().new_page()
    log_in(fred, "fred@example.org")
    fred.goto(ROTA)
    expect(fred.locator(".slot-admin")).to_have_count(0)  # calm until asked
    fred.get_by_role("link", name="Change slots").click()
    expect(fred.locator(".slot-admin").first).to_be_visible()
    fred.locator(".slot-admin summary").first.click()
    expect(fred.locator(".slot-admin[open]").get_by_role("button", name="Skip this week")).to_be_visible()
    fred.get_by_role("link", name="Done changing slots").click()
    expect(fred.locator(".slot-admin")).to_have_count(0)
    console.check()
