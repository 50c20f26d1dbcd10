"""One submit, one post: a create form sent twice with its submission key makes one thing, and
the second answer is the first one's result (app/core/submissions.py).

Every create route is here (`CASES`), each posted the way its page's form posts it — with the
key drawn on the page — without JavaScript and as htmx. Then: a form with errors keeps its key
usable, someone else's key is no key and tells nothing, a POST without a key works as before,
twin POSTs racing on one key make one thing (two threads, and a row committed under the first
one's feet), a crash before the answer's address was noted, and the pruning of old keys.
"""
import html
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app.archive import attachments, comments, threads
from app.archive.models import Comment, Document, Thread
from app.core import submissions
from app.core.database import utcnow
from app.core.errors import Refused
from app.core.extensions import db
from app.core.submissions import SubmissionKey, new_key
from app.decisions import closing, outcomes, proposals
from app.decisions.models import Outcome, Proposal, Vote
from app.groups import services as groups
from app.groups.models import Group, Invitation, Membership
from app.labour import periods, recognition
from app.labour.models import Absence, CareTask, LoggedCare, Rota, Swap, Thanks
from tests.labour.care_cast import start_rota
from tests.labour.test_pages import _give_current_slot
from tests.scene import GroupScene
from tests.security.crawl import parse

HX = {"HX-Request": "true"}
SITE = "http://localhost"
ALREADY = "That was already sent, so it was saved only once."


class OnceScene(GroupScene):
    """A private co-op with a person in every role, and what the create forms need made first."""

    def thread(self) -> int:
        with self.ctx():
            return threads.start_thread(self.user("facilitator"), self.group(), "Kitchen rota", "Who cleans?", []).id

    def comment(self, thread_id) -> int:
        with self.ctx():
            return comments.add_comment(self.user("facilitator"), db.session.get(Thread, thread_id), "Me!", None).id

    def proposal(self, close=False, anonymous=False) -> int:
        with self.ctx():
            draft = proposals.Draft(title="Buy a cargo bike", body="For the market runs.", anonymous=anonymous)
            proposal = proposals.propose(self.user("facilitator"), self.group(), draft, None)
            if close:
                closing.close(self.user("facilitator"), proposal)
            return proposal.id

    def result_for(self, proposal_id) -> str:
        with self.ctx():
            return outcomes.result_choices(db.session.get(Proposal, proposal_id))[0]

    def rota(self):
        start_rota(self.app, self.cast)

    def slot(self) -> int:
        """A slot the member holds this week."""
        return _give_current_slot(self.app, self.cast, self.cast.member)

    def confirmed_care(self) -> int:
        """Care the facilitator logged and the admin confirmed: the member may thank them for it."""
        with self.ctx():
            group = self.group()
            care = recognition.log_care(self.user("facilitator"), group, "Fixed the door", 2, periods.today_in(group))
            recognition.confirm_care(self.user("admin"), group, care.id)
            return care.id

    def working_group(self) -> str:
        """A public working group of the co-op, started by its admin."""
        with self.ctx():
            return groups.create_group(self.user("admin"), "Kitchen", "kitchen", "", "public", self.group()).slug

    def invitation(self) -> str:
        with self.ctx():
            return groups.create_invitation(self.user("admin"), self.group(), "member", 7, None)[1]

    def count(self, model) -> int:
        with self.ctx():
            return db.session.scalar(select(func.count()).select_from(model))

    def keys(self) -> list[tuple]:
        with self.ctx():
            return list(db.session.execute(select(SubmissionKey.key, SubmissionKey.user_id, SubmissionKey.location)))


@pytest.fixture
def scene(app, make_cast):
    return OnceScene(app, make_cast("coop", "private"))


@dataclass
class Post:
    """A create form: who sends it, from which page, to where, with what; and the table it adds a row to."""

    who: str
    page: str
    url: str
    data: dict
    model: type
    extra: dict = field(default_factory=dict)


@dataclass
class Case:
    name: str
    prepare: Callable[[OnceScene], Post]

    def __repr__(self):
        return self.name


