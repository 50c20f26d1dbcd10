"""Bad input on every archive form: a clear message, a 4xx status, and nothing saved.

The text limit is set to 100 characters (CANOE_MAX_TEXT) so "too long" stays cheap.
"""
import pytest

from app.archive.models import Tag
from tests.archive.archive_helpers import HX, WRITTEN, ArchiveScene
from tests.archive.archive_helpers import private as private  # noqa: F401 (fixture)

LIMIT = 100
TOO_LONG = "x" * (LIMIT + 1)
TITLE_TOO_LONG = "t" * 201
ELEVEN_TAGS = " ".join(f"tag{i}" for i in range(11))

THREAD = {"title": "Kitchen", "body": "Who cleans?", "tags": ""}
DOCUMENT = {"title": "Handbook", "body": "How we work", "folder": "", "tags": ""}


@pytest.fixture
def strict(private, make_app):
    """The same group on an app whose text limit is 100 characters."""
    return ArchiveScene(make_app(CANOE_MAX_TEXT=LIMIT), private.cast)


@pytest.fixture
def things(strict):
    """An open thread with a comment and a deleted comment, another thread, a closed one, a document."""
    thread = strict.thread(author="member")
    comment = strict.comment(thread, "member", "Here")
    deleted = strict.comment(thread, "member", "Gone")
    strict.delete_comment(deleted)
    other = strict.thread(author="member", title="Other")
    elsewhere = strict.comment(other, "member", "Elsewhere")
    closed = strict.thread(author="member", title="Closed")
    strict.close(closed)
    document = strict.document(author="member")
    return {"T": thread, "C": comment, "X": deleted, "O": other, "E": elsewhere, "Z": closed, "D": document,
            "slug": strict.slug}


def with_(base, **changes):
    return {**base, **changes}


