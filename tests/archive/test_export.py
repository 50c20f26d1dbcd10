"""Export: an admin takes the whole archive away as a zip — JSON to restore, Markdown to read.

The zip is written while it downloads: the response is streamed in chunks, and memory stays
flat however big the group is. Emails, password hashes and invitation tokens never leave.
"""
import io
import json
import re
import secrets
import tracemalloc
import zipfile
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from werkzeug.datastructures import FileStorage

from app.accounts.models import LoginSession
from app.archive import attachments as archive_attachments
from app.archive import export
from app.archive.models import Attachment, Comment, Document, Thread
from app.core.events import Event
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Invitation
from tests.archive.archive_helpers import comment_block, comment_ids_on, depth_of
from tests.archive.archive_helpers import private, public  # noqa: F401 (fixtures)
from tests.conftest import PASSWORD


def download(scene, who="admin"):
    """(response, chunks) of the export, posted from the settings page's button and read chunk by
    chunk as a browser would."""
    response = scene.client(who).post(f"/g/{scene.slug}/export")
    chunks = [chunk for chunk in response.response if chunk] if response.status_code == 200 else []
    response.close()
    return response, chunks


def unzip(chunks) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    return archive


def data(archive, table):
    return json.loads(archive.read(f"data/{table}.json"))


@pytest.fixture
def filled(private):
    """The private co-op with a conversation, a deleted thread, a document in folders and files."""
    s = private
    ids = {}
    with s.ctx():
        thread = archive_attachments.start_thread_with_files(
            s.user("member"), s.group(), "Kitchen rota", "Who cleans the kitchen **this** week?", ["kitchen"],
            [FileStorage(io.BytesIO(b"mon,tue\nminji,sam\n"), filename="rota.csv")],
        )
        ids["thread"] = thread.id
    ids["first"] = s.comment(ids["thread"], "facilitator", "I can do Monday.")
    ids["second"] = s.comment(ids["thread"], "member", "Thanks! I take Tuesday.", ids["first"])
    ids["third"] = s.comment(ids["thread"], "admin", "Wednesday is mine.", ids["second"])
    ids["fourth"] = s.comment(ids["thread"], "facilitator", "Deep reply.", ids["third"])
    ids["gone"] = s.comment(ids["thread"], "member", "Oops, wrong thread.")
    s.delete_comment(ids["gone"])
    s.edit_comment(ids["first"], "I can do Monday and Friday.", author="facilitator")
    s.react("comment", ids["first"], "thanks", by="member")
    ids["secret"] = s.thread(title="Surprise party", body="Don't tell anyone")
    s.delete_thread(ids["secret"])
    with s.ctx():
        document = archive_attachments.write_document_with_files(
            s.user("member"), s.group(), "3월 회의록", "## 참석\n\n민지, 샘", "회의록/2026", ["minutes"],
            [FileStorage(io.BytesIO(b"%PDF-1.4 scan"), filename="스캔 1.pdf")],
        )
        ids["document"] = document.id
        groups.create_invitation(s.user("admin"), s.group(), "member", 7, None)
    return s, ids


# ---------------------------------------------------------------- who may export


@pytest.mark.parametrize("who, status", [("admin", 200), ("facilitator", 403), ("member", 403), ("outsider", 404)])
def test_only_admins_export_and_outsiders_of_a_private_group_see_nothing(private, who, status):
    response, _chunks = download(private, who)
    assert response.status_code == status


def test_a_visitor_must_log_in_first(private):
    response, _chunks = download(private, "anonymous")
    assert response.status_code == 302 and "/login" in response.location


def test_outsiders_of_a_public_group_may_read_but_not_export(public):
    response, _chunks = download(public, "outsider")
    assert response.status_code == 403


def test_the_settings_page_has_a_button_that_posts_the_export_for_admins(private):
    page = private.client("admin").get(f"/g/{private.slug}/settings").text
    form = re.search(rf'<form method="post" action="/g/{private.slug}/export">(.*?)</form>', page, re.S)
    assert form and 'name="csrf_token"' in form.group(1) and '<button type="submit">' in form.group(1)
    assert f'href="/g/{private.slug}/export"' not in page