def _thread_case(s):
    return Post("member", "/g/coop/threads/new", "/g/coop/threads/new",
                {"title": "Garden day", "body": "Saturday?", "tags": ""}, Thread)


def _comment_case(s):
    t = s.thread()
    return Post("member", f"/t/{t}", f"/t/{t}/comments", {"body": "I can do Monday."}, Comment)


def _reply_case(s):
    t = s.thread()
    c = s.comment(t)
    return Post("member", f"/t/{t}?reply_to={c}&show={c}", f"/t/{t}/comments",
                {"body": "Thank you!", "parent_id": str(c)}, Comment)


def _document_case(s):
    return Post("member", "/g/coop/docs/new", "/g/coop/docs/new",
                {"title": "Handbook", "body": "How we work.", "folder": "", "tags": ""}, Document)


def _proposal_case(s):
    return Post("member", "/g/coop/decisions/new", "/g/coop/decisions/new",
                {"title": "Paint the door", "body": "Green.", "kind": "consent", "days": "3"}, Proposal)


def _vote_case(s):
    p = s.proposal()
    return Post("member", f"/p/{p}", f"/p/{p}/vote", {"choice": "consent", "reason": ""}, Vote)


def _outcome_case(s):
    p = s.proposal(close=True)
    return Post("facilitator", f"/p/{p}/outcome", f"/p/{p}/outcome",
                {"statement": "We bought it.", "result": s.result_for(p)}, Outcome)


def _group_case(s):
    return Post("member", "/groups/new", "/groups/new",
                {"name": "Sunshine", "slug": "sunshine", "description": "", "visibility": "private"}, Group)


def _working_group_case(s):
    return Post("facilitator", "/g/coop/working-groups/new", "/g/coop/working-groups/new",
                {"name": "Garden", "slug": "garden", "description": "", "visibility": "public"}, Group)


def _invitation_case(s):
    return Post("admin", "/g/coop/invitations", "/g/coop/invitations",
                {"role": "member", "days": "14", "max_uses": "", "note": "for Jiwoo"}, Invitation)


def _task_case(s):
    s.rota()
    return Post("facilitator", "/g/coop/care/tasks", "/g/coop/care/tasks",
                {"name": "Book the room", "description": "", "category": "logistics", "effort": "2",
                 "recurrence": "every", "people_needed": "1", "active": "y"}, CareTask)


def _absence_case(s):
    s.rota()
    return Post("member", "/g/coop/care", "/g/coop/care/absences",
                {"starts_on": "2031-03-01", "ends_on": "2031-03-10", "note": "Jeju"}, Absence)


def _logged_case(s):
    s.rota()
    with s.ctx():
        today = periods.today_in(s.group()).isoformat()
    return Post("member", "/g/coop/care", "/g/coop/care/logged",
                {"description": "Organised the dinner", "category": "other", "effort": "2", "done_on": today},
                LoggedCare)


def _thanks_case(s):
    s.rota()
    care = s.confirmed_care()
    return Post("member", "/g/coop/care", "/g/coop/care/thanks",
                {"to_user_id": str(s.uid("facilitator")), "care_id": str(care), "message": "Thank you!"}, Thanks)


def _swap_case(s):
    s.rota()
    slot = s.slot()
    return Post("member", "/g/coop/care", f"/g/coop/care/slots/{slot}/swap",
                {"to_user_id": str(s.uid("admin"))}, Swap)


def _offer_case(s):
    s.rota()
    slot = s.slot()
    return Post("member", "/g/coop/care", f"/g/coop/care/slots/{slot}/offer", {}, Swap)


def _rota_case(s):
    return Post("facilitator", "/g/coop/care", "/g/coop/care/setup",
                {"weekday": "0", "periods_ahead": "8", "starter": "y"}, Rota)


def _add_member_case(s):
    slug = s.working_group()
    return Post("admin", f"/g/{slug}/members", f"/g/{slug}/members/add", {"user_id": str(s.uid("member"))},
                Membership)


