"""Email through a real SMTP server on loopback: content, language, links, headers, the outbox."""
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.database import utcnow
from app.core.extensions import db
from app.notifications import mail
from app.notifications.models import MailSettings, NotificationPreference, OutboxMessage
from tests.notifications.helpers import body


@pytest.fixture
def app(mail_app):
    return mail_app


def send(scene, now=None):
    with scene.ctx():
        return mail.send_queued(now=now)


def wait_for(smtp, n, seconds=5.0):
    deadline = time.monotonic() + seconds
    while len(smtp.messages) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return smtp.messages


def mention_admin(scene):
    thread = scene.thread("member", title="Chairs", body="Hello @coopadmin, can you bring chairs?")
    return thread


def test_a_mention_is_emailed_after_the_commit_with_a_link_and_an_unsubscribe_header(scene, smtp):
    thread = mention_admin(scene)
    assert smtp.messages == []  # nothing is sent inside the request
    report = send(scene)
    assert report.sent == 1
    (message,) = wait_for(smtp, 1)
    assert message["To"] == "coopadmin@example.org"
    assert message["Subject"] == "[Coop Co-op] Coopmember mentioned you in “Chairs”."
    text, html = body(message), body(message, "html")
    assert "Coopmember mentioned you in “Chairs”." in text
    assert f"http://canoe.test/t/{thread}" in text and f'href="http://canoe.test/t/{thread}"' in html
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(r"<http://canoe\.test/mail/settings/[^>\s]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in text and unsubscribe[1:-1] in html
    assert message["Message-ID"].startswith("<canoe-")


def test_the_email_is_in_the_readers_language(scene, smtp):
    scene.set(User, scene.join("minji", name="김민지"), locale="ko")
    scene.thread("member", title="의자", body="@minji 님, 의자를 가져올 수 있나요?")
    scene.thread("member", title="Chairs", body="@coopadmin can you?")
    send(scene)
    messages = wait_for(smtp, 2)
    korean = next(m for m in messages if m["To"] == "minji@example.org")
    english = next(m for m in messages if m["To"] == "coopadmin@example.org")
    assert "Coopmember 님이 “의자”에서 나를 언급했습니다." in body(korean)
    assert "의자" in korean["Subject"]
    assert "mentioned you" in body(english) and "언급" not in body(english)
    assert 'lang="ko"' in body(korean, "html") and 'lang="en"' in body(english, "html")


def test_the_unsubscribe_link_stops_that_kind_of_email_without_a_login(scene, smtp):
    mention_admin(scene)
    send(scene)
    (message,) = wait_for(smtp, 1)
    path = urlsplit(message["List-Unsubscribe"][1:-1]).path
    client = scene.app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Stop these emails" in page.text
    assert scene.count(NotificationPreference) == 0  # GET changes nothing
    # RFC 8058 one-click: the mail provider posts, with no session and no CSRF token.
    scene.app.config["WTF_CSRF_ENABLED"] = True
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more emails about this" in done.text
    with scene.ctx():
        pref = db.session.scalar(select(NotificationPreference))
        assert (pref.user_id, pref.kind, pref.channel) == (scene.uid("admin"), "mention", "app")
    scene.thread("member", title="Again", body="@coopadmin again")
    assert [n[0] for n in scene.notifications("admin")] == ["mention", "mention"]
    assert len(scene.outbox("admin")) == 1  # the second mention made no email


def test_the_link_can_stop_all_email(scene, smtp):
    with scene.ctx():
        token = mail.settings_token(scene.uid("admin"), scene.group_id, "mention")
    response = scene.app.test_client().post(f"/mail/settings/{token}", data={"stop": "all"})
    assert response.status_code == 200
    with scene.ctx():
        assert db.session.scalar(select(MailSettings.email_off).where(MailSettings.user_id == scene.uid("admin")))


def test_an_expired_or_forged_link_changes_nothing(scene, monkeypatch):
    with scene.ctx():
        token = mail.settings_token(scene.uid("admin"), scene.group_id, "mention")
    client = scene.app.test_client()
    scene.app.config["CANOE_MAIL_LINK_DAYS"] = 0
    time.sleep(1.1)  # itsdangerous counts whole seconds
    expired = client.post(f"/mail/settings/{token}", data={"stop": "all"})
    assert expired.status_code == 400 and "expired" in expired.text
    scene.app.config["CANOE_MAIL_LINK_DAYS"] = 30
    forged = client.post(f"/mail/settings/{token[:-3]}abc", data={"stop": "all"})
    assert forged.status_code == 400 and "not valid" in forged.text
    assert scene.count(MailSettings) == 0 and scene.count(NotificationPreference) == 0
    assert client.post(f"/mail/settings/{token}", data={"stop": "this"}).status_code == 200


def test_smtp_down_keeps_messages_queued_and_they_go_when_it_returns(scene, smtp):
    smtp.stop()
    mention_admin(scene)
    report = send(scene)
    assert report.sent == 0 and report.retrying == 1
    with scene.ctx():
        row = db.session.scalar(select(OutboxMessage))
        assert row.sent_at is None and row.attempts == 1 and row.last_error.startswith("connect")
        retry_at = row.next_attempt_at
    assert send(scene).sent == 0  # backing off: not retried at once
    smtp.start()
    assert send(scene, now=retry_at - timedelta(seconds=1)).sent == 0
    assert send(scene, now=retry_at + timedelta(seconds=1)).sent == 1
    assert len(wait_for(smtp, 1)) == 1


def test_send_queued_run_twice_sends_nothing_twice(scene, smtp, runner):
    mention_admin(scene)
    scene.thread("member", title="Second", body="@coopfac too")
    first = scene.app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert first.exit_code == 0 and "Sent 2" in first.output
    second = scene.app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert second.exit_code == 0 and "Sent 0" in second.output
    time.sleep(0.2)
    assert len(smtp.messages) == 2
    assert sorted(m["To"] for m in smtp.messages) == ["coopadmin@example.org", "coopfac@example.org"]


def test_a_message_claimed_by_another_run_is_not_sent_again(scene, smtp):
    mention_admin(scene)
    with scene.ctx():
        db.session.execute(db.update(OutboxMessage).values(claimed_at=utcnow()))
        db.session.commit()
    assert send(scene).sent == 0
    assert smtp.messages == []


def test_switching_all_email_off_drops_what_is_still_queued(scene, smtp):
    mention_admin(scene)
    scene.mail_settings("admin", email_off=True)
    report = send(scene)
    assert report.sent == 0 and report.dropped == 1
    assert smtp.messages == []