# name: (url, form data, headers, status, message shown)
CASES = {
    # starting a thread
    "thread without a title": ("/g/{slug}/threads/new", with_(THREAD, title=""), {}, 422, "Give it a title."),
    "thread with a blank title": ("/g/{slug}/threads/new", with_(THREAD, title="   "), {}, 422, "Give it a title."),
    "thread without a body": ("/g/{slug}/threads/new", with_(THREAD, body=""), {}, 422, "Write something first."),
    "thread with a blank body": ("/g/{slug}/threads/new", with_(THREAD, body=" \n\t "), {}, 422, "Write something first."),
    "thread body over the limit": ("/g/{slug}/threads/new", with_(THREAD, body=TOO_LONG), {}, 422,
                                   "That is too long: keep it under 100 characters."),
    "thread title over 200": ("/g/{slug}/threads/new", with_(THREAD, title=TITLE_TOO_LONG), {}, 422,
                              "A title is at most 200 characters."),
    "thread with too many tags": ("/g/{slug}/threads/new", with_(THREAD, tags=ELEVEN_TAGS), {}, 422,
                                  "Use at most 10 tags."),
    "thread with a tag over 40": ("/g/{slug}/threads/new", with_(THREAD, tags="t" * 41), {}, 422,
                                  "A tag is at most 40 characters."),
    "thread with a huge tags field": ("/g/{slug}/threads/new", with_(THREAD, tags="ab " * 150), {}, 422,
                                      "That is too many tags."),
    # editing a thread
    "thread edit without a body": ("/t/{T}/edit", with_(THREAD, body=""), {}, 422, "Write something first."),
    "thread edit over the limit": ("/t/{T}/edit", with_(THREAD, body=TOO_LONG), {}, 422,
                                   "That is too long: keep it under 100 characters."),
    "thread edit title over 200": ("/t/{T}/edit", with_(THREAD, title=TITLE_TOO_LONG), {}, 422,
                                   "A title is at most 200 characters."),
    "thread edit with too many tags": ("/t/{T}/edit", with_(THREAD, tags=ELEVEN_TAGS), {}, 422, "Use at most 10 tags."),
    "edit of an unknown thread": ("/t/987654/edit", THREAD, {}, 404, None),
    # commenting
    "empty comment": ("/t/{T}/comments", {"body": ""}, {}, 422, "Write something first."),
    "empty comment (htmx)": ("/t/{T}/comments", {"body": "  "}, HX, 422, "Write something first."),
    "comment over the limit": ("/t/{T}/comments", {"body": TOO_LONG}, {}, 422,
                               "That is too long: keep it under 100 characters."),
    "comment over the limit (htmx)": ("/t/{T}/comments", {"body": TOO_LONG}, HX, 422,
                                      "That is too long: keep it under 100 characters."),
    "reply to a comment of another thread": ("/t/{T}/comments", {"body": "Hi", "parent_id": "{E}"}, {}, 422,
                                             "You can only reply to a comment in this thread."),
    "reply to a comment of another thread (htmx)": ("/t/{T}/comments", {"body": "Hi", "parent_id": "{E}"}, HX, 422,
                                                    "You can only reply to a comment in this thread."),
    "reply to a deleted comment": ("/t/{T}/comments", {"body": "Hi", "parent_id": "{X}"}, {}, 422,
                                   "That comment was deleted; reply to the thread instead."),
    "reply to a missing comment": ("/t/{T}/comments", {"body": "Hi", "parent_id": "987654"}, {}, 422,
                                   "You can only reply to a comment in this thread."),
    "reply to comment zero": ("/t/{T}/comments", {"body": "Hi", "parent_id": "0"}, {}, 422,
                              "You can only reply to a comment in this thread."),
    "reply to a negative id": ("/t/{T}/comments", {"body": "Hi", "parent_id": "-1"}, HX, 422,
                               "You can only reply to a comment in this thread."),
    "reply to an id past INTEGER": ("/t/{T}/comments", {"body": "Hi", "parent_id": "3000000000"}, {}, 422,
                                    "You can only reply to a comment in this thread."),
    "reply to a huge id": ("/t/{T}/comments", {"body": "Hi", "parent_id": "99999999999999999999"}, {}, 422,
                           "You can only reply to a comment in this thread."),
    "parent id that is not a number": ("/t/{T}/comments", {"body": "Hi", "parent_id": "abc"}, {}, 422,
                                       "Not a valid integer value."),
    "parent id that is not a number (htmx)": ("/t/{T}/comments", {"body": "Hi", "parent_id": "abc"}, HX, 422,
                                              "Not a valid integer value."),
    "reply in a closed thread": ("/t/{Z}/comments", {"body": "Hi"}, {}, 422,
                                 "This thread is closed: it takes no new replies."),
    "comment on an unknown thread": ("/t/987654/comments", {"body": "Hi"}, {}, 404, None),
    # editing a comment
    "comment edit without a body": ("/c/{C}/edit", {"body": ""}, {}, 422, "Write something first."),
    "comment edit over the limit": ("/c/{C}/edit", {"body": TOO_LONG}, {}, 422,
                                    "That is too long: keep it under 100 characters."),
    "edit of an unknown comment": ("/c/987654/edit", {"body": "Hi"}, {}, 404, None),
    "delete of an unknown comment": ("/c/987654/delete", {}, {}, 404, None),
    # documents
    "document without a title": ("/g/{slug}/docs/new", with_(DOCUMENT, title=""), {}, 422, "Give it a title."),
    "document without a body": ("/g/{slug}/docs/new", with_(DOCUMENT, body=""), {}, 422, "Write something first."),
    "document over the limit": ("/g/{slug}/docs/new", with_(DOCUMENT, body=TOO_LONG), {}, 422,
                                "That is too long: keep it under 100 characters."),
    "document title over 200": ("/g/{slug}/docs/new", with_(DOCUMENT, title=TITLE_TOO_LONG), {}, 422,
                                "A title is at most 200 characters."),
    "document folder over 80": ("/g/{slug}/docs/new", with_(DOCUMENT, folder="f" * 81), {}, 422,
                                "A folder name is at most 80 characters."),
    "document with too many tags": ("/g/{slug}/docs/new", with_(DOCUMENT, tags=ELEVEN_TAGS), {}, 422,
                                    "Use at most 10 tags."),
    "document edit without a body": ("/d/{D}/edit", with_(DOCUMENT, body=""), {}, 422, "Write something first."),
    "document edit over the limit": ("/d/{D}/edit", with_(DOCUMENT, body=TOO_LONG), {}, 422,
                                     "That is too long: keep it under 100 characters."),
    "document edit title over 200": ("/d/{D}/edit", with_(DOCUMENT, title=TITLE_TOO_LONG), {}, 422,
                                     "A title is at most 200 characters."),
    "document edit with too many tags": ("/d/{D}/edit", with_(DOCUMENT, tags=ELEVEN_TAGS), {}, 422,
                                         "Use at most 10 tags."),
    "edit of an unknown document": ("/d/987654/edit", DOCUMENT, {}, 404, None),
    "delete of an unknown document": ("/d/987654/delete", {}, {}, 404, None),
    # reactions
    "a reaction that is not ours": ("/react/comment/{C}", {"kind": "angry"}, {}, 400, None),
    "a reaction to an unknown comment": ("/react/comment/987654", {"kind": "thanks"}, {}, 404, None),
}


def rows(scene) -> dict:
    return {**scene.counts(), "Tag": scene.count(Tag)}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_gets_a_clear_message_and_changes_nothing(strict, things, case):
    url, data, headers, status, message = CASES[case]
    data = {key: value.format(**things) if isinstance(value, str) else value for key, value in data.items()}
    client = strict.client("member")
    before = rows(strict)
    response = client.post(url.format(**things), data=data, headers=headers)
    assert response.status_code == status
    if message:
        assert message in response.text
        if headers:
            assert "<html" not in response.text, "htmx gets the form alone"
            assert '<div class="reply-box"' in response.text
        else:
            assert "<form" in response.text, "the form comes back to be corrected"
    assert rows(strict) == before


def test_a_rejected_reply_keeps_what_was_written(strict, things):
    response = strict.client("member").post(f"/t/{things['T']}/comments",
                                            data={"body": "My careful words", "parent_id": str(things["E"])})
    assert response.status_code == 422
    assert "My careful words" in response.text


def test_every_written_table_is_watched():
    assert {m.__name__ for m in WRITTEN} >= {"Thread", "Comment", "Revision", "Notification", "Event"}