def _join_case(s):
    slug = s.working_group()
    return Post("member", f"/g/{slug}", f"/g/{slug}/join", {}, Membership)


def _accept_case(s):
    token = s.invitation()
    return Post("outsider", f"/join/{token}", f"/join/{token}", {}, Membership)


CASES = [Case(name, prepare) for name, prepare in [
    ("thread", _thread_case), ("comment", _comment_case), ("reply", _reply_case), ("document", _document_case),
    ("proposal", _proposal_case), ("vote", _vote_case), ("outcome", _outcome_case), ("group", _group_case),
    ("working group", _working_group_case), ("invitation", _invitation_case), ("care task", _task_case),
    ("absence", _absence_case), ("logged care", _logged_case), ("thanks", _thanks_case), ("swap", _swap_case),
    ("offer", _offer_case), ("rota", _rota_case), ("working group member", _add_member_case),
    ("joining", _join_case), ("invitation accepted", _accept_case),
]]
# The endpoint each case posts to: together, every view wrapped in @once.
ENDPOINTS = {
    "archive.new_thread", "archive.add_comment", "archive.new_document", "decisions.new", "decisions.vote",
    "decisions.outcome", "groups.new", "groups.new_working_group", "groups.invitations", "labour.new_task",
    "labour.add_absence", "labour.log_care", "labour.thank", "labour.swap", "labour.offer", "labour.setup",
    "groups.add_member", "groups.join", "groups.accept",
}


def _read(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _keys_on_page(client, post: Post) -> list[str]:
    """The submission keys of the forms on the post's page that post where it posts."""
    page = client.get(post.page)
    assert page.status_code == 200, post.page
    _links, forms = parse(SITE + post.page, page.get_data(as_text=True))
    mine = [form for form in forms if form.method == "post" and form.action == SITE + post.url]
    assert mine, f"no form on {post.page} posts to {post.url}"
    return [form.fields["submission_key"].value if "submission_key" in form.fields else None for form in mine]


def _sent_from(page: str, htmx: bool) -> dict:
    """What a browser says about where a form was sent from: htmx names the page, a browser the Referer."""
    return {**HX, "HX-Current-URL": SITE + page} if htmx else {"Referer": SITE + page}


def _where(response) -> str | None:
    return response.headers.get("HX-Redirect") or response.headers.get("Location")


# ---------------------------------------------------------------- every create route, posted twice


def test_the_cases_cover_every_view_answered_once(app):
    wrapped = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "submitted_once", False)}
    assert wrapped == ENDPOINTS


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_every_create_form_carries_a_key_of_its_own(scene, case):
    post = case.prepare(scene)
    client = scene.client(post.who)
    first, again = _keys_on_page(client, post), _keys_on_page(client, post)
    assert all(submissions.well_formed(key) for key in first + again), first
    assert len(set(first + again)) == len(first + again), "a key drawn twice"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_a_create_sent_twice_with_its_key_is_made_once_and_answered_with_the_first_result(scene, case, htmx):
    post = case.prepare(scene)
    client = scene.client(post.who)
    key = _keys_on_page(client, post)[-1]
    data, headers = {**post.data, "submission_key": key}, _sent_from(post.page, htmx)
    before = scene.count(post.model)

    first = client.post(post.url, data=data, headers=headers)
    assert first.status_code in (200, 302, 303), _read(first)[:2000]
    assert scene.count(post.model) == before + 1
    led_to = _where(first) or post.page  # a redirect's address; else (an htmx block, a page) the form's page

    second = client.post(post.url, data=data, headers=headers)
    assert scene.count(post.model) == before + 1
    if htmx:
        assert second.status_code == 200 and second.headers["HX-Redirect"] == led_to and not second.data
    else:
        assert second.status_code == 303 and second.headers["Location"] == led_to
    assert ALREADY in _read(client.get(led_to))
    assert [(k, user) for k, user, _location in scene.keys()] == [(key, scene.uid(post.who))]


