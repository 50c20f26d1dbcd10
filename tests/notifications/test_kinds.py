"""Each kind of notification comes from its event, once, to exactly the right people."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.errors import Missing
from app.core.extensions import db
from app.labour import assignments, recognition
from app.labour.models import Assignment, Swap
from app.notifications.kinds import DEFAULTS, KINDS
from app.notifications.models import Notification
from tests.labour.care_cast import start_rota


def test_a_new_proposal_tells_every_member_but_its_author_and_no_outsider(scene):
    pid = scene.propose("member")
    assert scene.recipients("proposal") == scene.ids("admin", "facilitator")
    assert ("proposal", "proposal", pid) in scene.notifications("admin")
    assert scene.notifications("outsider") == []


def test_a_member_who_left_hears_of_no_new_proposal(scene):
    scene.leave("facilitator")
    scene.propose("member")
    assert scene.recipients("proposal") == scene.ids("admin")


def test_an_outcome_tells_every_member_but_who_recorded_it(scene):
    pid = scene.decided(author="member")
    assert scene.recipients("outcome") == scene.ids("admin", "member")
    assert ("outcome", "proposal", pid) in scene.notifications("member")


def test_an_action_tells_its_owner_once(scene):
    pid = scene.propose("member")
    scene.close(pid)
    scene.outcome(pid, actions=[("Buy the bike", "member", date.today() + timedelta(days=5))])
    assert [k for _u, k, *_ in scene.all_notes("action")] == ["action"]
    assert scene.recipients("action") == scene.ids("member")


def test_an_amendment_tells_those_who_voted_and_nobody_else(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin")
    scene.amend(pid, "member")
    assert scene.recipients("amended") == scene.ids("admin")


def test_an_amendment_of_an_anonymous_proposal_names_no_voter(scene):
    pid = scene.propose("member", anonymous=True)
    scene.vote(pid, "admin", "object", reason="Too costly")
    scene.amend(pid, "member")
    with scene.ctx():
        notes = list(db.session.scalars(select(Notification).where(Notification.target_type == "proposal",
                                                                   Notification.target_id == pid)))
    amended = [n for n in notes if n.kind == "amended"]
    assert [n.user_id for n in amended] == [scene.uid("admin")]
    for note in notes:
        # The actor is the proposal's author; nothing in any payload says who voted or how.
        assert note.actor_id in (None, scene.uid("member"))
        assert set(note.payload) <= {"title", "version", "result"}
        assert "object" not in str(note.payload) and "Too costly" not in str(note.payload)


def test_a_follower_hears_of_each_new_comment_once_and_the_commenter_never(scene):
    thread = scene.thread("admin")
    scene.thread_state("facilitator", thread, "follow")
    scene.thread_state("member", thread, "follow")
    c1 = scene.comment(thread, "member", "First")
    assert scene.notifications("facilitator", "comment") == [("comment", "comment", c1)]
    assert scene.notifications("member", "comment") == []
    # The thread's author gets a reply, not a second notification as a follower.
    assert scene.notifications("admin") == [("reply", "comment", c1)]


def test_a_follower_who_is_mentioned_is_told_once(scene):
    thread = scene.thread("admin")
    scene.thread_state("facilitator", thread, "follow")
    c1 = scene.comment(thread, "member", "@coopfac what do you think?")
    assert scene.notifications("facilitator") == [("mention", "comment", c1)]


def test_a_muted_thread_sends_no_replies_but_mentions_still_come(scene):
    thread = scene.thread("facilitator")
    scene.thread_state("facilitator", thread, "mute")
    scene.comment(thread, "member", "A reply to the thread")
    assert scene.notifications("facilitator") == []
    c2 = scene.comment(thread, "admin", "@coopfac look")
    assert scene.notifications("facilitator") == [("mention", "comment", c2)]
    scene.thread_state("facilitator", thread, "normal")
    c3 = scene.comment(thread, "member", "Now heard again")
    assert scene.notifications("facilitator")[-1] == ("reply", "comment", c3)


def test_a_follower_who_left_hears_nothing_more(scene):
    thread = scene.thread("admin")
    scene.thread_state("facilitator", thread, "follow")
    scene.leave("facilitator")
    scene.comment(thread, "member", "After they left")
    assert scene.notifications("facilitator") == []


def test_an_outsider_cannot_follow_a_private_thread(scene):
    thread = scene.thread("admin")
    with pytest.raises(Missing):
        scene.thread_state("outsider", thread, "follow")


def test_an_invitation_accepted_tells_the_admins_who_want_it(scene):
    scene.prefer("admin", invitation_accepted="app")
    newcomer = scene.join("newcomer")
    assert scene.notifications("admin", "invitation_accepted") == [("invitation_accepted", None, None)]
    assert newcomer not in scene.recipients("invitation_accepted")
    assert scene.notifications("facilitator", "invitation_accepted") == []
    assert scene.notifications("member", "invitation_accepted") == []


def test_a_swap_request_and_its_acceptance_each_tell_the_other_person(app, scene):
    start_rota(app, scene.cast)
    with scene.ctx():
        slot = db.session.scalar(select(Assignment).where(Assignment.user_id == scene.uid("member"))
                                 .order_by(Assignment.period.desc()))
        assignments.request_swap(scene.user("member"), slot, scene.uid("admin"))
        swap = db.session.scalar(select(Swap))
        assignments.accept_swap(scene.user("admin"), swap)
    assert scene.recipients("swap") == scene.ids("admin")
    assert scene.recipients("swap_accepted") == scene.ids("member")


def test_an_override_tells_the_member_their_care_task_once(app, scene):
    start_rota(app, scene.cast)
    with scene.ctx():
        slot = db.session.scalar(select(Assignment).where(Assignment.user_id == scene.uid("admin"))
                                 .order_by(Assignment.period.desc()))
        assignments.override(scene.user("facilitator"), slot, scene.uid("member"), "Admin is away")
    assert scene.recipients("care_assigned") == scene.ids("member")
    with scene.ctx():
        note = db.session.scalar(select(Notification).where(Notification.kind == "care_assigned"))
        assert note.occasion and note.payload["title"]


def test_thanks_tell_the_person_thanked(app, scene):
    with scene.ctx():
        recognition.thank(scene.user("member"), scene.group(), scene.uid("facilitator"), "You saved my week")
    assert scene.recipients("thanks") == scene.ids("facilitator")


def test_what_comes_by_email_by_default_and_what_only_on_a_schedule_is_as_the_kinds_say():
    """The module's own account of its kinds (kinds.py's docstring) holds for the values below it."""
    assert {kind for kind, channel in DEFAULTS.items() if channel == "email"} == {
        "mention", "closing", "action", "care_assigned", "care_reminder", "swap"}
    assert set(DEFAULTS.values()) == {"app", "email"}  # no kind is off until the member says so
    assert {name for name, kind in KINDS.items() if not kind.on} == {
        "closing", "action_due", "review_due", "care_reminder"}
