"""Reactions (a fixed set, one of each per person) and read state (new, unread, jump, mark all read)."""
import re

from app.archive.models import REACTIONS, Reaction, ReadState, Thread
from tests.archive.archive_helpers import HX, comment_block, counting_queries, private, public, read_state  # noqa: F401 (fixtures)

# ---------------------------------------------------------------- reactions


def reaction_counts(fragment: str) -> dict[str, int]:
    """{kind: count} of the buttons in a reactions bar that show a number."""
    counts = {}
    for kind, rest in re.findall(r'name="kind" value="(\w+)"(.*?)</button>', fragment, re.S):
        number = re.search(r'<span class="n">(\d+)</span>', rest)
        if number:
            counts[kind] = int(number.group(1))
    return counts


def test_reactions_are_counted_per_kind(private):
    thread = private.thread()
    comment = private.comment(thread)
    for who in ("member", "facilitator"):
        private.react("comment", comment, "thanks", by=who)
    private.react("comment", comment, "agree", by="admin")
    page = private.client("member").get(f"/t/{thread}").text
    assert reaction_counts(comment_block(page, comment)) == {"thanks": 2, "agree": 1}


def test_one_of_each_per_person_and_reacting_twice_takes_it_back(private):
    thread = private.thread()
    comment = private.comment(thread)
    client = private.client("facilitator")
    assert client.post(f"/react/comment/{comment}", data={"kind": "heart"}).status_code == 302
    assert private.count(Reaction) == 1
    client.post(f"/react/comment/{comment}", data={"kind": "agree"})
    assert private.count(Reaction) == 2
    client.post(f"/react/comment/{comment}", data={"kind": "heart"})
    assert private.count(Reaction) == 1
    assert private.count(Reaction, Reaction.kind == "heart") == 0


def test_reacting_without_javascript_returns_to_the_comment(private):
    thread = private.thread()
    comment = private.comment(thread)
    response = private.client("member").post(f"/react/comment/{comment}", data={"kind": "thanks"})
    assert response.status_code == 302 and response.location == f"/t/{thread}#comment-{comment}"
    response = private.client("member").post(f"/react/thread/{thread}", data={"kind": "thanks"})
    assert response.location == f"/t/{thread}#top"


def test_reacting_with_htmx_returns_the_reactions_fragment(private):
    thread = private.thread()
    comment = private.comment(thread)
    private.react("comment", comment, "celebrate", by="admin")
    response = private.client("member").post(f"/react/comment/{comment}", data={"kind": "celebrate"}, headers=HX)
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    assert text.lstrip().startswith(f'<div class="reactions" id="reactions-comment-{comment}">')
    assert reaction_counts(text) == {"celebrate": 2}
    assert re.search(r'value="celebrate" class="reaction mine"[^>]*aria-pressed="true"', text)


def test_reactions_on_a_thread(private):
    thread = private.thread()
    response = private.client("facilitator").post(f"/react/thread/{thread}", data={"kind": "agree"}, headers=HX)
    assert f'id="reactions-thread-{thread}"' in response.text
    assert reaction_counts(response.text) == {"agree": 1}
    assert private.count(Reaction, Reaction.target_type == "thread", Reaction.target_id == thread) == 1


def test_only_the_fixed_set_of_reactions_is_accepted(private):
    thread = private.thread()
    comment = private.comment(thread)
    client = private.client("member")
    for kind in ("angry", "", "THANKS", "thanks ", "<script>"):
        assert client.post(f"/react/comment/{comment}", data={"kind": kind}).status_code == 400, kind
        assert client.post(f"/react/comment/{comment}", data={"kind": kind}, headers=HX).status_code == 400, kind
    assert client.post(f"/react/comment/{comment}").status_code == 400
    assert private.count(Reaction) == 0
    assert set(REACTIONS) == {"thanks", "agree", "heart", "celebrate", "thinking"}


def test_non_members_cannot_react_403_on_a_public_group(public):
    thread = public.thread()
    comment = public.comment(thread)
    outsider = public.client("outsider")
    assert outsider.post(f"/react/comment/{comment}", data={"kind": "thanks"}).status_code == 403
    assert outsider.post(f"/react/thread/{thread}", data={"kind": "thanks"}).status_code == 403
    assert public.count(Reaction) == 0
    page = outsider.get(f"/t/{thread}").text
    assert "/react/" not in page  # no buttons, only counts


def test_non_members_cannot_react_404_on_a_private_group(private):
    thread = private.thread()
    comment = private.comment(thread)
    outsider = private.client("outsider")
    assert outsider.post(f"/react/comment/{comment}", data={"kind": "thanks"}).status_code == 404
    assert outsider.post(f"/react/thread/{thread}", data={"kind": "thanks"}).status_code == 404
    assert private.count(Reaction) == 0


def test_anonymous_reactions_are_sent_to_log_in(public):
    thread = public.thread()
    response = public.client("anonymous").post(f"/react/thread/{thread}", data={"kind": "thanks"})
    assert response.status_code == 302 and response.location.startswith("/login")
    response = public.client("anonymous").post(f"/react/thread/{thread}", data={"kind": "thanks"}, headers=HX)
    assert response.headers.get("HX-Redirect", "").startswith("/login")
    assert public.count(Reaction) == 0


def test_a_deleted_comment_takes_no_reactions(private):
    thread = private.thread()
    comment = private.comment(thread)
    private.delete_comment(comment)
    assert private.client("facilitator").post(f"/react/comment/{comment}", data={"kind": "thanks"}).status_code == 404
    assert private.count(Reaction) == 0


