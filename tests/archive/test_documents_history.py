"""Documents (folders, tags, edits, delete) and the history of everything that is edited."""
import re

from app.archive.models import Comment, Document, Thread
from app.core.revisions import Revision
from app.core.extensions import db
from tests.archive.archive_helpers import comment_block, private, public  # noqa: F401 (fixtures)


def folders(listing: str) -> dict[str, list[str]]:
    """{folder heading: [document titles]} in the order the documents page shows them."""
    shown = {}
    for heading, body in re.findall(r'<h2 class="folder">📁 ([^<]*)</h2>(.*?)</section>', listing, re.S):
        shown[heading.strip()] = re.findall(r'<a href="/d/\d+">([^<]*)</a>', body)
    return shown


def test_a_member_writes_a_document_in_a_folder_with_tags(private):
    client = private.client("member")
    response = client.post(f"/g/{private.slug}/docs/new", data={
        "title": "March minutes", "folder": " /Minutes/ ", "body": "We agreed to **paint**.", "tags": "meeting, 2025",
    })
    assert response.status_code == 302
    document = int(re.fullmatch(r"/d/(\d+)", response.location).group(1))
    assert private.get(Document, document, "folder") == "Minutes"
    with private.ctx():
        assert [t.name for t in db.session.get(Document, document).tags] == ["2025", "meeting"]
    assert private.count(Revision, Revision.target_type == "document", Revision.target_id == document) == 1
    assert private.event_kinds()[-1] == "document.created"
    page = client.get(response.location).text
    assert "<strong>paint</strong>" in page and "📁 Minutes" in page and "#meeting" in page


def test_the_new_document_form_can_start_in_a_folder(private):
    page = private.client("member").get(f"/g/{private.slug}/docs/new?folder=Policies").text
    assert re.search(r'name="folder"[^>]*value="Policies"', page)


def test_the_list_groups_documents_by_folder(private):
    private.document(title="Handbook")
    private.document(title="b minutes", folder="Minutes")
    private.document(title="A minutes", folder="Minutes")
    private.document(title="Privacy", folder="Policies")
    listing = private.client("member").get(f"/g/{private.slug}/docs").text
    assert folders(listing) == {"Top level": ["Handbook"], "Minutes": ["A minutes", "b minutes"], "Policies": ["Privacy"]}


def test_the_list_filters_by_tag(private):
    private.document(title="Budget 2025", tags=["budget"])
    private.document(title="Handbook", tags=["onboarding"])
    client = private.client("member")
    listing = client.get(f"/g/{private.slug}/docs?tag=budget").text
    assert folders(listing) == {"Top level": ["Budget 2025"]}
    assert folders(client.get(f"/g/{private.slug}/docs?tag=Budget").text) == {"Top level": ["Budget 2025"]}
    assert folders(client.get(f"/g/{private.slug}/docs?tag=none").text) == {}


def test_any_member_edits_a_document_and_every_version_is_kept(private):
    document = private.document(author="member", body="Line one\nLine two")
    client = private.client("facilitator")
    form = client.get(f"/d/{document}/edit").text
    assert "Line one" in form
    response = client.post(f"/d/{document}/edit", data={
        "title": "Handbook", "folder": "", "body": "Line one\nLine 2", "tags": "",
    })
    assert response.status_code == 302 and response.location == f"/d/{document}"
    assert private.count(Revision, Revision.target_type == "document", Revision.target_id == document) == 2
    assert private.get(Document, document, "updated_by_id") == private.cast.facilitator.id
    assert private.event_kinds()[-1] == "document.edited"
    history = client.get(f"/d/{document}/history").text
    assert "Version 2" in history and "Version 1" in history
    assert "<del>two</del>" in history and "<ins>2</ins>" in history


def test_an_edit_posted_without_the_tags_field_keeps_the_documents_tags(private):
    document = private.document(author="member", body="Line one", tags=["policy", "money"])
    response = private.client("facilitator").post(f"/d/{document}/edit", data={
        "title": "Handbook", "folder": "", "body": "Line one, revised",
    })
    assert response.status_code == 302
    with private.ctx():
        saved = db.session.get(Document, document)
        assert (saved.body_md, [t.name for t in saved.tags]) == ("Line one, revised", ["money", "policy"])
    assert 'value="money policy"' in private.client("member").get(f"/d/{document}/edit").text


def test_moving_a_document_to_another_folder_is_an_edit(private):
    document = private.document(title="Privacy", folder="Drafts")
    private.edit_document(document, "# Welcome\n\nHow we work.", folder="Policies")
    assert private.get(Document, document, "folder") == "Policies"
    listing = private.client("member").get(f"/g/{private.slug}/docs").text
    assert folders(listing) == {"Policies": ["Privacy"]}


def test_the_author_or_an_admin_deletes_a_document_and_it_is_hidden(private):
    mine = private.document(author="member", title="Mine")
    other = private.document(author="facilitator", title="Theirs")
    member = private.client("member")
    assert member.post(f"/d/{other}/delete").status_code == 403
    response = member.post(f"/d/{mine}/delete")
    assert response.status_code == 302 and response.location == f"/g/{private.slug}/docs"
    assert private.client("admin").post(f"/d/{other}/delete").status_code == 302
    assert folders(member.get(f"/g/{private.slug}/docs").text) == {}
    for url in (f"/d/{mine}", f"/d/{mine}/history", f"/d/{mine}/edit"):
        assert member.get(url).status_code == 404, url
    assert member.post(f"/d/{mine}/delete").status_code == 404
    assert private.count(Document) == 2  # kept for the record
    assert private.event_kinds()[-2:] == ["document.deleted", "document.deleted"]


