"""Writing: the preview of a thread, reply or document, and @mention suggestions.

A preview is the text as saving would store it (the same renderer, sanitiser and mention
linking), shown and never saved; who may preview is who may save. Suggestions are the group's
own current members, for people who may post there, a few at a time.
"""
import re
from io import BytesIO

import pytest

from app.archive.models import Comment, Document, Thread
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group
from tests.archive.archive_helpers import HX, ROLES, ArchiveScene
from tests.archive.archive_helpers import private as private  # noqa: F401 (fixture)
from tests.archive.archive_helpers import public as public  # noqa: F401 (fixture)
from tests.conftest import PASSWORD
from tests.sql import counting_queries

SNEAKY = ("**Bold** and @coopfac, not @coopout.\n\n<script>alert(1)</script> "
          "[click](javascript:alert(1)) <img src=x onerror=alert(1)>")


def row(*cells):
    return dict(zip(ROLES, cells))


def world(scene: ArchiveScene) -> dict:
    thread = scene.thread(author="member")
    comment = scene.comment(thread, "member", "A comment")
    return {"slug": scene.slug, "T": thread, "C": comment, "D": scene.document(author="member")}


def preview_html(response) -> str:
    """The preview's rendered text, as the page (or the htmx fragment) shows it."""
    found = re.search(r'class="preview-box">.*?<div class="prose" data-hx-disable>(.*?)</div>',
                      response.get_data(as_text=True), re.S)
    assert found, "no preview on the page"
    return found.group(1)


def outcome(response):
    if response.status_code == 302 and response.location.startswith("/login"):
        return "login"
    if response.headers.get("HX-Redirect", "").startswith("/login"):
        return "login"
    return response.status_code


# ---------------------------------------------------------------- preview

