"""Properties that hold for any shape of conversation, any edit and any text."""
import random
from dataclasses import dataclass
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.diff import diff
from app.archive.comments import SHOWN_DEPTH, comment_tree, find_node, unfolded
from app.core.markdown import mentioned_handles, render, render_with_mentions
from tests.archive.archive_helpers import inert_problems


@dataclass
class Person:
    handle: str


@dataclass
class Remark:
    id: int
    parent_id: int | None
    author: Person
    deleted_at: datetime | None = None


@st.composite
def conversations(draw):
    """Comments 1..n, each replying to nothing or to an earlier one, some deleted, in any order.

    Long chains are likely (a reply to the one just before), so depths past three are common.
    """
    picks = draw(st.lists(st.tuples(st.integers(min_value=0, max_value=2**16), st.integers(min_value=0, max_value=7)),
                          max_size=50))
    remarks = []
    for i, (pick, flag) in enumerate(picks, start=1):
        if i == 1 or flag == 0:
            parent = None
        elif flag in (1, 2, 3):
            parent = i - 1
        else:
            parent = pick % (i - 1) + 1
        remarks.append(Remark(i, parent, Person(f"p{i}"), datetime(2025, 1, 1) if flag >= 5 and pick % 2 else None))
    shuffled = remarks[:]
    random.Random(draw(st.integers(min_value=0, max_value=2**16))).shuffle(shuffled)
    return remarks, shuffled


def real_depth(by_id, remark):
    depth = 1
    while remark.parent_id is not None:
        remark, depth = by_id[remark.parent_id], depth + 1
    return depth


def ancestor_at(by_id, remark, depth):
    chain = [remark]
    while chain[-1].parent_id is not None:
        chain.append(by_id[chain[-1].parent_id])
    return chain[::-1][depth - 1]


def walk(nodes, holder=None):
    for node in nodes:
        yield node, holder
        yield from walk(node.children, node)


@settings(max_examples=200, deadline=None)
@given(conversations())
def test_every_comment_appears_exactly_once_at_a_depth_of_at_most_three(conversation):
    remarks, shuffled = conversation
    placed = list(walk(comment_tree(shuffled)))
    assert sorted(node.comment.id for node, _ in placed) == [r.id for r in remarks]
    assert all(1 <= node.depth <= SHOWN_DEPTH for node, _ in placed)


@settings(max_examples=200, deadline=None)
@given(conversations())
def test_each_list_is_in_id_order_and_each_reply_sits_where_the_rule_says(conversation):
    remarks, shuffled = conversation
    by_id = {r.id: r for r in remarks}
    roots = comment_tree(shuffled)
    assert [n.comment.id for n in roots] == sorted(r.id for r in remarks if r.parent_id is None)
    for node, holder in walk(roots):
        ids = [child.comment.id for child in node.children]
        assert ids == sorted(ids)
        remark = node.comment
        depth = real_depth(by_id, remark)
        assert node.depth == min(depth, SHOWN_DEPTH)
        if depth == 1:
            assert holder is None and node.replying_to is None
        elif depth <= SHOWN_DEPTH:
            assert holder.comment.id == remark.parent_id and node.replying_to is None
        else:
            assert holder.comment.id == ancestor_at(by_id, remark, SHOWN_DEPTH - 1).id
            assert node.replying_to is by_id[remark.parent_id].author
        assert find_node(roots, remark.id) == (node, holder)


@settings(max_examples=200, deadline=None)
@given(conversations())
def test_a_deleted_comment_shows_exactly_while_a_shown_reply_hangs_under_it(conversation):
    remarks, shuffled = conversation
    children = {r.id: [] for r in remarks}
    for r in remarks:
        if r.parent_id is not None:
            children[r.parent_id].append(r)

    def shown(remark):
        return remark.deleted_at is None or any(shown(child) for child in children[remark.id])

    for node, _ in walk(comment_tree(shuffled)):
        assert node.visible == shown(node.comment)


@settings(max_examples=200, deadline=None)
@given(conversations(), st.data())
def test_unfolding_a_comment_opens_it_and_all_its_ancestors_only(conversation, data):
    remarks, shuffled = conversation
    if not remarks:
        assert unfolded(shuffled, 1) == set()
        return
    by_id = {r.id: r for r in remarks}
    target = data.draw(st.sampled_from(remarks))
    expected, cursor = set(), target
    while cursor is not None:
        expected.add(cursor.id)
        cursor = by_id.get(cursor.parent_id)
    assert unfolded(shuffled, target.id, None, 10_000) == expected


lines = st.lists(st.text(alphabet="ab c\tdé한글", max_size=12), max_size=8)


@settings(max_examples=300, deadline=None)
@given(lines, lines)
def test_a_diff_rebuilds_both_versions(old_lines, new_lines):
    old, new = "\n".join(old_lines), "\n".join(new_lines)
    result = diff(old, new)
    text = ["".join(part for part, _ in line.parts) for line in result]
    assert [t for t, line in zip(text, result) if line.kind != "removed"] == new.splitlines()
    assert [t for t, line in zip(text, result) if line.kind != "added"] == old.splitlines()
    assert all(not changed for line in result if line.kind == "same" for _, changed in line.parts)


FRAGMENTS = [
    "<", ">", "</", "/>", "script", "img", "svg", "a", "iframe", "math", "style", "form", " ", "\n", "\t",
    "=", '"', "'", "`", "src", "href", "onerror", "onload", "on", "x", "javascript", "JaVaScRiPt", ":",
    "&#58;", "&#x3A;", "&", "#", "vbscript", "data", "text/html", "hx-get", "hx-on", "data-hx-post", "(",
    ")", "[", "]", "!", "alert(1)", "<!--", "-->", "@", "minji", "**", "```", "\\", "%0a", "&#106;",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_no_arrangement_of_dangerous_pieces_survives_rendering(text):
    assert inert_problems(str(render(text))) == []
    html, _ = render_with_mentions(text, lambda handle: handle)
    assert inert_problems(str(html)) == []


handles = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789민지서연하준", min_size=2, max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(handles, min_size=1, max_size=5, unique=True))
def test_every_handle_written_after_a_space_is_found_and_linked_once(names):
    text = "Hello " + ", ".join(f"@{n}" for n in names) + "!"
    assert mentioned_handles(text) == set(names)
    html, found = render_with_mentions(text, lambda handle: handle)
    assert found == set(names)
    for name in names:
        assert str(html).count(f">@{name}</a>") == 1
