"""Keeping the index true (docs/SEARCH.md): the index follows every change after its commit, and a locked or failing
index never costs a person their write — the item waits in the backlog and lands later."""
import multiprocessing
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from app.archive.models import Thread
from app.core.extensions import db
from app.search import service
from app.search.models import SearchBacklog
from tests.search import workers
from app.search.whoosh_index import WhooshIndex
from tests.search.conftest import with_index


def backlog(app) -> set:
    with app.app_context():
        return set(db.session.execute(select(SearchBacklog.kind, SearchBacklog.item_id)).all())


@contextmanager
def index_locked(app):
    """Another process holds the index's write lock until the block ends."""
    with app.app_context():
        index = service.backend()
        if index.name == "whoosh":
            from whoosh import index as whoosh_index

            writer = whoosh_index.open_dir(str(index.folder)).writer()
            try:
                yield
            finally:
                writer.cancel()
            return
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE search_entries IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()
        engine.dispose()


@pytest.fixture
def app(make_app, backend_name):
    return with_index(make_app(CANOE_SEARCH_BACKEND=backend_name, CANOE_SEARCH_LOCK_TIMEOUT=0.5, CANOE_SEARCH_SYNC=True))


def test_new_edited_and_deleted_threads_update_results(scene, finder, cast):
    tid = scene.thread(title="장보기 목록", body="협동조합에서 쓸 물건")
    assert finder.keys(cast.member, "협동조합") == {("thread", tid)}
    scene.edit_thread(tid, "이제는 텃밭 이야기", title="텃밭")
    assert finder.keys(cast.member, "협동조합") == set()
    assert finder.keys(cast.member, "텃밭") == {("thread", tid)}
    scene.delete_thread(tid)
    assert finder.keys(cast.member, "텃밭") == set()


def test_comment_edit_and_delete_update_results(scene, finder, cast):
    tid = scene.thread(title="Kitchen", body="Who cleans?")
    cid = scene.comment(tid, body="I will sweep on Monday")
    assert finder.keys(cast.member, "sweep") == {("comment", cid)}
    scene.edit_comment(cid, "I will mop on Tuesday")
    assert finder.keys(cast.member, "sweep") == set()
    assert finder.keys(cast.member, "mop") == {("comment", cid)}
    scene.delete_comment(cid)
    assert finder.keys(cast.member, "mop") == set()


def test_renaming_a_thread_renames_its_replies_and_deleting_it_hides_them(scene, finder, cast):
    tid = scene.thread(title="Garden", body="Plans")
    cid = scene.comment(tid, body="Tomatoes again")
    scene.edit_thread(tid, "Plans", title="Allotment")
    hit = finder.page(cast.member, "tomatoes").hits[0]
    assert (hit.kind, hit.item_id, hit.stored.title) == ("comment", cid, "Allotment")
    scene.delete_thread(tid)
    assert finder.keys(cast.member, "tomatoes") == set()


def test_documents_follow_their_edits(scene, finder, cast):
    did = scene.document(title="Handbook", body="We meet on Mondays")
    assert finder.keys(cast.member, "mondays") == {("document", did)}
    scene.edit_document(did, "We meet on Fridays")
    assert finder.keys(cast.member, "mondays") == set()
    assert finder.keys(cast.member, "fridays") == {("document", did)}


def test_a_rolled_back_change_never_reaches_the_index(app, scene, finder, cast):
    with app.test_request_context():
        db.session.add(Thread(group_id=scene.group_id, title="Phantom", body_html="<p>never saved</p>"))
        db.session.flush()
        db.session.rollback()
    scene.thread(title="Real", body="saved")  # a later commit must not carry the phantom
    assert finder.keys(cast.member, "phantom") == set()


def test_a_held_lock_does_not_fail_the_request_and_the_item_lands_afterwards(app, client, auth, scene, finder, cast):
    scene.thread(title="First", body="makes the index")
    auth.login(cast.member)
    with index_locked(app):
        response = client.post(f"/g/{scene.slug}/threads/new", data={"title": "Locked out", "body": "빨래 당번"})
        assert response.status_code == 302
    with app.app_context():
        tid = db.session.scalar(select(Thread.id).where(Thread.title == "Locked out"))
    assert tid is not None  # the write stood
    assert backlog(app) == {("thread", tid)}
    assert finder.keys(cast.member, "빨래") == {("thread", tid)}  # the next search drains the backlog
    assert backlog(app) == set()


def test_a_failing_index_never_rolls_back_the_write(app, client, auth, scene, finder, cast, monkeypatch):
    scene.thread(title="First", body="makes the index")
    with app.app_context():
        index = service.backend()

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(type(index), "write", broken)
    auth.login(cast.member)
    response = client.post(f"/g/{scene.slug}/threads/new", data={"title": "Still saved", "body": "disk full"})
    assert response.status_code == 302
    with app.app_context():
        tid = db.session.scalar(select(Thread.id).where(Thread.title == "Still saved"))
        waiting = db.session.scalar(select(SearchBacklog).where(SearchBacklog.item_id == tid))
        assert waiting.kind == "thread" and "disk full" in waiting.last_error
    monkeypatch.undo()
    with app.app_context():
        assert service.retry_backlog() == 0
    assert finder.keys(cast.member, "saved") == {("thread", tid)}


