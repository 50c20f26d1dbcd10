"""The group timeline: events filtered by kind, person, tag and dates (the viewer's), paged."""
import re
from datetime import datetime, timezone

from sqlalchemy import select, update

from app.accounts.models import User
from app.core.events import Event
from app.core.extensions import db
from tests.archive.archive_helpers import private, public  # noqa: F401 (fixtures)


def sentences(page: str) -> list[str]:
    """Each event's sentence as plain text, newest first."""
    body = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0] if '<ol class="timeline">' in page else ""
    items = re.findall(r"<li>(.*?)<time", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def at(scene, kind_prefix, when: datetime):
    """Move the newest event of this kind to a given moment (UTC)."""
    with scene.ctx():
        event_id = db.session.scalar(
            select(Event.id).where(Event.kind.startswith(kind_prefix)).order_by(Event.id.desc()).limit(1)
        )
        db.session.execute(update(Event).where(Event.id == event_id).values(created_at=when))
        db.session.commit()


def test_the_timeline_tells_the_groups_history_in_sentences(private):
    thread = private.thread(title="Kitchen rota")
    private.comment(thread, "facilitator")
    private.document(title="Handbook")
    page = private.client("member").get(f"/g/{private.slug}/timeline")
    assert page.status_code == 200
    told = sentences(page.text)
    assert told[:3] == [
        "Coopmember wrote the document Handbook.",
        "Coopfac replied in Kitchen rota.",
        "Coopmember started the thread Kitchen rota.",
    ]
    assert any("joined" in s for s in told)


def test_the_timeline_filters_by_kind(private):
    thread = private.thread(title="T")
    private.comment(thread, "facilitator")
    private.document(title="D")
    client = private.client("member")
    assert sentences(client.get(f"/g/{private.slug}/timeline?kind=thread").text) == ["Coopmember started the thread T."]
    assert sentences(client.get(f"/g/{private.slug}/timeline?kind=comment").text) == ["Coopfac replied in T."]
    assert sentences(client.get(f"/g/{private.slug}/timeline?kind=document").text) == ["Coopmember wrote the document D."]
    members = sentences(client.get(f"/g/{private.slug}/timeline?kind=member").text)
    assert members and all("joined" in s for s in members)


def test_the_timeline_filters_by_person(private):
    private.thread(author="member", title="Mine")
    private.thread(author="facilitator", title="Theirs")
    client = private.client("member")
    told = sentences(client.get(f"/g/{private.slug}/timeline?person={private.cast.facilitator.id}").text)
    assert "Coopfac started the thread Theirs." in told
    assert not any("Mine" in s for s in told)


def test_the_timeline_filters_by_tag_across_threads_their_comments_and_documents(private):
    budget = private.thread(title="Budget talk", tags=["budget"])
    private.comment(budget, "facilitator")
    other = private.thread(title="Other talk", tags=["misc"])
    private.comment(other, "facilitator")
    private.document(title="Budget sheet", tags=["budget"])
    private.document(title="Handbook")
    client = private.client("member")
    for tag in ("budget", "%23budget", "BUDGET"):
        told = sentences(client.get(f"/g/{private.slug}/timeline?tag={tag}").text)
        assert told == [
            "Coopmember wrote the document Budget sheet.",
            "Coopfac replied in Budget talk.",
            "Coopmember started the thread Budget talk.",
        ], tag


def test_dates_are_days_in_the_viewers_time_zone(private):
    private.thread(title="Late night")
    # 16:30 UTC on 1 March is 01:30 on 2 March in Seoul.
    at(private, "thread.", datetime(2025, 3, 1, 16, 30, tzinfo=timezone.utc))
    seoul = private.client("member")  # no zone of their own: the group's, Asia/Seoul
    url = f"/g/{private.slug}/timeline?kind=thread"
    assert sentences(seoul.get(url + "&since=2025-03-02&until=2025-03-02").text) == ["Coopmember started the thread Late night."]
    assert sentences(seoul.get(url + "&since=2025-03-01&until=2025-03-01").text) == []
    with private.ctx():
        db.session.execute(update(User).where(User.id == private.cast.facilitator.id).values(timezone="UTC"))
        db.session.commit()
    utc = private.client("facilitator")
    assert sentences(utc.get(url + "&since=2025-03-01&until=2025-03-01").text) == ["Coopmember started the thread Late night."]
    assert sentences(utc.get(url + "&since=2025-03-02").text) == []
    assert sentences(utc.get(url + "&until=2025-02-28").text) == []


def test_the_until_day_is_included_whole(private):
    private.thread(title="Evening")
    at(private, "thread.", datetime(2025, 3, 2, 14, 59, tzinfo=timezone.utc))  # 23:59 in Seoul
    told = sentences(private.client("member").get(f"/g/{private.slug}/timeline?kind=thread&until=2025-03-02").text)
    assert told == ["Coopmember started the thread Evening."]


def test_the_timeline_pages_with_older(private):
    ids = [private.thread(title=f"T{i:02d}") for i in range(45)]
    client = private.client("member")
    first = client.get(f"/g/{private.slug}/timeline?kind=thread").text
    assert len(sentences(first)) == 40
    assert sentences(first)[0] == "Coopmember started the thread T44."
    older = re.search(r'<a href="([^"]+)">Older', first)
    assert older, "a link to older events"
    href = older.group(1).replace("&amp;", "&")
    assert "kind=thread" in href, "the filters stay on"
    second = client.get(href).text
    assert sentences(second) == [f"Coopmember started the thread T{i:02d}." for i in range(4, -1, -1)]
    assert "Older" not in second.split('<ol class="timeline">', 1)[1]
    assert len(ids) == 45


BAD_DATES = [
    "since=2025-13-01", "until=2025-02-30", "since=yesterday", "until=2025/03/01", "since=0001-01-01",
    "until=9999-12-31", "since=-5", "until=%00",
]


def test_bad_dates_get_a_clear_message_never_a_500(private):
    private.thread()
    client = private.client("member")
    for query in BAD_DATES:
        response = client.get(f"/g/{private.slug}/timeline?{query}")
        assert response.status_code == 422, query
        assert "Not a valid date value." in response.text, query
        assert sentences(response.text), "the page still shows the unfiltered timeline"


def test_other_bad_filters_are_refused_with_a_message(private):
    client = private.client("member")
    for query, message in (("kind=bogus", "Not a valid choice"), ("person=abc", "coerce"),
                           (f"tag={'x' * 41}", "40 characters")):
        response = client.get(f"/g/{private.slug}/timeline?{query}")
        assert response.status_code == 422, query
        assert message in response.text, query


def test_odd_but_harmless_filters_do_not_break_the_page(private):
    private.thread()
    client = private.client("member")
    for query in ("since=2025-05-10&until=2025-05-01", "before=abc", "before=0", "person=99999", "tag=",
                  "kind=", "page=2", "before=3000000000", "before=99999999999999999999", "person=3000000000"):
        response = client.get(f"/g/{private.slug}/timeline?{query}")
        assert response.status_code in (200, 404), query


def test_visitors_of_a_public_group_read_its_timeline(public):
    public.thread(title="Open thread")
    for who in ("anonymous", "outsider"):
        told = sentences(public.client(who).get(f"/g/{public.slug}/timeline").text)
        assert "Townmember started the thread Open thread." in told