def test_a_vote_on_an_anonymous_proposal_is_made_once_and_its_key_keeps_neither_the_place_nor_the_time(scene):
    p = scene.proposal(anonymous=True)
    post = Post("member", f"/p/{p}", f"/p/{p}/vote", {"choice": "consent", "reason": ""}, Vote)
    client = scene.client("member")
    data = {**post.data, "submission_key": _keys_on_page(client, post)[-1]}
    before = scene.count(Vote)
    assert client.post(post.url, data=data, headers=_sent_from(post.page, False)).status_code == 302
    again = client.post(post.url, data=data, headers=_sent_from(post.page, False))
    assert again.status_code == 303 and again.headers["Location"] == post.page  # back to the form's page
    assert scene.count(Vote) == before + 1
    with scene.ctx():
        row = db.session.scalar(select(SubmissionKey))
        assert row.location == ""
        assert (row.created_at.hour, row.created_at.minute, row.created_at.second) == (0, 0, 0)


# ---------------------------------------------------------------- a form with errors, someone else's key, no key


def test_a_form_with_errors_keeps_its_key_and_the_corrected_form_is_made_once(scene):
    client = scene.client("member")
    post = _thread_case(scene)
    key = _keys_on_page(client, post)[0]
    refused = client.post(post.url, data={**post.data, "title": "", "submission_key": key})
    assert refused.status_code == 422
    assert f'name="submission_key" value="{key}"' in refused.get_data(as_text=True)  # shown again, same key
    assert scene.keys() == [] and scene.count(Thread) == 0
    corrected = client.post(post.url, data={**post.data, "submission_key": key})
    assert corrected.status_code == 302 and scene.count(Thread) == 1
    assert client.post(post.url, data={**post.data, "submission_key": key}).status_code == 303
    assert scene.count(Thread) == 1


def test_an_htmx_reply_with_errors_keeps_its_key_in_the_block_it_answers(scene):
    client = scene.client("member")
    post = _comment_case(scene)
    key = _keys_on_page(client, post)[0]
    headers = _sent_from(post.page, True)
    refused = client.post(post.url, data={"body": "", "submission_key": key}, headers=headers)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert f'name="submission_key" value="{key}"' in refused.get_data(as_text=True)
    posted = client.post(post.url, data={"body": "Now with words", "submission_key": key}, headers=headers)
    assert posted.status_code == 200 and scene.count(Comment) == 1
    fresh = posted.get_data(as_text=True)
    assert "Now with words" in fresh and f'value="{key}"' not in fresh  # the emptied box has a new key


def test_someone_elses_key_is_no_key_and_tells_nothing(scene):
    post = _comment_case(scene)
    member, facilitator = scene.client("member"), scene.client("facilitator")
    key = _keys_on_page(member, post)[0]
    mine = member.post(post.url, data={"body": "Member's words", "submission_key": key}, headers=_sent_from(post.page, False))
    assert mine.status_code == 302

    theirs = facilitator.post(post.url, data={"body": "Facilitator's words", "submission_key": key})
    assert theirs.status_code == 302 and theirs.headers["Location"] != mine.headers["Location"]
    assert scene.count(Comment) == 2  # made: the key counts as none
    assert ALREADY not in _read(facilitator.get(theirs.headers["Location"]))
    # Still the member's key, and only theirs: it protects nobody else's posts.
    assert facilitator.post(post.url, data={"body": "Again", "submission_key": key}).status_code == 302
    assert scene.count(Comment) == 3
    assert [(k, user) for k, user, _ in scene.keys()] == [(key, scene.uid("member"))]


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, "no spaces allowed in keys!", "a\x00" * 20])
def test_a_post_without_a_well_formed_key_works_as_before(scene, key):
    """An old page or a script sends no key: nothing breaks, nothing is protected either."""
    post = _comment_case(scene)
    client = scene.client("member")
    data = {"body": "Hello"} if key is None else {"body": "Hello", "submission_key": key}
    assert client.post(post.url, data=data).status_code == 302
    assert client.post(post.url, data=data).status_code == 302
    assert scene.count(Comment) == 2 and scene.keys() == []