def test_still_refused_items_stay_queued_with_a_count_of_attempts(app, scene, cast):
    scene.thread(title="First", body="makes the index")
    with index_locked(app):
        tid = scene.thread(title="Queued", body="waiting")
        with app.app_context():
            assert service.retry_backlog() == 1
            row = db.session.scalar(select(SearchBacklog).where(SearchBacklog.item_id == tid))
            assert row.attempts == 1


def test_two_processes_writing_at_once_lose_nothing(app, scene, finder, cast, backend_name):
    scene.thread(title="First", body="makes the index")
    with app.app_context():
        url = app.config["SQLALCHEMY_DATABASE_URI"]
    spawn = multiprocessing.get_context("spawn")
    jobs = [
        spawn.Process(target=workers.write_threads,
                      args=(url, app.instance_path, backend_name, scene.slug, cast.member.id, prefix, 15))
        for prefix in ("alpha", "beta")
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(120)
        assert job.exitcode == 0
    with app.app_context():
        service.retry_backlog()
        assert service.drift() == {"missing": [], "stale": [], "orphaned": []}
    assert finder.total(cast.member, "노동") == 30
    assert finder.total(cast.member, "alpha") == 15 and finder.total(cast.member, "beta") == 15


@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_a_missing_or_corrupt_index_is_rebuilt_in_the_background_never_in_the_request(
        app, scene, finder, cast, backend_name, damage):
    if backend_name != "whoosh":
        return  # the postgres backend's index is a table that migrations make
    tid = scene.thread(title="Minutes", body="회의록을 올립니다")
    with app.app_context():
        folder = Path(service.backend().folder)
    if damage == "deleted":
        shutil.rmtree(folder)
    else:
        for toc in folder.glob("*.toc"):
            toc.write_bytes(b"not an index")
    app.extensions.pop("canoe.search", None)  # as a freshly started process finds it
    waiting = finder.page(cast.member, "회의록")
    assert waiting.hits == [] and "Search is being rebuilt" in waiting.problem  # an answer, not a wait
    with app.app_context():
        service.wait_for_rebuild(30)
    assert finder.keys(cast.member, "회의록") == {("thread", tid)}
    assert folder.is_dir()


def test_a_folder_deleted_under_a_running_process_is_rebuilt_and_its_writes_wait(app, scene, finder, cast, backend_name):
    if backend_name != "whoosh":
        return
    first = scene.thread(title="Before", body="돌봄 노동")
    with app.app_context():
        shutil.rmtree(service.backend().folder)
    second = scene.thread(title="After", body="돌봄 노동")  # saved at once; the save starts the rebuild
    with app.app_context():
        service.wait_for_rebuild(30)
    assert finder.keys(cast.member, "돌봄") == {("thread", first), ("thread", second)}
    assert backlog(app) == set()


def test_the_search_page_says_how_far_a_rebuild_has_come(app, client, auth, scene, cast, backend_name):
    if backend_name != "whoosh":
        return  # on postgres the old entries serve until the rebuild commits
    scene.thread(title="Minutes", body="회의록")
    with app.app_context():
        index = service.backend()
        shutil.rmtree(index.folder)
        with index.rebuild_lock() as mine:  # as another process holds it, 43% of the way
            assert mine
            index._building.mkdir(parents=True, exist_ok=True)
            (index._building / "canoe-progress.json").write_text('{"done": 43, "total": 100, "schema": null}')
            auth.login(cast.member)
            response = client.get("/search?q=회의록")
            assert service._store().get("rebuilder") is None  # this process left it to the holder
    assert response.status_code == 200
    assert "Search is being rebuilt (43% done)" in response.get_data(as_text=True)


def test_a_write_made_during_a_rebuild_is_not_lost(app, scene, finder, cast):
    before = scene.thread(title="Before", body="old words")
    during = []

    def meanwhile(_done):
        if not during:  # another person saves a thread while the index is being rebuilt
            during.append(scene.thread(title="During", body="빨래 당번"))

    with app.app_context():
        service.rebuild(progress=meanwhile)
    assert during and finder.keys(cast.member, "빨래") == {("thread", during[0])}
    assert finder.keys(cast.member, "old") == {("thread", before)}
    assert backlog(app) == set()


def test_an_index_another_process_rebuilt_is_reopened_not_read_through_stale_files(app, scene, finder, cast, backend_name):
    if backend_name != "whoosh":
        return
    before = scene.thread(title="Before", body="회의록")
    assert finder.keys(cast.member, "회의록") == {("thread", before)}  # this process has the index open
    with app.app_context():
        store = service._store()
        mine = store["backend"]
        store["backend"] = WhooshIndex(app.instance_path, 0.5)  # another process, same folder
        service.rebuild()  # its new folder is renamed into place; the one this process opened is gone
        after = scene.thread(title="After", body="회의록")  # and written to: its generation now equals ours
        store["backend"] = mine
    assert finder.keys(cast.member, "회의록") == {("thread", before), ("thread", after)}
