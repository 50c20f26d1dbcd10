"""The inbox: each item is one link that marks it read on the way, and a call to action that has
passed (the proposal closed, you voted) says so instead of asking again."""
import re

import pytest
from sqlalchemy import select, update

from app.core.extensions import db
from app.notifications.models import Notification
from tests.sql import counting_queries


def items(page: str) -> list[str]:
    """Each inbox item's HTML."""
    return re.findall(r'<li class="note[^"]*">.*?</li>', page, re.S)


def note_ids(scene, who, kind=None) -> list[int]:
    with scene.ctx():
        query = select(Notification.id).where(Notification.user_id == scene.uid(who))
        if kind:
            query = query.where(Notification.kind == kind)
        return list(db.session.scalars(query.order_by(Notification.id)))


def read_at(scene, note_id):
    with scene.ctx():
        return db.session.get(Notification, note_id).read_at


def test_each_item_is_one_link_whose_text_is_the_sentence(scene):
    pid = scene.propose("member", title="Buy a cargo bike")
    [note] = note_ids(scene, "admin", "proposal")
    page = scene.client("admin").get("/notifications").text
    [item] = items(page)
    links = re.findall(r'<a class="note-link" href="([^"]+)">(.*?)</a>', item, re.S)
    assert links == [(f"/notifications/{note}", "Coopmember proposed “Buy a cargo bike”. Your vote is needed.")]
    assert "<form" not in item and "<button" not in item  # no separate "Open" button
    assert "unread" in item.split(">", 1)[0] and "● new" in item
    assert f"/p/{pid}" not in item  # the link goes through the inbox, which marks it read


