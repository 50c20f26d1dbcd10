"""Recovery (docs/SEARCH.md, "Keeping the index true"): `flask search reindex` rebuilds from the database with a progress bar;
`flask search check` reports drift and exits non-zero when there is any."""
import shutil
from datetime import datetime, timezone

from app.core.extensions import db
from app.search import service
from app.search.entries import Entry


def test_reindex_rebuilds_everything_from_the_database(app, runner, scene, finder, cast):
    tid = scene.thread(title="회의록", body="협동조합에서")
    did = scene.document(title="Handbook", body="협동조합 안내")
    with app.app_context():
        service.backend().write([], [("thread", tid), ("document", did)])
    assert finder.keys(cast.member, "협동조합") == set()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing" in result.output and "Indexed 2 items" in result.output
    assert finder.keys(cast.member, "협동조합") == {("thread", tid), ("document", did)}


def test_check_passes_when_the_index_matches(runner, scene):
    scene.thread(title="Kitchen", body="sweeping")
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "missing: 0" in result.output and "The index matches the database." in result.output


def test_check_reports_missing_stale_and_orphaned_entries_and_fails(app, runner, scene):
    missing = scene.thread(title="Missing", body="gone from the index")
    stale = scene.thread(title="Stale", body="old words")
    with app.app_context():
        index = service.backend()
        index.write([], [("thread", missing)])
        (entry,), _ = service.entries.build([("thread", stale)], service.db.session)
        index.write([Entry(entry.kind, entry.item_id, entry.group_id, entry.author_id, "Stale", "older words",
                           entry.url, entry.created_at)], [])
        index.write([Entry("thread", 9999, scene.group_id, None, "Ghost", "no such thread", "/t/9999",
                           datetime(2026, 1, 1, tzinfo=timezone.utc))], [])
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"missing: 1 (thread:{missing})" in result.output
    assert f"stale: 1 (thread:{stale})" in result.output
    assert "orphaned: 1 (thread:9999)" in result.output
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_check_counts_a_deleted_item_still_in_the_index_as_orphaned(app, runner, scene):
    tid = scene.thread(title="Soon gone", body="words")
    with app.app_context():
        entry = service.entries.build([("thread", tid)], service.db.session)[0][0]
    scene.delete_thread(tid)
    with app.app_context():
        service.backend().write([entry], [])  # as if the delete never reached the index
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and f"orphaned: 1 (thread:{tid})" in result.output


def test_retry_empties_the_backlog(app, runner, scene, finder, cast):
    tid = scene.thread(title="Queued", body="빨래")
    with app.app_context():
        service.backend().write([], [("thread", tid)])
        with db.engine.begin() as conn:  # as a process killed between its commit and the index leaves it
            conn.execute(service.outbox_statement([("thread", tid)], conn.dialect.name))
    result = runner.invoke(args=["search", "retry"])
    assert result.exit_code == 0 and "The backlog is empty." in result.output
    assert finder.keys(cast.member, "빨래") == {("thread", tid)}


def test_reindex_refuses_while_another_process_rebuilds(app, runner):
    with app.app_context(), service._index().rebuild_lock() as mine:
        assert mine
        result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 1 and "already being rebuilt" in result.output


def test_check_fails_and_says_so_when_the_index_is_missing(app, runner, backend_name):
    if backend_name != "whoosh":
        return  # the postgres backend's index is a table that migrations make
    with app.app_context():
        shutil.rmtree(service.backend().folder)
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "The index is missing" in result.output