# ---------------------------------------------------------------- read state


def row_of(listing: str, thread_id: int) -> str:
    match = re.search(rf'<li class="row[^"]*">\s*<span>(?:(?!</li>).)*?href="/t/{thread_id}"(?:(?!</li>).)*</li>', listing, re.S)
    assert match, f"thread {thread_id} is not listed"
    return match.group(0)


def unread_badge(listing: str, thread_id: int) -> str | None:
    row = row_of(listing, thread_id)
    if "● new" in row:
        return "new"
    match = re.search(r"(\d+) unread", row)
    return f"{match.group(1)} unread" if match else None


def test_a_thread_never_opened_is_new_and_opening_it_leaves_nothing_unread(private):
    thread = private.thread(author="facilitator")
    private.comment(thread, "admin", "first")
    client = private.client("member")
    listing = f"/g/{private.slug}/threads"
    assert unread_badge(client.get(listing).text, thread) == "new"
    client.get(f"/t/{thread}")
    assert unread_badge(client.get(listing).text, thread) is None
    assert read_state(private, "member", thread) == private.get(Thread, thread, "last_comment_id")


def test_new_comments_by_others_show_as_unread_and_are_marked_on_the_thread_page(private):
    thread = private.thread(author="member")
    seen = private.comment(thread, "facilitator", "before")
    client = private.client("member")
    client.get(f"/t/{thread}")
    new = [private.comment(thread, "facilitator", "after one"), private.comment(thread, "admin", "after two", seen)]
    assert unread_badge(client.get(f"/g/{private.slug}/threads").text, thread) == "2 unread"
    page = client.get(f"/t/{thread}").text
    assert 'class="comment depth-1" id="comment-%d"' % seen in page
    for cid in new:
        assert re.search(rf'<li class="comment depth-\d is-unread" id="comment-{cid}">', page)
        assert "● new" in comment_block(page, cid)
    assert "● new" not in comment_block(page, seen)
    jump = re.search(r'<a href="([^"]+)">Jump to first unread', page)
    assert jump and jump.group(1).replace("&amp;", "&") == f"/t/{thread}?show={new[0]}#comment-{new[0]}"
    # That visit read them: nothing is new now.
    assert unread_badge(client.get(f"/g/{private.slug}/threads").text, thread) is None
    again = client.get(f"/t/{thread}").text
    assert "Jump to first unread" not in again and "is-unread" not in again


def test_jump_to_first_unread_unfolds_the_sub_thread_it_is_in(private):
    thread = private.thread(author="admin")
    top = private.comment(thread, "admin", "Ideas?")
    for i in range(4):
        private.comment(thread, "admin", f"idea {i}", top)
    client = private.client("member")
    client.get(f"/t/{thread}")
    late = private.comment(thread, "facilitator", "a late idea", top)  # fifth reply: folded for readers
    page = client.get(f"/t/{thread}").text
    assert f'id="comment-{late}"' in page, "the first unread comment is shown, not folded away"


def test_your_own_comments_are_never_unread(private):
    thread = private.thread(author="facilitator")
    client = private.client("member")
    client.get(f"/t/{thread}")
    client.post(f"/t/{thread}/comments", data={"body": "mine"})
    assert unread_badge(client.get(f"/g/{private.slug}/threads").text, thread) is None


def test_deleted_comments_are_not_counted_as_unread(private):
    thread = private.thread(author="facilitator")
    client = private.client("member")
    client.get(f"/t/{thread}")
    gone = private.comment(thread, "admin", "oops")
    private.comment(thread, "admin", "kept")
    private.delete_comment(gone, author="admin")
    assert unread_badge(client.get(f"/g/{private.slug}/threads").text, thread) == "1 unread"


def test_mark_all_read_clears_new_and_unread_everywhere(private):
    never = private.thread(author="facilitator", title="Never opened")
    opened = private.thread(author="facilitator", title="Opened")
    client = private.client("member")
    client.get(f"/t/{opened}")
    private.comment(opened, "admin", "more")
    private.comment(never, "admin", "more")
    listing = client.get(f"/g/{private.slug}/threads").text
    assert (unread_badge(listing, never), unread_badge(listing, opened)) == ("new", "1 unread")
    response = client.post(f"/g/{private.slug}/threads/read-all")
    assert response.status_code == 302 and response.location == f"/g/{private.slug}/threads"
    listing = client.get(f"/g/{private.slug}/threads").text
    assert (unread_badge(listing, never), unread_badge(listing, opened)) == (None, None)
    assert "Every thread is marked read." in listing


def test_mark_all_read_costs_the_same_for_few_threads_and_many(private):
    client = private.client("member")
    costs = []
    for count in (2, 12):
        for i in range(count):
            private.thread(author="facilitator", title=f"Batch {count} thread {i}")
        with counting_queries(private.app) as statements:
            assert client.post(f"/g/{private.slug}/threads/read-all").status_code == 302
        costs.append(len(statements))
    assert costs[0] == costs[1]


def test_visitors_leave_no_read_state_and_see_no_badges(public):
    thread = public.thread(author="member")
    before = public.count(ReadState)
    for who in ("anonymous", "outsider"):
        client = public.client(who)
        assert client.get(f"/t/{thread}").status_code == 200
        listing = client.get(f"/g/{public.slug}/threads").text
        assert unread_badge(listing, thread) is None
    assert public.count(ReadState) == before
