"""The digest: daily or weekly, in the member's time zone, with what happened; never sent twice."""
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.archive.models import Thread
from app.core.database import utcnow
from app.core.extensions import db
from app.decisions.models import Outcome
from app.notifications import digest, mail
from app.notifications.models import OutboxMessage
from tests.notifications.helpers import NotificationScene, body


@pytest.fixture
def app(mail_app):
    return mail_app


def test_the_last_period_is_a_whole_day_or_week_in_the_members_zone():
    now = datetime(2026, 11, 25, 1, 0, tzinfo=ZoneInfo("UTC"))  # Wednesday 10:00 in Seoul
    daily = digest.last_period("daily", now, "Asia/Seoul")
    assert daily.key == "daily:2026-11-24"
    assert daily.starts == datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("UTC"))
    weekly = digest.last_period("weekly", now, "Asia/Seoul")
    assert weekly.key == "weekly:2026-11-16" and weekly.last_day.isoformat() == "2026-11-22"
    # Same instant, a zone where it is still Tuesday: yesterday is Monday.
    assert digest.last_period("daily", now, "America/Los_Angeles").key == "daily:2026-11-23"


def queue(scene, now):
    with scene.ctx():
        return digest.queue_digests(now)


def test_a_daily_digest_holds_new_threads_open_proposals_and_outcomes_and_goes_once(scene, smtp):
    scene.mail_settings("member", digest="daily")
    for who in ("admin", "facilitator"):
        scene.mail_settings(who, digest="off")
    scene.mail_settings("outsider", digest="daily")
    thread = scene.thread("admin", title="Garden plans")
    pid = scene.propose("facilitator", title="Buy seeds")
    decided = scene.decided(title="Paint the door", author="admin")
    yesterday = utcnow() - timedelta(days=1)
    scene.set(Thread, thread, created_at=yesterday)
    with scene.ctx():
        db.session.execute(db.update(Outcome).values(recorded_at=yesterday))
        db.session.commit()
    first = scene.app.test_cli_runner().invoke(args=["mail", "digest"])
    second = scene.app.test_cli_runner().invoke(args=["mail", "digest"])
    assert first.exit_code == 0 and "Queued 1 digest(s)" in first.output
    assert "Queued 0 digest(s)" in second.output
    assert [who for who, _n, key in scene.outbox()] == [scene.uid("member")]
    with scene.ctx():
        mail.send_queued()
        mail.send_queued()
    time.sleep(0.2)
    (message,) = smtp.messages
    text = body(message)
    assert message["To"] == "coopmember@example.org" and message["List-Unsubscribe"]
    assert "Garden plans" in text and "Buy seeds" in text and "your vote is needed" in text
    assert "Paint the door" in text and f"http://canoe.test/p/{pid}" in text
    assert f"http://canoe.test/p/{decided}#outcome" in text


def test_no_digest_when_nothing_happened_or_when_switched_off(scene):
    now = utcnow()
    assert queue(scene, now).queued == 0
    scene.mail_settings("member", digest="off")
    scene.propose("admin", title="Something open")
    report = queue(scene, now)
    # The others are on the weekly default and there is an open proposal; the outsider is in no group.
    assert sorted(who for who, *_ in scene.outbox()) == scene.ids("admin", "facilitator")
    assert report.queued == 2


def test_a_korean_member_gets_a_korean_digest_in_their_zone(scene, smtp):
    uid = scene.join("minji", name="김민지")
    scene.set(User, uid, locale="ko", timezone="Asia/Seoul")
    scene.mail_settings("minji", digest="weekly")
    scene.propose("admin", title="장보기")
    queue(scene, utcnow())
    with scene.ctx():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == uid))
        assert "장보기" in row.text_body and "년" in row.text_body
        # Korean dates and words (the digest's own new sentences wait for the catalog merge).
        assert "마감" in row.text_body and "closes" not in row.text_body


def test_the_digest_never_shows_a_private_group_to_someone_outside_it(scene, make_cast):
    other = make_cast("secret", "private")
    NotificationScene(scene.app, other).propose("admin", title="Secret plan")
    scene.propose("admin", title="Open plan")
    queue(scene, utcnow())
    with scene.ctx():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == scene.uid("member")))
        assert "Open plan" in row.text_body and "Secret plan" not in row.text_body
