"""Nested comments: the tree, its display depth, folding long sub-threads, posting with and without htmx."""
import re
import time
from dataclasses import dataclass
from datetime import datetime

from app.archive import comments
from app.archive.models import Thread
from app.archive.comments import FOLD_AFTER, SHOWN_DEPTH, comment_tree, find_node, unfolded
from tests.archive.archive_helpers import (  # noqa: F401 (fixtures)
    HX,
    comment_block,
    comment_ids_on,
    depth_of,
    private,
)


@dataclass
class Person:
    handle: str


@dataclass
class Remark:
    """Just what comment_tree reads from a comment."""

    id: int
    parent_id: int | None
    author: Person
    deleted_at: datetime | None = None


def walk(nodes, holder=None):
    for node in nodes:
        yield node, holder
        yield from walk(node.children, node)


# ---------------------------------------------------------------- comment_tree, the unit


def test_replies_nest_to_depth_three_and_deeper_ones_join_the_depth_two_list():
    people = [Person(f"p{i}") for i in range(6)]
    chain = [Remark(i + 1, i or None, people[i]) for i in range(6)]  # 1 ← 2 ← 3 ← 4 ← 5 ← 6
    roots = comment_tree(chain)
    assert [n.comment.id for n in roots] == [1]
    second = roots[0].children[0]
    assert second.comment.id == 2 and second.depth == 2
    assert [(n.comment.id, n.depth) for n in second.children] == [(3, 3), (4, 3), (5, 3), (6, 3)]
    # The ones shown shallower than they are say whom they answer.
    assert [n.replying_to.handle if n.replying_to else None for n in second.children] == [None, "p2", "p3", "p4"]
    assert second.children[0].children == []


def test_comment_tree_keeps_order_by_id_whatever_the_input_order():
    remarks = [Remark(5, 1, Person("a")), Remark(1, None, Person("b")), Remark(3, 1, Person("c")), Remark(2, None, Person("d"))]
    roots = comment_tree(remarks)
    assert [n.comment.id for n in roots] == [1, 2]
    assert [n.comment.id for n in roots[0].children] == [3, 5]


def test_unread_marks_only_comments_after_the_last_seen_one():
    remarks = [Remark(i, None, Person("a")) for i in range(1, 5)]
    assert [n.unread for n in comment_tree(remarks, last_seen_id=2)] == [False, False, True, True]
    assert [n.unread for n in comment_tree(remarks, last_seen_id=None)] == [False] * 4


def test_a_deleted_comment_stays_while_it_has_replies():
    remarks = [Remark(1, None, Person("a"), deleted_at=datetime(2025, 1, 1)), Remark(2, 1, Person("b")),
               Remark(3, None, Person("c"), deleted_at=datetime(2025, 1, 1))]
    roots = comment_tree(remarks)
    assert [(n.comment.id, n.visible) for n in roots] == [(1, True), (3, False)]


def test_a_deleted_comment_whose_replies_are_all_deleted_is_not_shown():
    gone = datetime(2025, 1, 1)
    remarks = [Remark(1, None, Person("a"), deleted_at=gone), Remark(2, 1, Person("b"), deleted_at=gone),
               Remark(3, 2, Person("c"), deleted_at=gone)]
    assert [n.visible for n, _ in walk(comment_tree(remarks))] == [False, False, False]


def test_unfolded_opens_a_comment_and_every_ancestor():
    remarks = [Remark(1, None, None), Remark(2, 1, None), Remark(3, 2, None), Remark(4, None, None)]
    assert unfolded(remarks, 3) == {1, 2, 3}
    assert unfolded(remarks, None, 4, 999) == {4}


def _chain(n):
    return [Remark(i, i - 1 or None, Person("a")) for i in range(1, n + 1)]


