"""Threads: start, list, edit, close and reopen, pin, soft delete."""
import re

from sqlalchemy import select

from app.archive.models import Comment, Tag, Thread
from app.core.events import Event
from app.core.revisions import Revision
from app.core.extensions import db
from tests.archive.archive_helpers import HX, comment_ids_on, private, public  # noqa: F401 (fixtures)


def listed(page: str) -> list[int]:
    """Thread ids in the order the list shows them."""
    body = page.split('<ul class="plain rows thread-list">', 1)[-1].split("</ul>", 1)[0]
    return [int(i) for i in re.findall(r'<a href="/t/(\d+)">', body)]


def test_a_member_starts_a_thread_with_tags_and_lands_on_it(private):
    response = private.client("member").post(
        f"/g/{private.slug}/threads/new",
        data={"title": "  Kitchen rota  ", "body": "Who cleans **this** week?", "tags": "#Kitchen, rota rota"},
    )
    assert response.status_code == 302
    thread_id = int(re.fullmatch(r"/t/(\d+)", response.location).group(1))
    title, body_html, author_id = private.get(Thread, thread_id, "title", "body_html", "author_id")
    assert title == "Kitchen rota"
    assert "<strong>this</strong>" in body_html
    assert author_id == private.cast.member.id
    with private.ctx():
        assert [t.name for t in db.session.get(Thread, thread_id).tags] == ["kitchen", "rota"]
    assert private.count(Revision, Revision.target_type == "thread", Revision.target_id == thread_id) == 1
    assert private.event_kinds()[-1] == "thread.started"
    page = private.client("member").get(response.location).text
    assert "Kitchen rota" in page and "#kitchen" in page


def test_the_new_thread_form_shows_for_members(private):
    response = private.client("member").get(f"/g/{private.slug}/threads/new")
    assert response.status_code == 200
    assert 'name="title"' in response.text and 'name="body"' in response.text


def test_list_puts_pinned_threads_first_then_the_most_recently_active(private):
    a = private.thread(title="A")
    b = private.thread(title="B")
    c = private.thread(title="C")
    client = private.client("member")
    assert listed(client.get(f"/g/{private.slug}/threads").text) == [c, b, a]
    private.comment(a, "facilitator", "Bump")
    assert listed(client.get(f"/g/{private.slug}/threads").text) == [a, c, b]
    private.pin(b)
    page = client.get(f"/g/{private.slug}/threads").text
    assert listed(page) == [b, a, c]
    assert "Pinned" in page
    private.pin(b, pinned=False)
    assert listed(client.get(f"/g/{private.slug}/threads").text) == [a, c, b]


def test_pin_and_unpin_through_the_routes(private):
    a = private.thread(title="A")
    b = private.thread(title="B")
    client = private.client("facilitator")
    assert client.post(f"/t/{a}/pin").status_code == 302
    assert private.get(Thread, a, "pinned") is True
    assert listed(client.get(f"/g/{private.slug}/threads").text) == [a, b]
    assert client.post(f"/t/{a}/unpin").status_code == 302
    assert private.get(Thread, a, "pinned") is False
    assert private.event_kinds()[-2:] == ["thread.pinned", "thread.unpinned"]


def test_list_filters_by_tag_and_by_author(private):
    budget = private.thread(title="Budget", tags=["budget"])
    kitchen = private.thread(author="facilitator", title="Kitchen", tags=["kitchen"])
    both = private.thread(author="facilitator", title="Kitchen budget", tags=["kitchen", "budget"])
    client = private.client("member")
    assert listed(client.get(f"/g/{private.slug}/threads?tag=budget").text) == [both, budget]
    assert listed(client.get(f"/g/{private.slug}/threads?tag=BUDGET").text) == [both, budget]
    fac = private.cast.facilitator.id
    assert listed(client.get(f"/g/{private.slug}/threads?author={fac}").text) == [both, kitchen]
    assert listed(client.get(f"/g/{private.slug}/threads?author={fac}&tag=budget").text) == [both]
    page = client.get(f"/g/{private.slug}/threads?tag=nothing")
    assert page.status_code == 200 and "No threads match" in page.text


def test_list_pages_twenty_five_at_a_time(private):
    ids = [private.thread(title=f"T{i}") for i in range(27)]
    client = private.client("member")
    first = client.get(f"/g/{private.slug}/threads").text
    assert listed(first) == ids[::-1][:25]
    assert "page=2" in first and "Older" in first
    second = client.get(f"/g/{private.slug}/threads?page=2").text
    assert listed(second) == ids[::-1][25:]
    assert "Newer" in second and "page=3" not in second
    for odd in ("0", "-3", "abc", "99999999999999999999999"):
        response = client.get(f"/g/{private.slug}/threads?page={odd}")
        assert response.status_code in (200, 404), odd


def test_editing_a_thread_keeps_the_old_version_and_shows_edited(private):
    thread = private.thread(body="First words")
    client = private.client("member")
    form = client.get(f"/t/{thread}/edit").text
    assert "First words" in form
    response = client.post(f"/t/{thread}/edit", data={"title": "Kitchen rota", "body": "Second words", "tags": "x"})
    assert response.status_code == 302
    assert private.count(Revision, Revision.target_type == "thread", Revision.target_id == thread) == 2
    page = client.get(f"/t/{thread}").text
    assert "Second words" in page
    assert f'<a href="/t/{thread}/history">edited</a>' in page


def test_saving_an_edit_without_changes_adds_no_revision(private):
    thread = private.thread(body="Same", tags=["a"])
    client = private.client("member")
    client.post(f"/t/{thread}/edit", data={"title": "Kitchen rota", "body": "Same", "tags": "a"})
    assert private.count(Revision, Revision.target_type == "thread", Revision.target_id == thread) == 1
    assert private.get(Thread, thread, "edited_at") is None


