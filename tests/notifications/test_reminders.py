"""`flask notify due`: reminders made once per person, target and occasion, however often cron runs it."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.core.database import utcnow
from app.decisions.models import Outcome, Proposal
from app.core.extensions import db
from app.labour import periods
from app.labour.models import Assignment, Rota
from app.notifications import reminders
from app.notifications.models import Notification
from tests.labour.care_cast import start_rota


def due(scene, now=None):
    with scene.ctx():
        return reminders.due(now)


def test_a_proposal_closing_within_a_day_reminds_only_members_who_havent_voted(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin")
    assert due(scene).made.get("closing", 0) == 0  # closes in 3 days: not yet
    scene.set(Proposal, pid, closes_at=utcnow() + timedelta(hours=20))
    due(scene)
    # Not the admin (voted); the author hasn't voted either, so they are reminded too.
    assert scene.recipients("closing") == scene.ids("facilitator", "member")
    assert scene.notifications("outsider") == []


def test_running_due_twice_reminds_nobody_twice(scene):
    pid = scene.propose("member")
    scene.set(Proposal, pid, closes_at=utcnow() + timedelta(hours=2))
    first = scene.app.test_cli_runner().invoke(args=["notify", "due"])
    second = scene.app.test_cli_runner().invoke(args=["notify", "due"])
    assert first.exit_code == 0 and "Made 3 reminder(s)." in first.output
    assert second.exit_code == 0 and "Made 0 reminder(s)." in second.output
    assert len(scene.all_notes("closing")) == 3


def test_a_reopened_proposal_with_a_new_closing_time_is_a_new_occasion(scene):
    pid = scene.propose("member")
    scene.set(Proposal, pid, closes_at=utcnow() + timedelta(hours=2))
    due(scene)
    scene.set(Proposal, pid, closes_at=utcnow() + timedelta(hours=5))
    due(scene)
    assert len(scene.notifications("facilitator", "closing")) == 2


def test_an_anonymous_proposals_reminder_names_no_voter(scene):
    pid = scene.propose("member", anonymous=True)
    scene.vote(pid, "admin", "object", reason="Costs too much")
    scene.set(Proposal, pid, closes_at=utcnow() + timedelta(hours=2))
    due(scene)
    with scene.ctx():
        notes = db.session.scalars(select(Notification).where(Notification.kind == "closing")).all()
        assert {n.user_id for n in notes} == {scene.uid("facilitator"), scene.uid("member")}
        assert all(n.actor_id is None and set(n.payload) == {"title"} for n in notes)


def test_members_who_left_get_no_reminder(scene):
    pid = scene.propose("member")
    scene.leave("facilitator")
    scene.set(Proposal, pid, closes_at=utcnow() + timedelta(hours=2))
    due(scene)
    assert scene.notifications("facilitator") == [("proposal", "proposal", pid)]


def test_an_action_due_tomorrow_reminds_its_owner_once_and_a_done_one_never(scene):
    pid = scene.propose("member")
    scene.close(pid)
    tomorrow = date.today() + timedelta(days=1)
    scene.outcome(pid, actions=[("Buy the bike", "member", tomorrow), ("Paint it", "admin", tomorrow + timedelta(days=9))])
    due(scene)
    due(scene)
    assert scene.recipients("action_due") == scene.ids("member")


def test_a_review_due_tells_facilitators_and_admins_once(scene):
    pid = scene.decided(author="member", review_on=date.today() + timedelta(days=30))
    due(scene)
    assert scene.all_notes("review_due") == []
    with scene.ctx():
        outcome_id = db.session.scalar(select(Outcome.id).where(Outcome.proposal_id == pid))
    scene.set(Outcome, outcome_id, review_on=date.today() - timedelta(days=1))
    due(scene)
    due(scene)
    assert scene.recipients("review_due") == scene.ids("admin", "facilitator")


def test_care_tasks_are_told_once_and_reminded_the_day_before_their_week(app, scene):
    start_rota(app, scene.cast)
    with scene.ctx():
        group = scene.group()
        r = db.session.scalar(select(Rota))
        current = periods.current_period(r, group)
        held = db.session.execute(select(Assignment.user_id, Assignment.period).where(
            Assignment.status == "assigned", Assignment.period.in_((current, current + 1)))).all()
        next_start = periods.period_start(r, current + 1)
    midweek = datetime.combine(next_start - timedelta(days=5), time(12), ZoneInfo("Asia/Seoul"))
    due(scene, midweek)
    assigned = scene.all_notes("care_assigned")
    assert sorted(uid for uid, *_ in assigned) == sorted(uid for uid, _p in held)
    assert scene.all_notes("care_reminder") == []
    # The evening before next week starts (in the group's zone): the reminder, once.
    eve = datetime.combine(next_start - timedelta(days=1), time(20), ZoneInfo("Asia/Seoul"))
    due(scene, eve)
    due(scene, eve + timedelta(hours=1))
    reminded = sorted(uid for uid, *_ in scene.all_notes("care_reminder"))
    assert reminded == sorted(uid for uid, p in held if p == current + 1)
    assert len(scene.all_notes("care_assigned")) == len(assigned)