def _wide(n):
    # A few top-level comments, each with many replies, each of those with a couple more.
    remarks = []
    for i in range(1, n + 1):
        parent = None if i % 100 == 1 else (i - 1 if i % 3 == 0 else (i - 1) // 100 * 100 + 1)
        remarks.append(Remark(i, parent, Person("a")))
    return remarks


def test_comment_tree_of_ten_thousand_comments_in_a_chain_is_built_whole_and_flat_below_depth_three():
    roots = comment_tree(_chain(10_000))
    nodes = list(walk(roots))
    assert len(nodes) == 10_000
    assert max(n.depth for n, _ in nodes) == SHOWN_DEPTH
    assert len(roots[0].children[0].children) == 10_000 - 2  # all of them in the depth-2 comment's list


def test_comment_tree_of_ten_thousand_comments_in_a_wide_tree_keeps_every_comment_once():
    remarks = _wide(10_000)
    seen = [n.comment.id for n, _ in walk(comment_tree(remarks))]
    assert sorted(seen) == list(range(1, 10_001))


class Counted(Remark):
    """A comment that counts how often comment_tree looks at it."""

    reads = 0

    def __getattribute__(self, name):
        if not name.startswith("__"):
            Counted.reads += 1
        return super().__getattribute__(name)


def _reads(build, n):
    comments = [Counted(r.id, r.parent_id, r.author) for r in build(n)]
    Counted.reads = 0
    comment_tree(comments)
    return Counted.reads


def test_comment_tree_looks_at_each_comment_a_fixed_number_of_times():
    # O(n): a pass that went back over earlier comments (children found by scanning, depth by
    # walking up the chain) would read a 10,000-comment thread millions of times.
    for build in (_chain, _wide):
        assert _reads(build, 10_000) <= 25 * 10_000, build.__name__
        assert _reads(build, 10_000) <= 11 * _reads(build, 1_000), build.__name__


def test_comment_tree_of_ten_thousand_comments_is_built_in_moments():
    # Generous, for a busy machine: quadratic work on 10,000 comments takes far longer.
    for build in (_chain, _wide):
        comments = build(10_000)
        start = time.perf_counter()
        comment_tree(comments)
        assert time.perf_counter() - start < 5.0, build.__name__


def test_find_node_reports_the_list_a_comment_is_shown_in():
    roots = comment_tree(_chain(5))
    node, holder = find_node(roots, 5)
    assert node.comment.id == 5 and holder.comment.id == 2
    assert find_node(roots, 1)[1] is None
    assert find_node(roots, 99) == (None, None)


# ---------------------------------------------------------------- the thread page


def test_thread_page_nests_replies_to_depth_three_and_says_whom_deeper_ones_answer(private):
    thread = private.thread()
    authors = ["member", "facilitator", "admin", "member", "facilitator", "admin"]
    ids, parent = [], None
    for i, who in enumerate(authors):
        parent = private.comment(thread, who, f"Level {i + 1}", parent)
        ids.append(parent)
    page = private.client("member").get(f"/t/{thread}").text
    assert [depth_of(page, cid) for cid in ids] == [1, 2, 3, 3, 3, 3]
    assert "replying to @coopfac" not in comment_block(page, ids[2])
    assert "replying to @coopadmin" in comment_block(page, ids[3])  # level 4 answers level 3, by the admin
    assert "replying to @coopmember" in comment_block(page, ids[4])
    assert "replying to @coopfac" in comment_block(page, ids[5])


def test_reply_is_offered_on_every_comment_at_every_depth(private):
    thread = private.thread()
    ids = private.chain(thread, 5)
    page = private.client("member").get(f"/t/{thread}").text
    for cid in ids:
        assert f'data-hx-get="/c/{cid}/reply-form"' in comment_block(page, cid)
        assert f"reply_to={cid}" in comment_block(page, cid)


def _sub_thread(scene, replies=5):
    thread = scene.thread()
    top = scene.comment(thread, "facilitator", "Shall we paint the door?")
    kids = [scene.comment(thread, "member", f"Answer {i}", top) for i in range(replies)]
    return thread, top, kids


def test_more_than_three_replies_fold_behind_a_link_that_works_without_javascript(private):
    thread, top, kids = _sub_thread(private, 5)
    client = private.client("member")
    page = client.get(f"/t/{thread}").text
    assert comment_ids_on(page) == [top, *kids[:FOLD_AFTER]]
    assert "Show 2 more replies" in page
    link = re.search(r'<a href="([^"]+)"\s+data-hx-get="/c/%d/replies"' % top, page)
    assert link, "the fold link has a plain href as well as hx-get"
    href = link.group(1).replace("&amp;", "&")
    assert f"expand={top}" in href
    unfolded_page = client.get(href.split("#")[0]).text
    assert comment_ids_on(unfolded_page) == [top, *kids]
    assert "more replies" not in unfolded_page


def test_the_page_folds_where_fold_after_says(private, monkeypatch):
    """The template takes the fold from app.archive.comments, with and without htmx."""
    thread, top, kids = _sub_thread(private, 3)
    monkeypatch.setattr(comments, "FOLD_AFTER", 2)
    client = private.client("member")
    page = client.get(f"/t/{thread}").text
    assert comment_ids_on(page) == [top, *kids[:2]]
    assert "Show 1 more reply" in page
    monkeypatch.setattr(comments, "FOLD_AFTER", 1)
    answers = []
    for words in ("And me", "Me too"):
        response = client.post(f"/t/{thread}/comments", data={"body": words, "parent_id": kids[0]}, headers=HX)
        answers.append(private.get(Thread, thread, "last_comment_id"))
        assert comment_ids_on(response.text) == [answers[-1]]
    replies = client.get(f"/c/{top}/replies", headers=HX).text
    # Every answer to the top comment, unfolded; under the first, one answer and a fold for the other.
    assert comment_ids_on(replies) == [kids[0], answers[0], *kids[1:]]
    assert "Show 1 more reply" in replies


def test_the_page_nests_as_deep_as_shown_depth_says(private, monkeypatch):
    thread = private.thread()
    one, two, three = private.chain(thread, 3)
    monkeypatch.setattr(comments, "SHOWN_DEPTH", 2)
    page = private.client("member").get(f"/t/{thread}").text
    assert [depth_of(page, c) for c in (one, two, three)] == [1, 2, 2]
    assert "replying to @coopmember" in comment_block(page, three)


def test_three_replies_do_not_fold(private):
    thread, top, kids = _sub_thread(private, 3)
    page = private.client("member").get(f"/t/{thread}").text
    assert comment_ids_on(page) == [top, *kids]
    assert "more repl" not in page


def test_replies_route_with_htmx_returns_the_whole_list_as_a_fragment(private):
    thread, top, kids = _sub_thread(private, 6)
    response = private.client("member").get(f"/c/{top}/replies", headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith(f'<ol class="replies" id="replies-{top}">')
    assert comment_ids_on(response.text) == kids
    assert "more replies" not in response.text
    assert "HX-Request" in response.headers.get("Vary", "")


def test_replies_route_without_htmx_redirects_to_the_unfolded_thread(private):
    thread, top, kids = _sub_thread(private, 6)
    response = private.client("member").get(f"/c/{top}/replies")
    assert response.status_code == 302
    assert response.location == f"/t/{thread}?expand={top}#comment-{top}"


def test_show_unfolds_every_ancestor_of_the_comment_asked_for(private):
    thread, top, kids = _sub_thread(private, 5)
    # A folded list inside a folded list: the last answer's own replies fold too.
    grandkids = [private.comment(thread, "admin", f"Deeper {i}", kids[-1]) for i in range(5)]
    client = private.client("admin")  # has read everything: no unread comment opens a fold
    assert grandkids[-1] not in comment_ids_on(client.get(f"/t/{thread}").text)
    page = client.get(f"/t/{thread}?show={grandkids[-1]}").text
    shown = comment_ids_on(page)
    assert kids[-1] in shown and grandkids[-1] in shown


def test_a_fold_counts_only_replies_that_are_shown(private):
    thread, top, kids = _sub_thread(private, 5)
    private.delete_comment(kids[-1])  # no replies: it disappears, and the fold says 1 more
    page = private.client("member").get(f"/t/{thread}").text
    assert "Show 1 more reply" in page


# ---------------------------------------------------------------- posting


def test_posting_without_javascript_redirects_to_the_new_comment(private):
    thread = private.thread()
    response = private.client("member").post(f"/t/{thread}/comments", data={"body": "Count me in."})
    assert response.status_code == 302
    cid = private.get(Thread, thread, "last_comment_id")
    assert response.location.endswith(f"#comment-{cid}")
    assert response.location.startswith(f"/t/{thread}")


def test_posting_with_htmx_returns_an_empty_box_and_the_comment_out_of_band(private):
    thread = private.thread()
    response = private.client("member").post(f"/t/{thread}/comments", data={"body": "Count **me** in."}, headers=HX)
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    box = re.search(r'<div class="reply-box" id="reply-form-top">.*?</div>\s*</form>', text, re.S)
    assert box and re.search(r"<textarea[^>]*></textarea>", box.group(0)), "the reply box comes back empty"
    oob = re.search(r'<ol data-hx-swap-oob="beforeend:#comments">(.*)</ol>', text, re.S)
    assert oob, text
    assert "<strong>me</strong>" in oob.group(1)
    assert comment_ids_on(oob.group(1)) == [private.get(Thread, thread, "last_comment_id")]


def test_a_reply_with_htmx_goes_into_the_parents_replies_list(private):
    thread = private.thread()
    top = private.comment(thread, "facilitator", "Painting on Sunday?")
    response = private.client("member").post(
        f"/t/{thread}/comments", data={"body": "Yes!", "parent_id": top}, headers=HX
    )
    assert response.status_code == 200
    assert f'<div id="reply-slot-{top}"></div>' in response.text
    assert f'data-hx-swap-oob="beforeend:#replies-{top}"' in response.text


def test_a_reply_deeper_than_three_with_htmx_joins_the_depth_two_list_and_names_the_parent(private):
    thread = private.thread()
    one, two, three = private.chain(thread, 3, author="facilitator")
    response = private.client("member").post(
        f"/t/{thread}/comments", data={"body": "Deep", "parent_id": three}, headers=HX
    )
    assert f'data-hx-swap-oob="beforeend:#replies-{two}"' in response.text
    assert "replying to @coopfac" in response.text
    assert "depth-3" in response.text


def test_a_bad_post_with_htmx_gets_422_and_the_form_with_its_message(private):
    thread = private.thread()
    before = private.counts()
    response = private.client("member").post(f"/t/{thread}/comments", data={"body": "   "}, headers=HX)
    assert response.status_code == 422
    assert '<div class="reply-box"' in response.text and "<html" not in response.text
    assert "Write something first." in response.text
    assert private.counts() == before


def test_a_bad_post_without_javascript_shows_the_thread_with_the_message(private):
    thread = private.thread()
    before = private.counts()
    response = private.client("member").post(f"/t/{thread}/comments", data={"body": ""})
    assert response.status_code == 422
    assert "<html" in response.text and "Write something first." in response.text
    assert private.counts() == before


def test_reply_form_with_htmx_is_a_box_for_that_comment(private):
    thread = private.thread()
    top = private.comment(thread)
    response = private.client("member").get(f"/c/{top}/reply-form", headers=HX)
    assert response.status_code == 200
    assert f'id="reply-slot-{top}"' in response.text
    assert f'<input type="hidden" name="parent_id" value="{top}">' in response.text


def test_reply_form_without_javascript_opens_the_thread_with_the_box_under_the_comment(private):
    thread = private.thread()
    top = private.comment(thread)
    client = private.client("member")
    response = client.get(f"/c/{top}/reply-form")
    assert response.status_code == 302
    assert f"reply_to={top}" in response.location and response.location.endswith(f"#reply-{top}")
    page = client.get(response.location.split("#")[0]).text
    assert f'<input type="hidden" name="parent_id" value="{top}">' in comment_block(page, top)


# ---------------------------------------------------------------- deleting


def test_a_deleted_comment_with_replies_leaves_a_placeholder_and_its_replies(private):
    thread = private.thread()
    top = private.comment(thread, "member", "Original words")
    reply = private.comment(thread, "facilitator", "An answer", top)
    private.delete_comment(top)
    page = private.client("facilitator").get(f"/t/{thread}").text
    assert comment_ids_on(page) == [top, reply]
    assert "This comment was deleted." in comment_block(page, top)
    assert "Original words" not in page
    assert "An answer" in page
    assert "1 reply" in page  # the heading counts what is there to read


def test_a_deleted_comment_without_replies_disappears(private):
    thread = private.thread()
    keep = private.comment(thread, "member", "Stays")
    gone = private.comment(thread, "member", "Goes")
    private.delete_comment(gone)
    page = private.client("member").get(f"/t/{thread}").text
    assert comment_ids_on(page) == [keep]
    assert "This comment was deleted." not in page


def test_a_deleted_comment_whose_only_replies_were_deleted_disappears_from_the_page(private):
    thread = private.thread()
    top = private.comment(thread, "member", "First")
    reply = private.comment(thread, "member", "Second", top)
    private.delete_comment(top)
    private.delete_comment(reply)
    page = private.client("member").get(f"/t/{thread}").text
    assert comment_ids_on(page) == []
    assert "This comment was deleted." not in page


def test_comment_counts_follow_adds_and_deletes(private):
    thread = private.thread()
    a = private.comment(thread)
    private.comment(thread, "facilitator", "two", a)
    c = private.comment(thread, "admin", "three")
    assert private.get(Thread, thread, "comment_count") == 3
    private.delete_comment(a)
    private.delete_comment(c, author="admin")
    assert private.get(Thread, thread, "comment_count") == 1
    listing = private.client("member").get(f"/g/{private.slug}/threads").text
    assert "1 reply" in listing
    page = private.client("member").get(f"/t/{thread}").text
    assert "1 reply" in page