def test_an_edit_posted_without_the_tags_field_keeps_the_threads_tags(private):
    thread = private.thread(body="First words", tags=["kitchen", "rota"])
    response = private.client("member").post(f"/t/{thread}/edit", data={"title": "Kitchen rota", "body": "New words"})
    assert response.status_code == 302
    with private.ctx():
        saved = db.session.get(Thread, thread)
        assert (saved.body_md, [t.name for t in saved.tags]) == ("New words", ["kitchen", "rota"])
    # The form shows the tags as text to edit.
    assert 'value="kitchen rota"' in private.client("member").get(f"/t/{thread}/edit").text


def test_only_the_author_edits_a_thread(private):
    thread = private.thread()
    for role in ("facilitator", "admin"):
        response = private.client(role).post(f"/t/{thread}/edit", data={"title": "Hijack", "body": "x"})
        assert response.status_code == 403
    assert private.get(Thread, thread, "title") == "Kitchen rota"


# ---------------------------------------------------------------- close and reopen


def test_closing_a_thread_stops_replies_with_a_message_and_saves_nothing(private):
    thread = private.thread()
    top = private.comment(thread)
    client = private.client("facilitator")
    assert client.post(f"/t/{thread}/close").status_code == 302
    assert private.get(Thread, thread, "closed") is True
    before = private.counts()
    member = private.client("member")
    for data, headers in (({"body": "Late"}, {}), ({"body": "Late", "parent_id": top}, {}), ({"body": "Late"}, HX)):
        response = member.post(f"/t/{thread}/comments", data=data, headers=headers)
        assert response.status_code == 422
        assert "This thread is closed: it takes no new replies." in response.text
    assert private.counts() == before
    page = member.get(f"/t/{thread}").text
    assert "This thread is closed" in page
    assert 'id="reply-form-top"' not in page
    assert f'data-hx-get="/c/{top}/reply-form"' not in page


def test_reopening_a_thread_allows_replies_again(private):
    thread = private.thread()
    private.close(thread)
    client = private.client("facilitator")
    assert client.post(f"/t/{thread}/reopen").status_code == 302
    assert private.get(Thread, thread, "closed") is False
    response = private.client("member").post(f"/t/{thread}/comments", data={"body": "Back again"})
    assert response.status_code == 302
    assert private.count(Comment, Comment.thread_id == thread) == 1
    assert private.event_kinds()[-3:] == ["thread.closed", "thread.reopened", "comment.added"]


def test_the_author_may_close_their_own_thread_but_a_member_may_not_close_anothers(private):
    mine = private.thread(author="member")
    theirs = private.thread(author="facilitator")
    client = private.client("member")
    assert client.post(f"/t/{mine}/close").status_code == 302
    assert client.post(f"/t/{theirs}/close").status_code == 403
    assert private.get(Thread, theirs, "closed") is False


# ---------------------------------------------------------------- soft delete


def test_a_deleted_thread_leaves_the_list_and_its_page_but_keeps_its_rows(private):
    keep = private.thread(title="Keep")
    gone = private.thread(title="Gone")
    comment = private.comment(gone)
    client = private.client("member")
    response = client.post(f"/t/{gone}/delete")
    assert response.status_code == 302 and response.location == f"/g/{private.slug}/threads"
    assert listed(client.get(f"/g/{private.slug}/threads").text) == [keep]
    for url in (f"/t/{gone}", f"/t/{gone}/history", f"/c/{comment}/history", f"/c/{comment}/replies",
                f"/t/{gone}/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/t/{gone}/comments", data={"body": "still here?"}).status_code == 404
    assert private.count(Thread, Thread.id == gone) == 1
    assert private.get(Thread, gone, "deleted_at") is not None
    assert private.count(Comment, Comment.thread_id == gone) == 1
    assert private.event_kinds()[-1] == "thread.deleted"


def test_an_admin_may_delete_anyones_thread_a_facilitator_may_not(private):
    thread = private.thread(author="member")
    assert private.client("facilitator").post(f"/t/{thread}/delete").status_code == 403
    assert private.get(Thread, thread, "deleted_at") is None
    assert private.client("admin").post(f"/t/{thread}/delete").status_code == 302
    assert private.get(Thread, thread, "deleted_at") is not None


def test_a_deleted_thread_cannot_be_closed_pinned_or_deleted_again(private):
    thread = private.thread()
    private.delete_thread(thread)
    for action in ("close", "reopen", "pin", "unpin", "delete"):
        assert private.client("admin").post(f"/t/{thread}/{action}").status_code == 404, action


def test_a_tag_is_made_once_per_group(private):
    private.thread(tags=["budget"])
    private.thread(tags=["Budget", "#budget"])
    assert private.count(Tag, Tag.group_id == private.group_id) == 1


def test_visitors_of_a_public_group_read_threads_and_are_asked_to_log_in(public):
    thread = public.thread(body="Open to all")
    response = public.client("anonymous").get(f"/t/{thread}")
    assert response.status_code == 200
    assert "Open to all" in response.text and "Log in</a> to take part" in response.text
    assert 'id="reply-form-top"' not in response.text
    outsider = public.client("outsider").get(f"/t/{thread}").text
    assert 'id="reply-form-top"' not in outsider


def test_a_thread_page_shows_its_comments_in_order(private):
    thread = private.thread()
    ids = [private.comment(thread, "member", f"c{i}") for i in range(4)]
    assert comment_ids_on(private.client("member").get(f"/t/{thread}").text) == ids
    with private.ctx():
        assert db.session.scalar(select(Event.kind).order_by(Event.id.desc()).limit(1)) == "comment.added"