@pytest.fixture
def builds(monkeypatch):
    """Every export that starts building, by group slug."""
    started = []
    real = export.stream

    def watched(group):
        started.append(group.slug)
        return real(group)

    monkeypatch.setattr(export, "stream", watched)
    return started


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}, {"Accept": "image/avif,image/webp,*/*"}])
def test_a_get_of_the_export_address_builds_nothing(private, builds, headers):
    """An `<img src="/g/<slug>/export">` in a post makes each admin's browser GET it: that must be inert."""
    response = private.client("admin").get(f"/g/{private.slug}/export", headers=headers)
    assert response.status_code == 405
    assert response.mimetype != "application/zip"
    assert builds == []


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_an_export_post_without_the_pages_csrf_token_builds_nothing(private, make_app, builds):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login = {"email": private.cast.admin.email, "password": PASSWORD, "csrf_token": _token(client.get("/login").text)}
    assert client.post("/login", data=login).status_code == 302
    refused = client.post(f"/g/{private.slug}/export")
    assert refused.status_code == 400 and builds == []
    token = _token(client.get(f"/g/{private.slug}/settings").text)
    response = client.post(f"/g/{private.slug}/export", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    response.close()
    assert builds == [private.slug]


# ---------------------------------------------------------------- the zip


def test_the_admin_gets_a_streamed_zip_named_after_the_group_and_day(filled):
    scene, _ids = filled
    response, chunks = download(scene)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/zip"
    today = datetime.now(ZoneInfo("Asia/Seoul")).date().isoformat()
    assert response.headers["Content-Disposition"] == f"attachment; filename=coop-archive-{today}.zip"
    assert response.headers["Cache-Control"] == "no-store"
    names = unzip(chunks).namelist()
    assert "README.txt" in names and "data/export.json" in names and "data/group.json" in names


def test_the_json_holds_every_record_of_the_group(filled):
    scene, ids = filled
    archive = unzip(download(scene)[1])
    group = json.loads(archive.read("data/group.json"))
    assert (group["slug"], group["name"], group["visibility"]) == ("coop", "Coop Co-op", "private")

    threads = {t["id"]: t for t in data(archive, "threads")}
    assert threads[ids["thread"]]["title"] == "Kitchen rota"
    assert threads[ids["thread"]]["body_md"] == "Who cleans the kitchen **this** week?"
    assert threads[ids["secret"]]["deleted_at"] is not None  # deleted things are records too

    comments = {c["id"]: c for c in data(archive, "comments")}
    assert set(comments) == {ids[k] for k in ("first", "second", "third", "fourth", "gone")}
    assert comments[ids["second"]]["parent_id"] == ids["first"]
    assert comments[ids["first"]]["body_md"] == "I can do Monday and Friday."
    revisions = [(r["target_type"], r["target_id"], r["number"]) for r in data(archive, "revisions")]
    assert ("comment", ids["first"], 2) in revisions and ("document", ids["document"], 1) in revisions

    (document,) = data(archive, "documents")
    assert (document["title"], document["folder"]) == ("3월 회의록", "회의록/2026")
    tags = {t["id"]: t["name"] for t in data(archive, "tags")}
    assert [tags[row["tag_id"]] for row in data(archive, "thread_tags")] == ["kitchen"]
    assert [tags[row["tag_id"]] for row in data(archive, "document_tags")] == ["minutes"]
    assert [(r["kind"], r["target_id"]) for r in data(archive, "reactions")] == [("thanks", ids["first"])]
    assert {e["kind"] for e in data(archive, "events")} >= {"group.created", "thread.started", "comment.added"}

    members = {m["handle"]: m for m in data(archive, "members")}
    assert {h: m["role"] for h, m in members.items()} == {"coopadmin": "admin", "coopfac": "facilitator",
                                                         "coopmember": "member"}
    assert members["coopmember"]["capacity_percent"] == 100 and members["coopmember"]["left_at"] is None
    assert members["coopmember"]["display_name"] == "Coopmember" and members["coopmember"]["joined_at"]
    assert {p["handle"] for p in data(archive, "people")} == {"coopadmin", "coopfac", "coopmember"}
    invitations = data(archive, "invitations")
    assert len(invitations) == 3  # two that brought the cast in, one still open
    assert all("token_hash" not in i and i["role"] in ("member", "facilitator") for i in invitations)

    manifest = json.loads(archive.read("data/export.json"))
    assert manifest["format"] == "canoe-archive" and manifest["version"] == 1
    assert manifest["rows"]["comments"] == 5 and manifest["rows"]["threads"] == 2


def test_no_emails_password_hashes_or_tokens_leave(filled, app):
    scene, _ids = filled
    archive = unzip(download(scene)[1])
    with scene.ctx():
        secrets_ = [u.password_hash for u in (scene.user(r) for r in ("admin", "facilitator", "member", "outsider"))]
        secrets_ += list(db.session.scalars(select(LoginSession.key_hash)))
        secrets_ += list(db.session.scalars(select(Invitation.token_hash)))
    assert len(secrets_) > 4  # the admin's sign-in is among them
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8", "replace")
        assert "@example.org" not in text, name
        assert not any(secret in text for secret in secrets_), name
        for key in ("email", "password_hash", "key_hash", "token_hash"):
            assert f'"{key}"' not in text, (name, key)
    assert set(data(archive, "people")[0]) == {"id", "display_name", "handle", "created_at"}


def test_attached_files_are_in_the_zip_once_by_hash(filled):
    scene, _ids = filled
    archive = unzip(download(scene)[1])
    attachments = {a["filename"]: a for a in data(archive, "attachments")}
    assert set(attachments) == {"rota.csv", "스캔 1.pdf"}
    assert archive.read(f"files/{attachments['rota.csv']['sha256']}") == b"mon,tue\nminji,sam\n"
    assert archive.read(f"files/{attachments['스캔 1.pdf']['sha256']}") == b"%PDF-1.4 scan"
    assert len([n for n in archive.namelist() if n.startswith("files/")]) == 2


def test_removed_files_are_listed_but_their_bytes_stay_out(filled):
    scene, ids = filled
    scene.client("member").post(f"/attachments/{_attachment_id(scene, 'rota.csv')}/remove")
    archive = unzip(download(scene)[1])
    removed = next(a for a in data(archive, "attachments") if a["filename"] == "rota.csv")
    assert removed["deleted_at"] is not None
    assert f"files/{removed['sha256']}" not in archive.namelist()


def _attachment_id(scene, filename):
    with scene.ctx():
        return db.session.scalar(select(Attachment.id).where(Attachment.filename == filename))


def test_markdown_files_read_like_the_conversation(filled):
    scene, ids = filled
    archive = unzip(download(scene)[1])
    names = archive.namelist()
    assert f"markdown/threads/{ids['thread']}-kitchen-rota.md" in names
    assert not any(n.startswith(f"markdown/threads/{ids['secret']}-") for n in names)  # deleted: JSON only

    text = archive.read(f"markdown/threads/{ids['thread']}-kitchen-rota.md").decode()
    assert text.startswith("# Kitchen rota\n")
    assert "Started by Coopmember (@coopmember), " in text and "KST" in text
    assert "#kitchen" in text
    assert "Who cleans the kitchen **this** week?" in text
    sha = next(a["sha256"] for a in data(archive, "attachments") if a["filename"] == "rota.csv")
    assert f"- [rota.csv](../../files/{sha}) (1 KB)" in text
    assert "## 4 replies" in text
    assert "> **Coopfac (@coopfac)** · " in text and "> I can do Monday and Friday." in text
    assert "> > **Coopmember (@coopmember)**" in text and "> > Thanks! I take Tuesday." in text
    assert "> > > **Coopadmin (@coopadmin)**" in text and "> > > Wednesday is mine." in text
    # Deeper than three levels: shown at the third, saying whom it answers, as on the page.
    assert "↪ replying to @coopadmin" in text and "> > > Deep reply." in text
    assert "Oops, wrong thread." not in text  # deleted, without replies
    # In reading order: each reply right after what it answers.
    order = [text.index(s) for s in ("I can do Monday", "I take Tuesday", "Wednesday is mine", "Deep reply")]
    assert order == sorted(order)


def _as_on_the_page(page: str, bodies: dict[int, str]) -> list[tuple[int, str]]:
    """(depth, words or "deleted") of each comment the thread page shows, in page order."""
    return [(depth_of(page, cid), "deleted" if "This comment was deleted." in comment_block(page, cid) else bodies[cid])
            for cid in comment_ids_on(page)]


def _as_in_the_export(text: str) -> list[tuple[int, str]]:
    """(quote depth, words or "deleted") of each reply in a thread's markdown, in file order."""
    replies = text.split(" replies\n\n", 1)[1].strip().split("\n\n")
    shown = []
    for reply in replies:
        lines = reply.splitlines()  # a placeholder is one line; a reply its head, a blank, its words
        head, words = lines[0], lines[-1]
        depth = len(re.match(r"(> )*", head).group(0)) // 2
        shown.append((depth, "deleted" if "This comment was deleted." in head else words[2 * depth:]))
    return shown


def test_the_export_and_the_thread_page_show_the_same_replies_and_placeholders(private):
    """One tree for both: a deleted comment stays as a placeholder only while a reply that is
    still shown hangs under it, deep replies sit at the third level, in the page's order."""
    s = private
    thread = s.thread()
    bodies: dict[int, str] = {}

    def say(words, parent=None, who="member"):
        bodies[cid := s.comment(thread, who, words, parent)] = words
        return cid

    gone_with_reply = say("Gone but answered.")
    say("An answer that stays.", gone_with_reply, "facilitator")
    gone_with_gone_reply = say("Gone, and so is its answer.")
    gone_reply = say("A gone answer.", gone_with_gone_reply, "facilitator")
    kept = say("Kept, its answer gone.")
    kept_gone_reply = say("Another gone answer.", kept, "admin")
    one = say("Level one.")
    two = say("Level two.", one, "facilitator")
    three = say("Level three, gone.", two, "admin")
    say("Level four.", three)
    for cid in (gone_with_reply, gone_reply, gone_with_gone_reply, kept_gone_reply, three):
        s.delete_comment(cid, author="admin")

    page = s.client("admin").get(f"/t/{thread}").text
    text = unzip(download(s)[1]).read(f"markdown/threads/{thread}-kitchen-rota.md").decode()

    on_the_page = _as_on_the_page(page, bodies)
    assert on_the_page == [
        (1, "deleted"), (2, "An answer that stays."), (1, "Kept, its answer gone."),
        (1, "Level one."), (2, "Level two."), (3, "deleted"), (3, "Level four."),
    ]
    assert _as_in_the_export(text) == on_the_page


def test_documents_are_filed_in_their_folders(filled):
    scene, ids = filled
    archive = unzip(download(scene)[1])
    path = f"markdown/documents/회의록/2026/{ids['document']}-3월-회의록.md"
    assert path in archive.namelist()
    text = archive.read(path).decode()
    assert text.startswith("# 3월 회의록\n")
    assert "Folder: 회의록/2026" in text and "Version 1" in text and "#minutes" in text
    assert "## 참석\n\n민지, 샘" in text
    sha = next(a["sha256"] for a in data(archive, "attachments") if a["filename"] == "스캔 1.pdf")
    assert f"[스캔 1.pdf](../../../../files/{sha})" in text  # relative to the document's folder


def test_the_readme_explains_the_layout_and_anonymity(filled):
    scene, _ids = filled
    text = unzip(download(scene)[1]).read("README.txt").decode()
    for part in ("markdown/", "data/", "files/", "Coop Co-op"):
        assert part in text
    assert "Anonymous votes are exported without their voters" in text


def test_exporting_changes_nothing(filled):
    scene, _ids = filled
    before = scene.counts()
    download(scene)
    assert scene.counts() == before


def test_a_table_can_leave_fields_out_row_by_row(filled, monkeypatch):
    """How anonymous records stay anonymous: LEAVE_OUT names fields, or a function of the row does."""
    scene, ids = filled
    monkeypatch.setitem(export.LEAVE_OUT, "comments",
                        lambda row: {"author_id"} if row["parent_id"] is not None else set())
    comments = {c["id"]: c for c in data(unzip(download(scene)[1]), "comments")}
    assert "author_id" in comments[ids["first"]]
    assert "author_id" not in comments[ids["second"]]


def test_file_names_of_titles_keep_hangul_and_stay_inside_the_zip():
    assert export.slug("Kitchen rota: who & when?", "thread") == "kitchen-rota-who-when"
    assert export.slug("3월 회의록", "thread") == "3월-회의록"
    assert export.slug("!!!", "thread") == "thread"
    assert export._folder_path("../../etc/./passwd") == ["etc", "passwd"]
    assert export._folder_path("회의록 / 2026") == ["회의록", "2026"]


# ---------------------------------------------------------------- streamed, flat memory


def _add_threads(scene, threads, replies=50, size=2000):
    """Threads full of long replies, written straight into the tables (fast)."""
    with scene.ctx():
        author = scene.user("member").id
        now = datetime.now(timezone.utc)
        first = (db.session.scalar(select(func.max(Thread.id))) or 0) + 1
        db.session.execute(insert(Thread), [
            {"id": first + i, "group_id": scene.group_id, "author_id": author, "title": f"Thread {first + i}",
             "body_md": "Body", "body_html": "<p>Body</p>", "created_at": now, "last_activity_at": now,
             "comment_count": replies}
            for i in range(threads)
        ])
        for thread_id in range(first, first + threads):
            bodies = [secrets.token_hex(size // 2) for _ in range(replies)]
            db.session.execute(insert(Comment), [
                {"thread_id": thread_id, "author_id": author, "body_md": body, "body_html": f"<p>{body}</p>",
                 "created_at": now}
                for body in bodies
            ])
        db.session.commit()
        return db.session.scalar(select(func.count()).select_from(Comment))


def _measured_export(scene, path) -> tuple[int, int, int]:
    """(chunks, bytes, peak traced memory) of one export, read through the test client."""
    response = scene.client("admin").post(f"/g/{scene.slug}/export")
    assert response.is_streamed
    chunks, total = 0, 0
    with path.open("wb") as out:
        tracemalloc.start()
        try:
            for chunk in response.response:
                out.write(chunk)
                chunks, total = chunks + 1, total + len(chunk)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            response.close()
    return chunks, total, peak


def test_a_big_group_streams_in_many_chunks_with_flat_memory(private, monkeypatch, tmp_path):
    """Twice the replies make a zip twice as large, not a process twice as large."""
    monkeypatch.setattr(export, "BATCH", 50)
    monkeypatch.setattr(export, "THREAD_BATCH", 5)
    _add_threads(private, 2, replies=5)
    _measured_export(private, tmp_path / "warm.zip")  # first use fills SQLAlchemy's statement caches
    assert _add_threads(private, 18) == 910
    chunks, total, peak = _measured_export(private, tmp_path / "small.zip")
    assert _add_threads(private, 20) == 1910
    big_chunks, big_total, big_peak = _measured_export(private, tmp_path / "big.zip")

    assert total > 2_000_000 and big_total > 1.8 * total
    assert chunks > 10 and big_chunks > 1.8 * chunks
    assert big_peak < peak * 1.2, f"peak memory grew from {peak} to {big_peak} bytes"
    assert big_peak < big_total / 2
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        assert len(json.loads(archive.read("data/comments.json"))) == 1910
        assert len([n for n in archive.namelist() if n.startswith("markdown/threads/")]) == 40


def test_the_generator_yields_as_it_goes(filled, monkeypatch):
    """Even a small group's zip comes in more than one piece: it is never built whole first."""
    scene, _ids = filled
    monkeypatch.setattr(export, "FLUSH_AT", 1)
    with scene.ctx():
        group = scene.group()
        pieces = list(export.stream(group))
    assert len(pieces) > 10
    assert zipfile.ZipFile(io.BytesIO(b"".join(pieces))).testzip() is None


def test_nothing_is_recorded_on_the_timeline(filled):
    scene, _ids = filled
    before = scene.count(Event)
    download(scene)
    assert scene.count(Event) == before


def test_a_document_without_folder_sits_at_the_top(private):
    document_id = private.document(title="Handbook")
    archive = unzip(download(private)[1])
    assert f"markdown/documents/{document_id}-handbook.md" in archive.namelist()
    assert private.count(Document) == 1