def test_a_facilitator_may_not_delete_someone_elses_document(private):
    document = private.document(author="member")
    assert private.client("facilitator").post(f"/d/{document}/delete").status_code == 403
    assert private.get(Document, document, "deleted_at") is None


# ---------------------------------------------------------------- history and diffs


def test_each_edit_of_a_thread_adds_a_revision_and_the_history_shows_a_readable_diff(private):
    thread = private.thread(title="Rota", body="Alice cooks on Monday")
    private.edit_thread(thread, "Alice cooks on Tuesday")
    private.edit_thread(thread, "Alice cooks on Tuesday\nBob washes up", title="Kitchen rota")
    with private.ctx():
        numbers = list(db.session.scalars(
            db.select(Revision.number).where(Revision.target_type == "thread", Revision.target_id == thread)
            .order_by(Revision.number)))
    assert numbers == [1, 2, 3]
    client = private.client("member")
    page = client.get(f"/t/{thread}").text
    assert f'href="/t/{thread}/history">edited</a>' in page
    history = client.get(f"/t/{thread}/history")
    assert history.status_code == 200
    text = history.text
    assert "3 versions" in text
    assert "Version 2 → version 3" in text
    assert "<ins>Bob washes up</ins>" in text
    assert "<del>Rota</del> → <ins>Kitchen rota</ins>" in text
    first = client.get(f"/t/{thread}/history?a=1&b=2").text
    assert "<del>Monday</del>" in first and "<ins>Tuesday</ins>" in first
    across = client.get(f"/t/{thread}/history?a=1&b=3").text
    assert "Version 1 → version 3" in across
    assert "Coopmember" in across  # who wrote each version


def test_each_edit_of_a_comment_adds_a_revision_marked_edited(private):
    thread = private.thread()
    comment = private.comment(thread, "member", "Meet at 7")
    client = private.client("member")
    assert "edited" not in comment_block(client.get(f"/t/{thread}").text, comment)
    response = client.post(f"/c/{comment}/edit", data={"body": "Meet at 8"})
    assert response.status_code == 302 and response.location.endswith(f"#comment-{comment}")
    assert private.count(Revision, Revision.target_type == "comment", Revision.target_id == comment) == 2
    block = comment_block(client.get(f"/t/{thread}").text, comment)
    assert f'href="/c/{comment}/history">· edited</a>' in block
    history = client.get(f"/c/{comment}/history").text
    assert "<del>7</del>" in history and "<ins>8</ins>" in history


def test_only_the_author_edits_a_comment(private):
    thread = private.thread()
    comment = private.comment(thread, "member", "mine")
    for who in ("facilitator", "admin"):
        assert private.client(who).post(f"/c/{comment}/edit", data={"body": "theirs"}).status_code == 403
        assert private.client(who).get(f"/c/{comment}/edit").status_code == 403
    assert private.get(Comment, comment, "body_md") == "mine"


def test_a_revision_is_made_for_every_new_version_only(private):
    thread = private.thread()
    comment = private.comment(thread, "member", "same")
    private.edit_comment(comment, "same")
    document = private.document(body="same")
    private.edit_document(document, "same")
    assert private.count(Revision, Revision.target_type == "comment") == 1
    assert private.count(Revision, Revision.target_type == "document") == 1


def test_unknown_version_numbers_are_404(private):
    thread = private.thread()
    private.edit_thread(thread, "second")
    comment = private.comment(thread)
    document = private.document()
    client = private.client("member")
    for base in (f"/t/{thread}/history", f"/c/{comment}/history", f"/d/{document}/history"):
        assert client.get(base).status_code == 200
        for query in ("?a=1&b=9", "?a=7", "?b=3", "?a=-1", "?a=99999999999999999999"):
            assert client.get(base + query).status_code == 404, base + query
        assert client.get(base + "?a=abc").status_code == 200  # not a number: the default pair


def test_histories_of_unknown_or_deleted_things_are_404(private):
    thread = private.thread()
    comment = private.comment(thread)
    private.delete_comment(comment)
    client = private.client("member")
    for url in ("/t/9999/history", "/c/9999/history", "/d/9999/history", f"/c/{comment}/history"):
        assert client.get(url).status_code == 404, url


def test_a_one_version_history_compares_it_with_itself(private):
    document = private.document(body="Only version")
    page = private.client("member").get(f"/d/{document}/history").text
    assert "1 version" in page and "Version 1 → version 1" in page
    assert "What changed" not in page


def test_the_history_shows_text_escaped_not_rendered(private):
    thread = private.thread(body="<b>bold</b>")
    private.edit_thread(thread, "<script>alert(1)</script>")
    page = private.client("member").get(f"/t/{thread}/history").text
    diff = page.split('<div class="diff"', 1)[1]
    assert "alert(1)" in diff and "&lt;/" in diff
    assert "<script>alert" not in page and "<b>bold" not in page


def test_public_documents_are_readable_by_anyone_but_written_by_members(public):
    document = public.document(body="Open handbook")
    for who in ("anonymous", "outsider"):
        assert "Open handbook" in public.client(who).get(f"/d/{document}").text
    assert public.client("outsider").post(f"/d/{document}/edit", data={"title": "x", "body": "y"}).status_code == 403
    assert public.client("outsider").post(f"/g/{public.slug}/docs/new", data={"title": "x", "body": "y"}).status_code == 403
    assert public.count(Thread) == 0 and public.count(Document) == 1
