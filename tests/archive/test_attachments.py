"""Attachments: what we take, how we keep it, and who may download it.

A refused file (too large, a type we don't take, an image that isn't one) leaves nothing
behind: neither the post nor any bytes on disk. Files are kept once per content hash and
served only after the group's permission check, downloaded unless they are safe images.
"""
import hashlib
import io
import re
import struct
import unicodedata
import zlib
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.archive import attachments as archive_attachments
from app.archive import documents, files
from app.archive.models import Attachment, Comment, Document, Thread
from app.core.extensions import db
from tests.archive.archive_helpers import HX, counting_queries, private, public  # noqa: F401 (fixtures)


def png(width=1, height=1) -> bytes:
    """A real PNG image."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.4\n% minutes\n"


def upload(data: bytes, name: str, content_type: str | None = None):
    """A file as the test client sends it in a form."""
    return (io.BytesIO(data), name, content_type) if content_type else (io.BytesIO(data), name)


def stored_files(app) -> list[Path]:
    """Every file under the attachment store, temporary ones included."""
    root = Path(app.instance_path) / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attachments(scene, *criteria) -> list[Attachment]:
    with scene.ctx():
        rows = list(db.session.scalars(select(Attachment).where(*criteria).order_by(Attachment.id)))
        db.session.expunge_all()
        return rows


def start_thread(scene, *uploads, who="member", title="Minutes", body="Notes from Monday."):
    return scene.client(who).post(
        f"/g/{scene.slug}/threads/new", data={"title": title, "body": body, "tags": "", "files": list(uploads)},
        content_type="multipart/form-data",
    )


def thread_with_files(scene, *named: tuple[bytes, str], who="member") -> tuple[int, list[Attachment]]:
    """A thread with these files, made through the service; returns its id and its attachments."""
    with scene.ctx():
        thread = archive_attachments.start_thread_with_files(
            scene.user(who), scene.group(), "Minutes", "Notes from Monday.", [],
            [FileStorage(io.BytesIO(data), filename=name) for data, name in named],
        )
        thread_id = thread.id
    return thread_id, attachments(scene, Attachment.target_type == "thread", Attachment.target_id == thread_id)


def comment_with_files(scene, thread_id, *named: tuple[bytes, str], who="member") -> tuple[int, list[Attachment]]:
    with scene.ctx():
        comment = archive_attachments.add_comment_with_files(
            scene.user(who), db.session.get(Thread, thread_id), "Here it is.", None,
            [FileStorage(io.BytesIO(data), filename=name) for data, name in named],
        )
        comment_id = comment.id
    return comment_id, attachments(scene, Attachment.target_type == "comment", Attachment.target_id == comment_id)


def url(attachment: Attachment) -> str:
    return f"/files/{attachment.id}/{attachment.filename}"


def get(client, path):
    """GET that reads the body and closes the file behind it."""
    response = client.get(path, buffered=True)
    response.close()
    return response


# ---------------------------------------------------------------- uploading and storing


def test_a_member_starts_a_thread_with_files_kept_under_their_content_hash(private, app):
    image, minutes = png(), "월요일 회의록\n".encode()
    response = start_thread(private, upload(image, "사진 1.png"), upload(minutes, "회의록 3월.txt"))
    assert response.status_code == 302
    thread_id = int(re.fullmatch(r"/t/(\d+)", response.location).group(1))
    rows = attachments(private, Attachment.target_type == "thread", Attachment.target_id == thread_id)
    assert [(a.filename, a.content_type, a.size) for a in rows] == [
        ("사진 1.png", "image/png", len(image)),
        ("회의록 3월.txt", "text/plain", len(minutes)),
    ]
    assert all(a.uploader_id == private.cast.member.id and a.group_id == private.group_id for a in rows)
    for row, data in zip(rows, (image, minutes)):
        digest = hashlib.sha256(data).hexdigest()
        assert row.sha256 == digest
        path = Path(app.instance_path) / "attachments" / digest[:2] / digest[2:4] / digest
        assert path.read_bytes() == data
    assert len(stored_files(app)) == 2  # no temporary files left behind


def test_identical_files_are_stored_once(private, app):
    thread_id, (first,) = thread_with_files(private, (PDF, "budget.pdf"))
    _comment_id, (second,) = comment_with_files(private, thread_id, (PDF, "budget copy.pdf"), who="facilitator")
    assert first.sha256 == second.sha256 and first.id != second.id
    assert len(stored_files(app)) == 1


def test_the_type_is_ours_from_the_extension_never_the_browsers(private):
    thread_id, rows = thread_with_files(private, (b"plain words", "notes.TXT"))
    response = start_thread(private, upload(b"a,b\n1,2\n", "sheet.csv", "text/html"))
    assert response.status_code == 302
    assert rows[0].content_type == "text/plain"
    (csv,) = attachments(private, Attachment.filename == "sheet.csv")
    assert csv.content_type == "text/csv"


def test_every_allowed_kind_is_taken(private):
    samples = {"png": png(), "jpg": JPEG, "jpeg": JPEG, "gif": GIF, "webp": WEBP, "pdf": PDF}
    named = [(samples.get(ext, b"PK\x03\x04 or text"), f"file.{ext}") for ext in files.EXTENSIONS]
    first, second = named[:files.MAX_FILES], named[files.MAX_FILES:]
    _tid, rows = thread_with_files(private, *first)
    _tid, more = thread_with_files(private, *second)
    assert sorted(a.filename for a in rows + more) == sorted(name for _data, name in named)


def test_file_names_keep_hangul_and_spaces_but_lose_paths_and_control_characters():
    assert files.clean_filename("../../etc/회의록 3월.txt") == "회의록 3월.txt"
    assert files.clean_filename("C:\\Users\\민지\\예산  초안.xlsx") == "예산 초안.xlsx"
    assert files.clean_filename("bad\x00name\x1f\x7f.pdf") == "badname.pdf"
    assert files.clean_filename("invoice\u202efdp.exe") == "invoicefdp.exe"  # no right-to-left tricks
    assert files.clean_filename("  spaced   out  .md ") == "spaced out .md"
    assert files.clean_filename("한글") == "한글"
    assert files.clean_filename(unicodedata.normalize("NFD", "회의록.pdf")) == "회의록.pdf"  # as macOS sends it
    long = files.clean_filename("가" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_an_empty_file_field_attaches_nothing(private):
    response = start_thread(private, upload(b"", ""))
    assert response.status_code == 302
    assert attachments(private) == []


# ---------------------------------------------------------------- refusals change nothing


def test_a_file_over_the_limit_is_refused_and_nothing_is_saved(private, app):
    app.config["CANOE_UPLOAD_MAX_BYTES"] = 1000
    before = private.counts()
    response = start_thread(private, upload(b"small", "ok.txt"), upload(b"x" * 1001, "big.txt"))
    assert response.status_code == 422
    assert "big.txt is too large: a file may be at most 1 KB." in response.text
    assert private.counts() == before
    assert attachments(private) == []
    assert stored_files(app) == []


def test_the_limit_is_ten_megabytes_unless_configured(app):
    assert app.config["CANOE_UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["CANOE_UPLOAD_MAX_BYTES"]


@pytest.mark.parametrize("csrf", [False, True])
def test_a_request_over_the_request_limit_gets_the_413_page(private, app, csrf):
    client = private.client("member")
    app.config["MAX_CONTENT_LENGTH"] = 5000
    app.config["WTF_CSRF_ENABLED"] = csrf  # the CSRF check reads the form first: still a 413, never a 500
    before = private.counts()
    response = client.post(f"/g/{private.slug}/threads/new", content_type="multipart/form-data",
                           data={"title": "Big", "body": "Text", "files": [upload(b"x" * 10_000, "huge.txt")]})
    assert response.status_code == 413
    assert "That upload is too large." in response.text
    assert private.counts() == before
    assert stored_files(app) == []


@pytest.mark.parametrize("data, name, message", [
    (b"MZ\x90\x00 a program", "setup.exe", "setup.exe: we don't take this kind of file."),
    (b"<script>alert(1)</script>", "page.html", "page.html: we don't take this kind of file."),
    (b"<html><body>hi</body></html>", "page.htm", "page.htm: we don't take this kind of file."),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", "logo.svg: we don't take"),
    (b"no extension at all", "README", "README: we don't take this kind of file."),
    (b"<script>alert(1)</script>", "photo.png", "photo.png doesn't look like the image its name says it is."),
    (png(), "photo.jpg", "photo.jpg doesn't look like the image its name says it is."),
    (b"GIF00a not really", "moving.gif", "moving.gif doesn't look like the image"),
    (b"", "empty.txt", "empty.txt is empty."),
])
def test_a_refused_file_is_explained_and_nothing_is_saved(private, app, data, name, message):
    thread_id = private.thread()
    before = private.counts()
    for response in (
        start_thread(private, upload(b"fine", "fine.txt"), upload(data, name)),
        private.client("member").post(f"/t/{thread_id}/comments", data={"body": "See attached", "files": [upload(data, name)]},
                                      content_type="multipart/form-data"),
        private.client("member").post(f"/g/{private.slug}/docs/new", content_type="multipart/form-data",
                                      data={"title": "Policy", "folder": "", "body": "Text", "tags": "",
                                            "files": [upload(data, name)]}),
    ):
        assert response.status_code == 422
        assert str(escape(message)) in response.text
    assert private.counts() == before
    assert attachments(private) == []
    assert stored_files(app) == []


def test_a_file_name_in_a_message_is_shown_as_text(private):
    response = start_thread(private, upload(b"x", "<img src=x onerror=alert(1)>.exe"))
    assert response.status_code == 422
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;.exe: we don&#39;t take this kind of file." in response.text


def test_a_refused_reply_with_htmx_shows_the_message_in_the_reply_box(private):
    thread_id = private.thread()
    response = private.client("member").post(
        f"/t/{thread_id}/comments", headers=HX, content_type="multipart/form-data",
        data={"body": "See attached", "files": [upload(b"<svg/>", "x.svg")]},
    )
    assert response.status_code == 422
    assert "x.svg: we don" in response.text and 'aria-invalid="true"' in response.text
    assert private.count(Comment) == 0


def test_more_than_ten_files_at_once_are_refused(private, app):
    response = start_thread(private, *[upload(f"file {i}".encode(), f"{i}.txt") for i in range(11)])
    assert response.status_code == 422
    assert "Attach at most 10 files at a time." in response.text
    assert private.count(Thread) == 0 and stored_files(app) == []


def test_a_refused_post_takes_its_new_files_back(private, app):
    """The files pass, the post doesn't (eleven tags): the bytes written for it are removed."""
    before = private.counts()
    response = start_thread(private, upload(png(), "ok.png"))
    assert response.status_code == 302
    kept = stored_files(app)
    response = private.client("member").post(
        f"/g/{private.slug}/threads/new", content_type="multipart/form-data",
        data={"title": "Tags", "body": "Many", "tags": " ".join(f"t{i}" for i in range(11)),
              "files": [upload(png(), "again.png"), upload(b"new bytes", "new.txt")]},
    )
    assert response.status_code == 422
    assert stored_files(app) == kept  # the shared image stays; the new text file is gone
    assert private.count(Thread) == before["Thread"] + 1