# ---------------------------------------------------------------- races and crashes


def test_a_key_committed_by_a_twin_after_the_check_is_answered_as_a_repeat(scene, monkeypatch):
    """A double click: the twin's row is committed between this POST's look and its claim. The
    claim fails on the unique key, and the answer is the twin's result."""
    post = _comment_case(scene)
    client = scene.client("member")
    key = new_key()
    with scene.ctx():
        db.session.add(SubmissionKey(key=key, user_id=scene.uid("member"), location=f"{post.page}#twin"))
        db.session.commit()
    looks = []
    real_row = submissions._row

    def not_yet_then_real(key):  # the first look happened before the twin committed
        looks.append(key)
        return None if len(looks) == 1 else real_row(key)

    monkeypatch.setattr(submissions, "_row", not_yet_then_real)
    for headers, answer in ((_sent_from(post.page, False), "Location"), (_sent_from(post.page, True), "HX-Redirect")):
        looks.clear()
        response = client.post(post.url, data={"body": "Twice", "submission_key": key}, headers=headers)
        assert response.status_code in (200, 303) and response.headers[answer] == f"{post.page}#twin"
        assert len(looks) == 2
    assert scene.count(Comment) == 0


def test_two_posts_racing_with_one_key_make_one_comment(scene, monkeypatch):
    """Two requests at once, each in its own thread and database connection: the second waits on
    the key the first holds, then answers as a repeat once the first has committed."""
    post = _comment_case(scene)
    first_client, second_client = scene.client("member"), scene.client("member")
    key = _keys_on_page(first_client, post)[0]
    inside, release = threading.Event(), threading.Event()
    real_add = attachments.add_comment_with_files

    def held(*args, **kwargs):  # the first request stops inside its view, holding the key
        if not inside.is_set():
            inside.set()
            release.wait(10)
        return real_add(*args, **kwargs)

    monkeypatch.setattr(attachments, "add_comment_with_files", held)
    claims = []

    def note_claim(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSION_KEYS"):
            claims.append(threading.get_ident())

    with scene.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note_claim)
    answers = {}

    def send(name, client):
        answers[name] = client.post(post.url, data={"body": "Just once", "submission_key": key},
                                    headers=_sent_from(post.page, False))

    try:
        first = threading.Thread(target=send, args=("first", first_client))
        first.start()
        assert inside.wait(10)
        second = threading.Thread(target=send, args=("second", second_client))
        second.start()
        deadline = time.monotonic() + 10
        while len(claims) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(claims) == 2, "the second request never tried to claim the key"
        time.sleep(0.2)  # it is now waiting on the first one's key
        release.set()
        first.join(20)
        second.join(20)
    finally:
        release.set()
        event.remove(engine, "before_cursor_execute", note_claim)
    assert answers["first"].status_code == 302
    assert answers["second"].status_code == 303
    assert answers["second"].headers["Location"] in (answers["first"].headers["Location"], post.page)
    assert scene.count(Comment) == 1 and len(scene.keys()) == 1


@pytest.mark.parametrize("referer, lands_on", [(True, "/g/coop/threads/new"), (False, "/g/coop")],
                         ids=["back to the form", "to the group"])
def test_a_repeat_after_a_crash_before_its_address_was_noted_goes_to_the_form_and_makes_nothing(
        scene, monkeypatch, referer, lands_on):
    """The process died between the create's commit and noting where it led: the row has no
    address. A repeat is sent to the form's page (the Referer, if it is this site's), else to
    the group — and nothing is made twice."""
    post = _thread_case(scene)
    client = scene.client("member")
    key = new_key()
    monkeypatch.setattr(submissions, "_settle", lambda key, user_id, claimed, response: response)
    assert client.post(post.url, data={**post.data, "submission_key": key}).status_code == 302
    monkeypatch.undo()
    assert scene.keys() == [(key, scene.uid("member"), "")]
    headers = {"Referer": SITE + post.page} if referer else {"Referer": "https://elsewhere.example/g/coop"}
    again = client.post(post.url, data={**post.data, "submission_key": key}, headers=headers)
    assert again.status_code == 303 and again.headers["Location"] == lands_on
    assert scene.count(Thread) == 1