def test_following_the_link_marks_it_read_and_goes_where_it_leads(scene):
    pid = scene.propose("member")
    [note] = note_ids(scene, "admin", "proposal")
    admin = scene.client("admin")
    response = admin.get(f"/notifications/{note}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{pid}"
    assert read_at(scene, note) is not None
    item = items(admin.get("/notifications").text)[0]
    assert "unread" not in item.split(">", 1)[0] and "● new" not in item
    assert admin.get(f"/notifications/{note}").status_code == 303  # again: still leads there


@pytest.mark.parametrize("who", ["member", "facilitator", "outsider"])
def test_someone_elses_notification_is_not_there_and_stays_unread(scene, who):
    scene.propose("member")
    [note] = note_ids(scene, "admin", "proposal")
    assert scene.client(who).get(f"/notifications/{note}").status_code == 404
    assert read_at(scene, note) is None


def test_a_logged_out_visitor_is_sent_to_log_in_and_nothing_is_read(scene):
    scene.propose("member")
    [note] = note_ids(scene, "admin", "proposal")
    response = scene.client("anonymous").get(f"/notifications/{note}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert read_at(scene, note) is None


def test_a_vote_request_on_a_closed_proposal_says_it_closed_and_leads_to_the_outcome(scene):
    pid = scene.propose("member", title="Paint the door")
    scene.close(pid)
    [note] = note_ids(scene, "admin", "proposal")
    [item] = [i for i in items(scene.client("admin").get("/notifications").text) if f"/notifications/{note}" in i]
    assert "settled" in item.split(">", 1)[0]
    assert "Closed — see the outcome" in item
    assert "Your vote is needed" not in item
    assert "Coopmember proposed “Paint the door”." in item
    response = scene.client("admin").get(f"/notifications/{note}")
    assert response.headers["Location"] == f"/p/{pid}#outcome"


def test_a_vote_request_already_answered_says_you_voted(scene):
    pid = scene.propose("member", title="Paint the door")
    scene.vote(pid, "admin")
    page = scene.client("admin").get("/notifications").text
    assert "You voted" in page and "Your vote is needed" not in page
    # The facilitator hasn't voted: theirs still asks.
    page = scene.client("facilitator").get("/notifications").text
    assert "Your vote is needed" in page and "You voted" not in page


def test_a_withdrawn_proposal_says_so(scene):
    pid = scene.propose("member", title="Paint the door")
    scene.withdraw(pid, by="member")
    page = scene.client("admin").get("/notifications").text
    assert "Withdrawn" in page and "Your vote is needed" not in page


def test_a_settled_note_reads_in_korean_too(scene):
    pid = scene.propose("member", title="문 칠하기")
    scene.close(pid)
    admin = scene.client("admin")
    admin.post("/settings", data={"locale": "ko", "timezone": "Asia/Seoul"})
    page = admin.get("/notifications").text
    assert "마감됨 — 결론 보기" in page
    assert "Coopmember 님이 “문 칠하기” 제안을 올렸습니다." in page
    assert "투표해 주세요" not in page


def test_whether_calls_to_action_have_passed_costs_the_same_queries_for_many_notes(scene):
    admin = scene.client("admin")
    scene.propose("member", title="First")
    admin.get("/notifications")

    def count() -> int:
        with counting_queries(scene.app) as statements:
            assert admin.get("/notifications").status_code == 200
        return len(statements)

    few = count()
    for i in range(12):
        pid = scene.propose("member", title=f"Proposal {i}")
        if i % 3 == 0:
            scene.close(pid)
        elif i % 3 == 1:
            scene.vote(pid, "admin")
    assert count() == few


# ---------------------------------------------------------------- the proposer hears of objections


def test_the_proposer_is_told_when_someone_objects(scene):
    pid = scene.propose("member", title="Paint the door")
    scene.vote(pid, "admin", "object", reason="Too costly")
    assert scene.all_notes("objection") == [(scene.uid("member"), "objection", "proposal", pid)]
    page = scene.client("member").get("/notifications").text
    assert "Coopadmin objected to your proposal “Paint the door”." in page


def test_a_block_is_told_as_a_block(scene):
    pid = scene.propose("member", title="Paint the door", kind="consensus")
    scene.vote(pid, "admin", "block", reason="Against our values")
    page = scene.client("member").get("/notifications").text
    assert "Coopadmin blocked your proposal “Paint the door”." in page


def test_consent_and_concern_tell_the_proposer_nothing(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "consent")
    scene.vote(pid, "facilitator", "concern", reason="The colour")
    assert scene.all_notes("objection") == []


def test_an_objection_is_told_once_per_objector_and_version(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", reason="Too costly")
    scene.vote(pid, "admin", "object", reason="Too costly, and too big")  # a better reason: no second notice
    scene.vote(pid, "facilitator", "object", reason="Too big")
    assert scene.recipients("objection") == scene.ids("member", "member")
    scene.amend(pid, "member")
    scene.vote(pid, "admin", "object", reason="Still too costly")
    assert len(scene.recipients("objection")) == 3


@pytest.mark.parametrize("option", ["anonymous", "hide_results"])
def test_an_objection_on_an_anonymous_or_sealed_proposal_is_told_to_nobody(scene, option):
    pid = scene.propose("member", **{option: True})
    scene.vote(pid, "admin", "object", reason="Too costly")
    assert scene.all_notes("objection") == []


def test_the_objection_notice_is_in_the_app_by_default_and_can_be_switched_off(scene):
    pid = scene.propose("member")
    scene.vote(pid, "admin", "object", reason="Too costly")
    assert "objection" not in scene.email_kinds("member")
    scene.prefer("member", objection="off")
    other = scene.propose("member", title="Another")
    scene.vote(other, "admin", "object", reason="No")
    assert [target for _u, _k, _t, target in scene.all_notes("objection")] == [pid]


def test_the_objection_notice_is_on_the_settings_page(scene):
    page = scene.client("member").get(f"/g/{scene.slug}/notifications").text
    assert "Someone objects to my proposal" in page


def test_notes_older_than_the_objection_kind_still_read(scene):
    """An inbox of a kind no longer declared (or a target gone) still draws, without a call to action."""
    pid = scene.propose("member")
    with scene.ctx():
        db.session.execute(update(Notification).where(Notification.target_id == pid).values(target_id=999_999))
        db.session.commit()
    assert scene.client("admin").get("/notifications").status_code == 200