def test_a_failing_disk_leaves_neither_post_nor_half_written_file(private, app, monkeypatch):
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken)
    with private.ctx(), pytest.raises(OSError):
        archive_attachments.start_thread_with_files(private.user("member"), private.group(), "Minutes", "Text", [],
                                         [FileStorage(io.BytesIO(b"minutes"), filename="m.txt")])
    assert private.count(Thread) == 0
    assert stored_files(app) == []


def test_only_members_attach_files(public):
    thread_id = public.thread()
    response = public.client("outsider").post(
        f"/t/{thread_id}/comments", data={"body": "Hi", "files": [upload(b"x", "x.txt")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert attachments(public) == []


# ---------------------------------------------------------------- editing and replying


def test_editing_a_thread_or_document_adds_files(private):
    thread_id = private.thread()
    response = private.client("member").post(
        f"/t/{thread_id}/edit", content_type="multipart/form-data",
        data={"title": "Kitchen rota", "body": "Who cleans the kitchen this week?", "tags": "",
              "files": [upload(b"rota", "rota.csv")]},
    )
    assert response.status_code == 302
    assert [a.filename for a in attachments(private, Attachment.target_type == "thread")] == ["rota.csv"]

    document_id = private.document()
    response = private.client("facilitator").post(
        f"/d/{document_id}/edit", content_type="multipart/form-data",
        data={"title": "Handbook", "folder": "", "body": "# Welcome\n\nHow we work.", "tags": "",
              "files": [upload(PDF, "handbook.pdf")]},
    )
    assert response.status_code == 302
    (row,) = attachments(private, Attachment.target_type == "document")
    assert (row.filename, row.target_id, row.uploader_id) == ("handbook.pdf", document_id, private.cast.facilitator.id)


def test_a_new_document_with_files(private):
    response = private.client("member").post(
        f"/g/{private.slug}/docs/new", content_type="multipart/form-data",
        data={"title": "Budget", "folder": "Money", "body": "See the sheet.", "tags": "",
              "files": [upload(b"PK\x03\x04", "예산.xlsx")]},
    )
    assert response.status_code == 302
    document_id = int(response.location.rsplit("/", 1)[-1])
    (row,) = attachments(private, Attachment.target_type == "document", Attachment.target_id == document_id)
    page = private.client("member").get(response.location).text
    assert f'href="/files/{row.id}/%EC%98%88%EC%82%B0.xlsx" download' in page and "예산.xlsx</span>" in page


def test_a_reply_with_a_file_without_and_with_htmx(private):
    thread_id = private.thread()
    response = private.client("member").post(
        f"/t/{thread_id}/comments", data={"body": "Photo of the shelf", "files": [upload(png(), "shelf.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = private.client("facilitator").post(
        f"/t/{thread_id}/comments", headers=HX, content_type="multipart/form-data",
        data={"body": "And the receipt", "files": [upload(PDF, "receipt.pdf")]},
    )
    assert response.status_code == 200
    assert "receipt.pdf" in response.text
    assert [a.filename for a in attachments(private, Attachment.target_type == "comment")] == ["shelf.png", "receipt.pdf"]


def test_the_forms_upload_as_multipart_with_a_labelled_file_field(private):
    thread_id = private.thread()
    client = private.client("member")
    for path in (f"/g/{private.slug}/threads/new", f"/g/{private.slug}/docs/new", f"/t/{thread_id}"):
        page = client.get(path).text
        assert 'enctype="multipart/form-data"' in page, path
        field = re.search(r'<input[^>]*type="file"[^>]*>', page).group(0)
        assert 'name="files"' in field and "multiple" in field
        field_id = re.search(r'id="([^"]+)"', field).group(1)
        assert f'<label for="{field_id}">' in page


# ---------------------------------------------------------------- serving


def test_images_show_inline_and_other_files_download(private):
    _tid, (image, text, pdf) = thread_with_files(private, (png(), "사진.png"), (b"hello", "회의록.txt"), (PDF, "a.pdf"))
    client = private.client("member")

    response = get(client, url(image))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.data == png()

    response = get(client, url(text))
    assert response.headers["Content-Type"].startswith("text/plain")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''%ED%9A%8C%EC%9D%98%EB%A1%9D.txt" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"

    response = get(client, url(pdf))
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=a.pdf"
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("outsider", 404), ("member", 200), ("facilitator", 200),
                                         ("admin", 200)])
def test_a_private_groups_file_is_invisible_to_outsiders(private, who, status):
    _tid, (attachment,) = thread_with_files(private, (b"secret minutes", "minutes.txt"))
    response = get(private.client(who), url(attachment))
    assert response.status_code == status
    if status != 200:
        assert b"secret minutes" not in response.data
    if who == "anonymous":  # sent to log in and come back, exactly as for a file that doesn't exist
        assert response.location == f"/login?next={url(attachment)}"
        missing = get(private.client(who), f"/files/{attachment.id + 1000}/minutes.txt")
        assert missing.status_code == 302 and missing.location.startswith("/login?next=")


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member"])
def test_a_public_groups_file_is_readable_by_anyone(public, who):
    thread_id, _rows = thread_with_files(public, (b"open minutes", "minutes.txt"))
    _cid, (attachment,) = comment_with_files(public, thread_id, (png(), "photo.png"))
    response = get(public.client(who), url(attachment))
    assert response.status_code == 200 and response.data == png()


def test_an_unknown_file_is_404(private):
    assert get(private.client("member"), "/files/999/nothing.txt").status_code == 404


def test_removed_files_and_files_of_deleted_posts_are_404(private):
    thread_id, (on_thread,) = thread_with_files(private, (b"one", "one.txt"))
    comment_id, (on_comment,) = comment_with_files(private, thread_id, (b"two", "two.txt"))
    other_thread, (on_other,) = thread_with_files(private, (b"three", "three.txt"))
    client = private.client("admin")
    assert get(client, url(on_comment)).status_code == 200

    private.delete_comment(comment_id)
    assert get(client, url(on_comment)).status_code == 404
    assert get(client, url(on_thread)).status_code == 200

    response = private.client("member").post(f"/attachments/{on_thread.id}/remove")
    assert response.status_code == 302 and response.location == f"/t/{thread_id}"
    assert get(client, url(on_thread)).status_code == 404
    assert attachments(private, Attachment.id == on_thread.id)[0].deleted_at is not None  # kept for the record

    private.delete_thread(other_thread)
    assert get(client, url(on_other)).status_code == 404


def test_a_deleted_documents_file_is_404(private):
    document_id = private.document()
    with private.ctx():
        archive_attachments.edit_document_with_files(private.user("member"), db.session.get(Document, document_id), "Handbook",
                                          "Text", "", None, [FileStorage(io.BytesIO(PDF), filename="h.pdf")])
        documents.delete_document(private.user("member"), db.session.get(Document, document_id))
    (row,) = attachments(private)
    assert get(private.client("member"), url(row)).status_code == 404


@pytest.mark.parametrize("who, status", [("member", 302), ("admin", 302), ("facilitator", 403), ("outsider", 404),
                                         ("anonymous", 302)])
def test_the_uploader_or_an_admin_removes_a_file(private, who, status):
    thread_id, (attachment,) = thread_with_files(private, (b"one", "one.txt"), who="member")
    response = private.client(who).post(f"/attachments/{attachment.id}/remove")
    assert response.status_code == status
    removed = attachments(private)[0].deleted_at is not None
    assert removed == (who in ("member", "admin"))
    if who == "anonymous":
        assert "/login" in response.location


def test_removing_a_file_on_a_comment_returns_to_the_comment(private):
    thread_id = private.thread()
    comment_id, (attachment,) = comment_with_files(private, thread_id, (b"x", "x.txt"))
    response = private.client("member").post(f"/attachments/{attachment.id}/remove")
    assert response.location.endswith(f"#comment-{comment_id}")


# ---------------------------------------------------------------- showing


def test_the_thread_page_lists_files_with_sizes_thumbnails_and_remove_buttons(private):
    thread_id, (image, sheet) = thread_with_files(private, (png(), "shelf.png"), (b"x" * 3000, "rota.csv"))
    _cid, (big,) = comment_with_files(private, thread_id, (b"y" * (2 * 1024 * 1024 + 200_000), "scan.pdf"),
                                      who="facilitator")
    page = private.client("member").get(f"/t/{thread_id}").text
    assert f'<img class="thumb" src="/files/{image.id}/shelf.png"' in page
    assert f'href="/files/{sheet.id}/rota.csv" download' in page
    assert "3 KB" in page and "2.2 MB" in page
    # The member removes their own files, not the facilitator's; an admin removes any.
    assert f"/attachments/{image.id}/remove" in page and f"/attachments/{big.id}/remove" not in page
    admin_page = private.client("admin").get(f"/t/{thread_id}").text
    assert all(f"/attachments/{a.id}/remove" in admin_page for a in (image, sheet, big))
    visitor = private.client("facilitator").get(f"/t/{thread_id}").text
    assert f"/attachments/{image.id}/remove" not in visitor and f"/attachments/{big.id}/remove" in visitor


def test_a_removed_file_is_no_longer_listed(private):
    thread_id, (attachment,) = thread_with_files(private, (b"one", "gone.txt"))
    private.client("member").post(f"/attachments/{attachment.id}/remove")
    assert "gone.txt" not in private.client("member").get(f"/t/{thread_id}").text


def test_the_document_page_lists_its_files(private):
    document_id = private.document()
    with private.ctx():
        archive_attachments.edit_document_with_files(private.user("member"), db.session.get(Document, document_id), "Handbook",
                                          "Text", "", None, [FileStorage(io.BytesIO(png()), filename="map.png")])
    (row,) = attachments(private)
    page = private.client("facilitator").get(f"/d/{document_id}").text
    assert f'src="/files/{row.id}/map.png"' in page
    assert f"/attachments/{row.id}/remove" not in page  # not theirs, not an admin


def test_the_thread_page_query_count_does_not_grow_with_files(private, app):
    def queries(thread_id):
        client = private.client("member")
        client.get(f"/t/{thread_id}")  # first visit marks read; count a steady second one
        with counting_queries(app) as statements:
            assert client.get(f"/t/{thread_id}").status_code == 200
        return len(statements)

    few, _rows = thread_with_files(private, (b"1", "1.txt"))
    private.comment(few)
    many, _rows = thread_with_files(private, *[(f"{i}".encode(), f"{i}.txt") for i in range(8)])
    for i in range(6):
        comment_with_files(private, many, (f"c{i}".encode(), f"c{i}.txt"), (png(), f"c{i}.png"))
    assert queries(few) == queries(many)