PREVIEWS = {
    # name: (url, form data, who may: (private by role, public by role))
    "new thread": ("/g/{slug}/threads/new/preview", {"title": "T", "body": SNEAKY, "tags": ""},
                   row("login", 404, 200, 200, 200), row("login", 403, 200, 200, 200)),
    "thread edit": ("/t/{T}/edit/preview", {"title": "T", "body": SNEAKY},
                    row("login", 404, 200, 403, 403), row("login", 403, 200, 403, 403)),
    "new document": ("/g/{slug}/docs/new/preview", {"title": "D", "body": SNEAKY, "folder": ""},
                     row("login", 404, 200, 200, 200), row("login", 403, 200, 200, 200)),
    "document edit": ("/d/{D}/edit/preview", {"title": "D", "body": SNEAKY, "folder": ""},
                      row("login", 404, 200, 200, 200), row("login", 403, 200, 200, 200)),
    "comment edit": ("/c/{C}/edit/preview", {"body": SNEAKY},
                     row("login", 404, 200, 403, 403), row("login", 403, 200, 403, 403)),
    "reply": ("/t/{T}/comments/preview", {"body": SNEAKY},
              row("login", 404, 200, 200, 200), row("login", 403, 200, 200, 200)),
    "reply to a comment": ("/t/{T}/comments/preview", {"body": SNEAKY, "parent_id": "{C}"},
                           row("login", 404, 200, 200, 200), row("login", 403, 200, 200, 200)),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("name", PREVIEWS, ids=str)
def test_who_may_preview_is_who_may_save_and_nothing_is_saved(app, make_cast, name, visibility, htmx):
    url, data, private_rule, public_rule = PREVIEWS[name]
    scene = ArchiveScene(app, make_cast("coop", visibility))
    ids = world(scene)
    before = scene.counts()
    actual = {role: outcome(scene.client(role).post(url.format(**ids), headers=HX if htmx else {},
                                                    data={k: v.format(**ids) for k, v in data.items()}))
              for role in ROLES}
    assert actual == (private_rule if visibility == "private" else public_rule)
    assert scene.counts() == before


@pytest.mark.parametrize("name", PREVIEWS, ids=str)
def test_a_preview_is_sanitised_with_members_linked(private, name):
    url, data, _, _ = PREVIEWS[name]
    ids = world(private)
    response = private.client("member").post(url.format(**ids), data={k: v.format(**ids) for k, v in data.items()})
    assert response.status_code == 200
    shown = preview_html(response)
    assert "<strong>Bold</strong>" in shown
    assert '<a class="mention" href="/u/coopfac"' in shown  # a member is linked
    assert "@coopout" in shown and "/u/coopout" not in shown  # someone outside stays plain text
    assert "<script" not in shown and "&lt;script&gt;" in shown
    assert "javascript:" not in shown.replace("[click](javascript:alert(1))", "")
    assert "onerror" not in shown or "&lt;img" in shown


def test_without_javascript_the_form_comes_back_with_the_text_kept_and_the_preview_above_it(private):
    page = private.client("member").post(f"/g/{private.slug}/threads/new/preview", data={
        "title": "Kitchen & garden", "body": "We need **soap**.", "tags": "kitchen", "submission_key": "k" * 32})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index('id="preview-body"') < html.index('name="title"')  # above the fields
    assert 'value="Kitchen &amp; garden"' in html and "We need **soap**.</textarea>" in html
    assert 'value="kitchen"' in html
    assert "<strong>soap</strong>" in preview_html(page)
    assert html.count("autofocus") == 1  # the preview heading, not the title field too
    assert 'formaction="/g/coop/threads/new/preview"' in html  # preview again, or save:
    assert 'action="/g/coop/threads/new"' in html  # this page's address is the preview's, the form's is not


def test_with_htmx_only_the_preview_region_comes_back(private):
    ids = world(private)
    response = private.client("member").post(f"/t/{ids['T']}/comments/preview", data={"body": "Hi *there*"},
                                             headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert 'id="preview-reply-top-heading"' in html and "<h3" in html
    assert "<em>there</em>" in preview_html(response)


def test_the_preview_is_exactly_what_saving_stores(private):
    ids = world(private)
    member = private.client("member")
    body = "A *list*:\n\n- one @coopadmin\n- two\n\n| a | b |\n|---|:-:|\n| 1 | 2 |"
    shown = preview_html(member.post(f"/t/{ids['T']}/comments/preview", data={"body": body}, headers=HX))
    assert member.post(f"/t/{ids['T']}/comments", data={"body": body}).status_code == 302
    with private.ctx():
        stored = db.session.query(Comment).order_by(Comment.id.desc()).first().body_html
    assert shown.strip() == stored


def test_a_reply_preview_without_javascript_reopens_the_box_under_that_comment(private):
    ids = world(private)
    response = private.client("member").post(f"/t/{ids['T']}/comments/preview",
                                             data={"body": "Me **too**", "parent_id": str(ids["C"])})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="reply-slot-{ids["C"]}"' in html and f'name="parent_id" value="{ids["C"]}"' in html
    region = html.split(f'id="preview-reply-{ids["C"]}"', 1)[1]
    assert "<strong>too</strong>" in region.split("</div>\n</div>")[0]


@pytest.mark.parametrize("body, message", [
    ("x" * 101, "That is too long: keep it under 100 characters."),
    ("", "Nothing to preview yet"),
    ("   \n ", "Nothing to preview yet"),
])
def test_a_preview_is_bounded_like_saving(private, make_app, body, message):
    strict = ArchiveScene(make_app(CANOE_MAX_TEXT=100), private.cast)
    ids = world(strict)
    before = strict.counts()
    response = strict.client("member").post(f"/t/{ids['T']}/comments/preview", data={"body": body}, headers=HX)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert strict.counts() == before


@pytest.mark.parametrize("data", [
    {}, {"body": "x\x00y"}, {"body": "ok", "parent_id": "abc"}, {"body": "ok", "parent_id": str(2**40)},
    {"body": "ok", "parent_id": "-3"}, {"body": "ok", "parent_id": "987654"}, {"body": ["a", "b"]},
], ids=["nothing", "nul", "parent-not-a-number", "parent-too-big", "parent-negative", "parent-missing", "two-bodies"])
def test_bad_preview_input_is_never_a_500(private, data):
    ids = world(private)
    member = private.client("member")
    for url in (f"/t/{ids['T']}/comments/preview", f"/g/{private.slug}/threads/new/preview",
                f"/d/{ids['D']}/edit/preview", f"/c/{ids['C']}/edit/preview"):
        for headers in ({}, HX):
            assert member.post(url, data=data, headers=headers).status_code == 200, url


def test_a_reply_to_a_comment_of_another_thread_is_previewed_as_a_reply_to_this_one(private):
    ids = world(private)
    other = private.thread(author="member", title="Other")
    elsewhere = private.comment(other, "member", "Elsewhere")
    html = private.client("member").post(f"/t/{ids['T']}/comments/preview",
                                         data={"body": "Hi", "parent_id": str(elsewhere)}).get_data(as_text=True)
    assert "Hi</p>" in html.split('id="preview-reply-top"', 1)[1]
    assert f'reply-slot-{elsewhere}' not in html


def test_a_closed_or_deleted_thread_takes_no_reply_preview(private):
    closed, deleted = private.thread(title="Closed"), private.thread(title="Deleted")
    private.close(closed)
    private.delete_thread(deleted)
    member = private.client("member")
    assert member.post(f"/t/{closed}/comments/preview", data={"body": "Hi"}).status_code == 403
    assert member.post(f"/t/{deleted}/comments/preview", data={"body": "Hi"}).status_code == 404
    assert member.post("/d/987654/edit/preview", data={"body": "Hi"}).status_code == 404


def test_a_preview_says_chosen_files_are_not_kept(private):
    response = private.client("member").post(
        f"/g/{private.slug}/docs/new/preview", content_type="multipart/form-data",
        data={"title": "D", "body": "Text", "folder": "", "files": (BytesIO(b"hello"), "notes.txt")})
    assert response.status_code == 200
    assert "choose them again before you save" in response.get_data(as_text=True)
    assert private.count(Document) == 0


def test_a_preview_needs_the_forms_csrf_token(private, make_app):
    guarded = ArchiveScene(make_app(WTF_CSRF_ENABLED=True), private.cast)
    ids = world(guarded)
    client = guarded.app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    with guarded.ctx():
        email = guarded.user("member").email
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    url = f"/t/{ids['T']}/comments/preview"
    assert client.post(url, data={"body": "Hi"}).status_code == 400
    page = client.get(f"/t/{ids['T']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(url, data={"body": "Hi", "csrf_token": token}).status_code == 200


def test_the_forms_offer_a_preview_after_their_main_button(private):
    ids = world(private)
    member = private.client("member")
    pages = {f"/g/{private.slug}/threads/new": "/threads/new/preview", f"/t/{ids['T']}/edit": "/edit/preview",
             f"/g/{private.slug}/docs/new": "/docs/new/preview", f"/d/{ids['D']}/edit": "/edit/preview",
             f"/c/{ids['C']}/edit": "/edit/preview", f"/t/{ids['T']}": "/comments/preview"}
    for page, action in pages.items():
        html = member.get(page).get_data(as_text=True)
        assert action in html, page
        button = re.search(r'<button[^>]*formaction="([^"]+)"', html)
        assert button and button.group(1).endswith(action), page
        assert html.index('class="primary') < html.index("formaction="), page  # Enter still saves
        assert 'data-mentions="/g/coop/mentions"' in html, page


# ---------------------------------------------------------------- @mention suggestions


def suggested(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'data-handle="([^"]+)"', response.get_data(as_text=True))


def test_suggestions_are_the_groups_members_whose_handle_starts_so(private, make_cast):
    make_cast("coopish", "private")  # people of another group whose handles start alike
    private.join("cooper", name="Cooper Lane")
    member = private.client("member")
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=coop")) == ["coopadmin", "cooper", "coopfac"]  # by name
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=COOPF")) == ["coopfac"]
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=oop")) == []  # a prefix, not anywhere in it


def test_suggestions_match_names_and_words_of_names_in_hangul_too(private):
    private.join("jiho", name="이지호")
    private.join("ben", name="Ben Okafor")
    private.join("minji", name="김민지")
    member = private.client("member")
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=이")) == ["jiho"]
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=김민")) == ["minji"]
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=oka")) == ["ben"]
    html = member.get(f"/g/{private.slug}/mentions?q=이").get_data(as_text=True)
    assert "이지호" in html and 'role="listbox"' in html and 'role="option"' in html


def test_a_handle_match_comes_before_a_name_match(private):
    private.join("zed", name="Sam Zed")
    private.join("samuel", name="Zz Top")
    assert suggested(private.client("member").get(f"/g/{private.slug}/mentions?q=sam")) == ["samuel", "zed"]


def test_never_the_writer_nor_someone_who_left(private):
    private.join("lea", name="Lea Former")
    with private.ctx():
        groups.leave(private.user("lea"), db.session.get(Group, private.group_id))
    member = private.client("member")
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=lea")) == []
    assert suggested(member.get(f"/g/{private.slug}/mentions?q=coopmember")) == []


def test_at_most_eight_suggestions_in_one_query(private):
    member = private.client("member")
    private.crowd(2)
    with counting_queries(private.app) as few:
        assert len(suggested(member.get(f"/g/{private.slug}/mentions?q=voter"))) == 2
    private.crowd(12, prefix="voterb")
    with counting_queries(private.app) as many:
        assert len(suggested(member.get(f"/g/{private.slug}/mentions?q=voter"))) == 8
    assert len(many) == len(few)
    assert sum("FROM users" in q and "memberships" in q for q in many) == 1


@pytest.mark.parametrize("visibility", ["private", "public"])
def test_only_people_who_may_post_there_get_suggestions(app, make_cast, visibility):
    scene = ArchiveScene(app, make_cast("coop", visibility))
    actual = {role: outcome(scene.client(role).get("/g/coop/mentions?q=coop")) for role in ROLES}
    assert actual == row("login", 404, 200, 200, 200)
    assert scene.client("member").get("/g/no-such-group/mentions?q=coop").status_code == 404


@pytest.mark.parametrize("query", ["", "%", "_", "a%", "%25", "c_op", "<b>", "@coop", "a" * 31, "coop coop", "\x00"])
def test_anything_but_a_handles_letters_suggests_no_one(private, query):
    assert suggested(private.client("member").get(f"/g/{private.slug}/mentions", query_string={"q": query})) == []


def test_names_are_escaped_in_the_suggestions(private):
    private.join("mallory", name='<img src=x onerror="alert(1)">')
    html = private.client("member").get(f"/g/{private.slug}/mentions?q=mal").get_data(as_text=True)
    assert "<img" not in html and "&lt;img" in html


# ---------------------------------------------------------------- the header: one search box


def test_a_group_page_has_one_search_box_and_it_searches_the_group(private):
    ids = world(private)
    member = private.client("member")
    for page in (f"/g/{private.slug}", f"/g/{private.slug}/threads", f"/t/{ids['T']}", f"/d/{ids['D']}"):
        html = member.get(page).get_data(as_text=True)
        assert html.count('type="search"') == 1, page
        assert '<input type="hidden" name="group" value="coop">' in html, page
    html = member.get("/groups").get_data(as_text=True)
    assert html.count('type="search"') == 1 and 'name="group"' not in html


def test_the_current_group_tab_is_marked(private):
    html = private.client("member").get(f"/g/{private.slug}/threads").get_data(as_text=True)
    tabs = html.split('class="tabs"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<a href="([^"]+)"\s*aria-current="page"', tabs) == [f"/g/{private.slug}/threads"]


def test_a_thread_saved_after_its_preview_is_saved_once(private):
    member = private.client("member")
    data = {"title": "Soap", "body": "We need **soap**.", "tags": ""}
    assert member.post(f"/g/{private.slug}/threads/new/preview", data=data).status_code == 200
    assert private.count(Thread) == 0
    assert member.post(f"/g/{private.slug}/threads/new", data=data).status_code == 302
    assert private.count(Thread) == 1