def test_when_the_database_fails_after_the_view_answered_its_answer_still_goes_back(scene, monkeypatch):
    """Noting where the create led fails (the database went away a moment): the person still gets
    the view's own answer, the create stands with its key, and a repeat makes nothing."""
    post = _thread_case(scene)
    client = scene.client("member")
    key = new_key()

    def gone():
        raise OperationalError("UPDATE submission_keys", {}, Exception("server closed the connection"))

    monkeypatch.setattr(submissions, "_prune_now_and_then", gone)
    first = client.post(post.url, data={**post.data, "submission_key": key})
    assert first.status_code == 302 and first.headers["Location"].startswith("/t/")
    monkeypatch.undo()
    assert scene.keys() == [(key, scene.uid("member"), "")]
    again = client.post(post.url, data={**post.data, "submission_key": key}, headers={"Referer": SITE + post.page})
    assert again.status_code == 303 and again.headers["Location"] == post.page
    assert scene.count(Thread) == 1


def test_a_service_that_rolls_back_and_refuses_leaves_the_key_usable(scene, monkeypatch):
    """A service that says no after rolling back (a slug taken a moment ago, a file that failed)
    takes the held key back with it: the same key then makes the thing, once."""
    post = _thread_case(scene)
    client = scene.client("member")
    key = new_key()
    real = attachments.start_thread_with_files

    def refusing(*args, **kwargs):
        db.session.rollback()
        raise Refused("Try again in a moment.")

    monkeypatch.setattr(attachments, "start_thread_with_files", refusing)
    refused = client.post(post.url, data={**post.data, "submission_key": key})
    assert refused.status_code == 422 and "Try again in a moment." in refused.get_data(as_text=True)
    monkeypatch.setattr(attachments, "start_thread_with_files", real)
    assert scene.keys() == []
    assert client.post(post.url, data={**post.data, "submission_key": key}).status_code == 302
    assert client.post(post.url, data={**post.data, "submission_key": key}).status_code == 303
    assert scene.count(Thread) == 1


# ---------------------------------------------------------------- old keys


def test_prune_deletes_keys_older_than_a_day_oldest_first_and_at_most_its_share(scene):
    now = utcnow()
    ages = [timedelta(days=3), timedelta(days=2), timedelta(hours=25), timedelta(hours=23), timedelta(0)]
    with scene.ctx():
        for age in ages:
            db.session.add(SubmissionKey(key=new_key(), user_id=scene.uid("member"), created_at=now - age,
                                         location=""))
        db.session.commit()
        assert submissions.prune(now, at_most=2) == 2
        db.session.commit()
        left = sorted(now - created for created in db.session.scalars(select(SubmissionKey.created_at)))
        assert left == [timedelta(0), timedelta(hours=23), timedelta(hours=25)]
        assert submissions.prune(now) == 1
        db.session.commit()
    assert len(scene.keys()) == 2


@pytest.mark.parametrize("due", [True, False], ids=["due", "not due"])
def test_a_new_key_prunes_old_ones_now_and_then(scene, monkeypatch, due):
    with scene.ctx():
        db.session.add(SubmissionKey(key="old-" + "k" * 40, user_id=scene.uid("member"),
                                     created_at=utcnow() - timedelta(days=2), location=""))
        db.session.commit()
    monkeypatch.setattr(submissions, "_last_prune", float("-inf") if due else time.monotonic())
    post = _thread_case(scene)
    assert scene.client("member").post(post.url, data={**post.data, "submission_key": new_key()}).status_code == 302
    old = [k for k, _user, _location in scene.keys() if k.startswith("old-")]
    assert (old == []) is due
