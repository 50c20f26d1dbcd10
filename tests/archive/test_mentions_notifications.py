"""@mentions link to members and notify them once; replies notify the person replied to; the inbox."""
import re
from urllib.parse import quote

from sqlalchemy import select

from app.archive.models import Comment, Document, Mention, Thread
from app.core.extensions import db
from app.groups import services as groups
from app.notifications.models import Notification
from tests.archive.archive_helpers import comment_ids_on, private, public  # noqa: F401 (fixtures)


def mention_link(href, text):
    return f'<a class="mention" href="{href}" rel="noopener noreferrer nofollow">{text}</a>'


def bell(page: str) -> int:
    """The unread count the top bar shows (0 when it shows none)."""
    bar = page.split('id="bell"', 1)[1].split("</a>", 1)[0]
    match = re.search(r'<span class="count"[^>]*>(\d+)</span>', bar)
    return int(match.group(1)) if match else 0


def test_a_mention_of_a_member_links_to_them_and_notifies_them_once(private):
    thread = private.thread(author="admin")
    response = private.client("member").post(f"/t/{thread}/comments", data={"body": "Can @coopfac help?"})
    assert response.status_code == 302
    comment = private.get(Thread, thread, "last_comment_id")
    html = private.get(Comment, comment, "body_html")
    assert mention_link("/u/coopfac", "@coopfac") in html
    assert private.notifications("facilitator") == [("mention", "comment", comment)]
    assert private.count(Mention, Mention.target_type == "comment", Mention.target_id == comment) == 1
    page = private.client("member").get(f"/t/{thread}").text
    assert 'href="/u/coopfac"' in page
    assert private.client("member").get("/u/coopfac").status_code == 200


def test_a_hangul_handle_is_linked_and_notified(private, make_user):
    minji = make_user("민지", "ko", name="김민지")
    private.join(minji)
    thread = private.thread(author="member", body="@민지 님, 회의록을 부탁해요.")
    html = private.get(Thread, thread, "body_html")
    href = "/u/" + quote("민지")
    assert mention_link(href, "@민지") in html
    assert private.notifications(minji) == [("mention", "thread", thread)]
    client = private.client(minji)
    assert client.get(href).status_code == 200
    assert bell(client.get(f"/g/{private.slug}/threads").text) == 1


def test_editing_never_notifies_a_mentioned_person_again(private):
    thread = private.thread(author="admin")
    comment = private.comment(thread, "member", "Ask @coopfac")
    private.edit_comment(comment, "Ask @coopfac, please")
    private.edit_comment(comment, "Never mind")
    private.edit_comment(comment, "Ask @coopfac after all")  # the mention comes back
    client = private.client("member")
    client.post(f"/c/{comment}/edit", data={"body": "Ask @coopfac (edited through the page)"})
    assert private.notifications("facilitator") == [("mention", "comment", comment)]


def test_an_edit_that_mentions_someone_new_notifies_only_them(private):
    thread = private.thread(author="member", body="Hello @coopfac")
    private.edit_thread(thread, "Hello @coopfac and @coopadmin")
    assert private.notifications("facilitator") == [("mention", "thread", thread)]
    assert private.notifications("admin") == [("mention", "thread", thread)]


def test_mentioning_a_non_member_or_an_unknown_handle_links_nobody_and_notifies_nobody(private):
    thread = private.thread(author="member", body="Hi @coopout and @nobodyhere")
    html = private.get(Thread, thread, "body_html")
    assert "/u/" not in html and "@coopout" in html and "@nobodyhere" in html
    assert private.notifications("outsider") == []
    assert private.count(Notification) == 0
    assert private.count(Mention) == 0


def test_mentioning_yourself_does_nothing(private):
    thread = private.thread(author="member", body="Note to self, @coopmember")
    private.comment(thread, "member", "@coopmember again")
    assert private.notifications("member") == []
    assert private.count(Notification) == 0


def test_mentions_in_code_and_in_email_addresses_are_not_mentions(private):
    private.thread(author="member", body="`@coopfac` and coop@coopfac.example and\n\n```\n@coopadmin\n```")
    assert private.count(Notification) == 0


def test_a_mention_in_a_document_notifies_and_leads_to_the_document(private):
    document = private.document(author="member", body="Minutes taken by @coopfac")
    assert private.notifications("facilitator") == [("mention", "document", document)]
    private.edit_document(document, "Minutes taken by @coopfac, corrected")
    assert private.notifications("facilitator") == [("mention", "document", document)]
    client = private.client("facilitator")
    (note_id,) = re.findall(r'href="/notifications/(\d+)"', client.get("/notifications").text)
    response = client.get(f"/notifications/{note_id}")
    assert response.status_code == 303 and response.location == f"/d/{document}"
    assert private.count(Document) == 1


def test_a_reply_notifies_the_person_replied_to_but_not_someone_replying_to_themselves(private):
    thread = private.thread(author="admin")
    top = private.comment(thread, "facilitator", "What about Tuesday?")
    answer = private.comment(thread, "member", "Tuesday works.", top)
    assert ("reply", "comment", answer) in private.notifications("facilitator")
    private.comment(thread, "facilitator", "Adding to my own point.", top)
    assert [n for n in private.notifications("facilitator") if n[0] == "reply"] == [("reply", "comment", answer)]


