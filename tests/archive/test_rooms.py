"""How the archive is built: one policy, domain errors below the routes, htmx answers that are blocks of the page."""
import ast
import re
from pathlib import Path

import pytest

from app.archive import comments, documents, policy, reactions, threads
from app.archive.models import Comment, Document, Thread
from app.core.errors import Missing, NotAllowed
from app.core.extensions import db
from tests.archive.archive_helpers import HX, counting_queries, private, public  # noqa: F401 (fixtures)
from tests.scene import without_csrf_tokens

ARCHIVE = Path(__file__).resolve().parents[2] / "app" / "archive"
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates" / "archive"


def _http_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("werkzeug.exceptions"):
            found.append(f"{path.name}: from {node.module} import …")
        if isinstance(node, ast.ImportFrom) and node.module == "flask" and any(a.name == "abort" for a in node.names):
            found.append(f"{path.name}: from flask import abort")
    return found


def test_only_the_routes_speak_http():
    """Services, reads, policy and builders raise Missing, NotAllowed or Refused; the routes and one
    handler in app.core.security turn them into status codes."""
    below_routes = list(ARCHIVE.glob("*.py"))  # everything but the `routes` package
    assert len(below_routes) > 10
    assert [problem for path in below_routes for problem in _http_imports(path)] == []


def test_no_module_keeps_its_own_permission_helper():
    """`app.core.errors.require` is the one way a service re-checks what the policy said."""
    for path in ARCHIVE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        helpers = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
        assert not {"_require", "require"} & set(helpers), path.name


def test_htmx_fragments_are_blocks_of_the_page_templates():
    assert not (TEMPLATES / "fragments.html").exists()
    page = (TEMPLATES / "thread.html").read_text()
    for block in ("reactions", "reply_form", "replies"):
        assert f"{{% block {block} %}}" in page, block


def test_services_refuse_with_domain_errors(private, public):
    thread_id = private.thread()
    comment_id = private.comment(thread_id)
    document_id = private.document()
    private.delete_comment(comment_id)
    public_thread = public.thread()
    with private.ctx():
        outsider, member = private.user("outsider"), private.user("member")
        with pytest.raises(Missing):  # a private group's thread doesn't exist for outsiders
            threads.thread_for(outsider, thread_id)
        with pytest.raises(NotAllowed):
            threads.start_thread(outsider, private.group(), "Hello", "Let me in")
        with pytest.raises(NotAllowed):  # deleted once is deleted: nobody deletes it again
            comments.delete_comment(private.user("admin"), db.session.get(Comment, comment_id))
        with pytest.raises(NotAllowed):
            threads.set_pinned(member, db.session.get(Thread, thread_id), True)
        with pytest.raises(NotAllowed):
            documents.delete_document(private.user("facilitator"), db.session.get(Document, document_id))
        with pytest.raises(Missing):  # a reaction to a deleted comment has nothing to land on
            reactions.toggle_reaction(member, db.session.get(Comment, comment_id), "thanks")
    with public.ctx():
        with pytest.raises(NotAllowed):  # a public thread is read by anyone, written by members
            comments.add_comment(public.user("outsider"), db.session.get(Thread, public_thread), "Hi")


def test_the_policy_says_no_to_changing_what_is_deleted(private):
    thread_id = private.thread()
    private.delete_thread(thread_id)
    with private.ctx():
        thread, admin = db.session.get(Thread, thread_id), private.user("admin")
        assert not any(may(admin, thread) for may in (policy.can_edit, policy.can_delete, policy.can_close,
                                                      policy.can_pin, policy.can_comment))


# ---------------------------------------------------------------- one htmx convention


def _element(html: str, tag: str, element_id: str) -> str:
    """The element with this id, from its opening tag to its matching closing tag."""
    start = html.rindex(f"<{tag} ", 0, html.index(f'id="{element_id}"'))
    depth = 0
    for found in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return _steady(html[start:start + found.end()])
    raise AssertionError(f"{element_id} is not closed")


def _steady(html: str) -> str:
    """Markup without what changes from one request to the next (CSRF tokens) or with indentation."""
    return re.sub(r"\s+", " ", without_csrf_tokens(html)).strip()


def test_the_htmx_answers_are_the_pages_own_markup(private):
    thread_id = private.thread()
    top = private.comment(thread_id, "facilitator", "Shall we paint the door?")
    kids = [private.comment(thread_id, "admin", f"Answer {i}", top) for i in range(5)]
    client = private.client("member")
    client.get(f"/t/{thread_id}")  # read: nothing is "new" on the pages compared below

    reacted = client.post(f"/react/comment/{kids[0]}", data={"kind": "heart"}, headers=HX).text
    unfolded = client.get(f"/c/{top}/replies", headers=HX).text
    page = client.get(f"/t/{thread_id}?expand={top}").text
    assert _steady(reacted) == _element(page, "div", f"reactions-comment-{kids[0]}")
    assert _steady(unfolded) == _element(page, "ol", f"replies-{top}")

    thread_reacted = client.post(f"/react/thread/{thread_id}", data={"kind": "thanks"}, headers=HX).text
    page = client.get(f"/t/{thread_id}").text
    assert _steady(thread_reacted) == _element(page, "div", f"reactions-thread-{thread_id}")


def test_a_posted_comment_comes_back_as_the_page_shows_it(private):
    thread_id = private.thread()
    top = private.comment(thread_id, "facilitator", "Painting on Sunday?")
    client = private.client("member")
    posted = client.post(f"/t/{thread_id}/comments", data={"body": "Yes, **me**", "parent_id": top}, headers=HX).text
    new_id = private.get(Thread, thread_id, "last_comment_id")
    out_of_band = re.search(r'<ol data-hx-swap-oob="beforeend:#replies-\d+">(.*)</ol>', posted, re.S).group(1)
    # The posted copy alone carries the mark telling canoe.js to move focus to it.
    assert out_of_band.count("<article data-focus>") == 1
    out_of_band = out_of_band.replace("<article data-focus>", "<article>")
    assert _steady(out_of_band) == _element(client.get(f"/t/{thread_id}").text, "li", f"comment-{new_id}")


def test_posting_with_htmx_costs_the_same_in_a_long_thread_and_reads_memberships_twice_at_most(private):
    def thread_of(size):
        thread_id = private.thread()
        for i in range(size):
            private.comment(thread_id, ("admin", "facilitator")[i % 2], f"Remark {i}")
        return thread_id

    client = private.client("member")
    costs = []
    for thread_id in (thread_of(3), thread_of(40)):
        with counting_queries(private.app) as statements:
            response = client.post(f"/t/{thread_id}/comments", data={"body": "Count me in"}, headers=HX)
        assert response.status_code == 200
        costs.append(len(statements))
        # Once to decide who may post; once more after the commit, which forgets what was read.
        assert sum("FROM memberships" in s for s in statements) <= 2, statements
    assert costs[0] == costs[1]
