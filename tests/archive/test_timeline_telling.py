"""How the timeline reads: repeats told once with a count, the group's work first on its home,
and dates relative to now ("3 days ago", "3일 전") with the full date on hover."""
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from app.archive.timeline import Entry, collapse, home_timeline
from app.core.events import Event
from app.core.extensions import db
from app.groups import services as groups
from tests.archive.archive_helpers import private, public  # noqa: F401 (fixtures)
from tests.archive.test_timeline import sentences
from tests.sql import counting_queries


def event(kind, actor_id=1, target_id=None, **payload) -> Event:
    return Event(kind=kind, actor_id=actor_id, group_id=1, target_id=target_id, payload=payload)


# ---------------------------------------------------------------- collapsing, as a rule


def test_a_run_of_the_same_thing_by_one_person_is_one_entry_with_its_count():
    made = [event("invitation.created") for _ in range(4)]
    assert [(e.event, e.count) for e in collapse(made)] == [(made[0], 4)]


def test_someone_else_in_between_breaks_the_run():
    a, b, c = event("invitation.created", 1), event("invitation.created", 2), event("invitation.created", 1)
    assert [e.count for e in collapse([a, b, c])] == [1, 1, 1]


def test_replies_in_two_threads_stay_two_lines_and_in_one_thread_are_one():
    one = [event("comment.added", target_id=i, thread_id=7) for i in (3, 2, 1)]
    other = event("comment.added", target_id=9, thread_id=8)
    assert [(e.event.payload["thread_id"], e.count) for e in collapse([*one, other])] == [(7, 3), (8, 1)]


def test_things_that_are_each_news_are_never_collapsed():
    started = [event("thread.started", target_id=i) for i in (3, 2, 1)]
    assert [e.count for e in collapse(started)] == [1, 1, 1]


def test_the_home_leads_with_the_groups_work_and_folds_admin_into_a_count():
    work = [event("thread.started", target_id=1), event("proposal.opened", target_id=2)]
    admin = [event("member.joined"), event("invitation.created"), event("group.updated")]
    told = home_timeline([admin[0], work[0], admin[1], work[1], admin[2]])
    assert [e.event for e in told.entries] == work
    assert told.folded == 3


def test_a_home_with_only_admin_yet_shows_it_collapsed():
    made = [event("invitation.created") for _ in range(3)]
    told = home_timeline([*made, event("member.joined", 2)])
    assert [(e.event.kind, e.count) for e in told.entries] == [("invitation.created", 3), ("member.joined", 1)]
    assert told.folded == 0
    assert told.entries[0] == Entry(made[0], 3)


# ---------------------------------------------------------------- on the pages


def invite(scene, times, by="admin"):
    with scene.ctx():
        for _ in range(times):
            groups.create_invitation(scene.user(by), scene.group(), "member", 7, None)


def test_four_invitation_links_in_a_row_read_as_one_line(private):
    invite(private, 4)
    told = sentences(private.client("admin").get(f"/g/{private.slug}/timeline").text)
    assert told[0] == "Coopadmin made 4 invitation links."
    assert "Coopadmin made an invitation link." not in told[:1]


def test_the_count_reads_in_korean(private):
    invite(private, 4)
    admin = private.client("admin")
    admin.post("/settings", data={"locale": "ko", "timezone": "Asia/Seoul"})
    told = sentences(admin.get(f"/g/{private.slug}/timeline").text)
    assert told[0] == "Coopadmin 님이 초대 링크 4개를 만들었습니다."


def test_the_group_home_puts_threads_first_and_folds_membership_into_one_line(private):
    private.thread(title="Kitchen rota")
    invite(private, 3)
    page = private.client("member").get(f"/g/{private.slug}").text
    told = sentences(page)
    assert told == ["Coopmember started the thread Kitchen rota.", "Coopadmin started Coop Co-op."]
    folded = re.search(r'<p class="timeline-folded"><a href="([^"]+)">([^<]+)</a>', page)
    # The cast: two invitations and two joins; then three more invitations.
    assert folded.groups() == (f"/g/{private.slug}/timeline", "And 7 changes to members and invitations: see the full timeline.")
    # The full timeline still tells each one.
    full = sentences(private.client("member").get(f"/g/{private.slug}/timeline").text)
    assert "Coopadmin made 3 invitation links." in full and any("joined" in s for s in full)


def test_a_new_groups_home_shows_its_start_and_folds_the_invitations(private):
    page = private.client("admin").get(f"/g/{private.slug}").text
    assert sentences(page) == ["Coopadmin started Coop Co-op."]
    assert "And 4 changes to members and invitations: see the full timeline." in page


def move_events(scene, when: datetime):
    with scene.ctx():
        db.session.execute(update(Event).where(Event.group_id == scene.group_id).values(created_at=when))
        db.session.commit()


TIME = re.compile(r'<time datetime="([^"]+)" title="([^"]+)"><span aria-hidden="true">([^<]+)</span>'
                  r'<span class="visually-hidden">([^<]+)</span></time>')


def test_timeline_dates_are_relative_with_the_full_date_on_hover(private):
    private.thread(title="Kitchen rota")
    three_days_ago = datetime.now(timezone.utc).replace(microsecond=654321) - timedelta(days=3)
    move_events(private, three_days_ago)
    for lang, relative in (("en", "3 days ago"), ("ko", "3일 전")):
        member = private.client("member")
        member.post("/settings", data={"locale": lang, "timezone": "Asia/Seoul"})
        for url in (f"/g/{private.slug}", f"/g/{private.slug}/timeline"):
            times = TIME.findall(member.get(url).text)
            assert times, url
            stamp, title, shown, spoken = times[0]
            assert stamp == three_days_ago.strftime("%Y-%m-%dT%H:%M:%SZ")  # no microseconds
            assert shown == relative
            assert title == spoken and str(three_days_ago.astimezone(timezone(timedelta(hours=9))).day) in title


def test_just_now_and_yesterday(private):
    private.thread(title="Kitchen rota")
    page = private.client("member").get(f"/g/{private.slug}").text
    assert TIME.findall(page)[0][2] == "just now"
    # Yesterday where the viewer is: noon the day before, Seoul time.
    seoul = timezone(timedelta(hours=9))
    noon = datetime.now(seoul).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    move_events(private, noon.astimezone(timezone.utc))
    page = private.client("member").get(f"/g/{private.slug}").text
    assert TIME.findall(page)[0][2] == "yesterday"  # at least 12 hours ago, and the day before


def test_no_time_on_a_page_carries_microseconds(private):
    thread = private.thread(title="Kitchen rota")
    private.comment(thread, "facilitator")
    move_events(private, datetime(2026, 11, 21, 6, 0, 0, 123456, tzinfo=timezone.utc))
    member = private.client("member")
    for url in (f"/g/{private.slug}", f"/g/{private.slug}/timeline", f"/t/{thread}", "/notifications"):
        stamps = re.findall(r'<time[^>]*datetime="([^"]+)"', member.get(url).text)
        assert stamps, url
        for stamp in stamps:
            assert re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?", stamp), (url, stamp)


def test_the_home_timeline_runs_the_same_queries_for_many_events(private):
    member = private.client("member")
    member.get(f"/g/{private.slug}")

    def count():
        with counting_queries(private.app) as statements:
            assert member.get(f"/g/{private.slug}").status_code == 200
        return len(statements)

    few = count()
    for i in range(6):
        private.thread(title=f"Thread {i}", author="admin" if i % 2 else "member")
        invite(private, 2)
    assert count() == few