def test_a_comment_on_a_thread_notifies_its_author(private):
    thread = private.thread(author="facilitator")
    comment = private.comment(thread, "member", "Good idea.")
    assert private.notifications("facilitator") == [("reply", "comment", comment)]
    private.comment(thread, "facilitator", "Thanks!")
    assert private.notifications("facilitator") == [("reply", "comment", comment)]


def test_a_reply_that_also_mentions_the_person_replied_to_notifies_them_once(private):
    thread = private.thread(author="admin")
    top = private.comment(thread, "facilitator", "Who can bring chairs?")
    answer = private.comment(thread, "member", "@coopfac I can.", top)
    assert private.notifications("facilitator") == [("mention", "comment", answer)]


def test_the_bell_counts_unread_notifications_and_the_inbox_lists_them(private):
    thread = private.thread(author="facilitator", title="Chairs")
    private.comment(thread, "member", "I have four.")
    private.comment(thread, "admin", "@coopfac I have two.")
    client = private.client("facilitator")
    page = client.get("/notifications").text
    assert bell(page) == 2
    assert "Coopmember replied to you in “Chairs”." in page
    assert "Coopadmin mentioned you in “Chairs”." in page
    assert bell(private.client("member").get("/notifications").text) == 0
    assert "No notifications" in private.client("member").get("/notifications").text


def test_opening_a_notification_marks_it_read_and_goes_to_the_comment(private):
    thread = private.thread(author="facilitator")
    comment = private.comment(thread, "member", "See this")
    client = private.client("facilitator")
    (note_id,) = re.findall(r'href="/notifications/(\d+)"', client.get("/notifications").text)
    response = client.get(f"/notifications/{note_id}")  # the item is a link (notifications.open_note)
    assert response.status_code == 303
    assert response.location.startswith(f"/t/{thread}") and response.location.endswith(f"#comment-{comment}")
    assert private.get(Notification, int(note_id), "read_at") is not None
    page = client.get("/notifications").text
    assert bell(page) == 0
    assert f'href="/notifications/{note_id}"' in page  # read or not, the same one link
    # The form post that marked it read before still does (old pages, scripts).
    assert client.post(f"/notifications/{note_id}/read").location == response.location


def test_a_notification_leads_to_a_reply_even_when_its_sub_thread_is_folded(private):
    thread = private.thread(author="admin")
    top = private.comment(thread, "facilitator", "Ideas for the party?")
    replies = [private.comment(thread, "admin", f"Idea {i}", top) for i in range(4)]
    mine = private.comment(thread, "member", "@coopfac one more", top)
    client = private.client("facilitator")
    client.get(f"/t/{thread}")  # read it all once, so no unread comment unfolds the list
    assert mine not in comment_ids_on(client.get(f"/t/{thread}").text)
    note = max(int(i) for i in re.findall(r'href="/notifications/(\d+)"', client.get("/notifications").text))
    location = client.get(f"/notifications/{note}").location
    assert mine in comment_ids_on(client.get(location.split("#")[0]).text), replies


def test_mark_all_read_clears_the_bell(private):
    thread = private.thread(author="facilitator")
    for i in range(3):
        private.comment(thread, "member", f"c{i}")
    client = private.client("facilitator")
    response = client.post("/notifications/read-all")
    assert response.status_code == 302 and response.location == "/notifications"
    assert bell(client.get("/notifications").text) == 0
    assert private.count(Notification, Notification.read_at.is_(None)) == 0


def test_someone_elses_notification_is_not_there(private):
    thread = private.thread(author="facilitator")
    private.comment(thread, "member", "hi")
    with private.ctx():
        note_id = db.session.scalar(select(Notification.id))
    for who in ("member", "admin", "outsider"):
        assert private.client(who).post(f"/notifications/{note_id}/read").status_code == 404
    assert private.client("facilitator").post("/notifications/99999/read").status_code == 404
    for huge in ("3000000000", "99999999999999999999"):
        assert private.client("facilitator").post(f"/notifications/{huge}/read").status_code == 404
    assert private.get(Notification, note_id, "read_at") is None


def test_the_inbox_pages_are_safe_with_odd_page_numbers(private):
    client = private.client("member")
    for page in ("0", "-1", "abc", "3000000000", "99999999999999999999"):
        assert client.get(f"/notifications?page={page}").status_code == 200, page


def test_mentions_in_a_public_group_reach_only_members(public):
    thread = public.thread(author="member", body="@townfac and @townout")
    assert public.notifications("facilitator") == [("mention", "thread", thread)]
    assert public.notifications("outsider") == []


def test_someone_who_left_a_private_group_is_not_told_about_replies_there(private):
    thread = private.thread(author="facilitator", title="Secret plans")
    comment = private.comment(thread, "member", "My idea")
    with private.ctx():
        groups.leave(private.user("member"), private.group())
    private.comment(thread, "facilitator", "About your idea", comment)
    private.comment(thread, "admin", "And another")
    assert private.notifications("member") == []
    assert private.client("member").get("/notifications").text.count("Secret plans") == 0


def test_someone_who_left_a_public_group_still_reads_it_and_hears_replies(public):
    thread = public.thread(author="facilitator")
    comment = public.comment(thread, "member", "My idea")
    with public.ctx():
        groups.leave(public.user("member"), public.group())
    reply = public.comment(thread, "facilitator", "About your idea", comment)
    assert public.notifications("member") == [("reply", "comment", reply)]
