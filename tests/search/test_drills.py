"""Drills (docs/SEARCH.md, "Keeping the index true"): real processes killed at the worst
instant, an index deleted under writes, two processes finding it missing. Afterwards every
saved item is found, without anyone running a reindex."""
import multiprocessing
import os
import random
import shutil
import signal
import time

from sqlalchemy import func, select

from app.archive.models import Thread
from app.core.extensions import db
from app.search import service
from tests.search import workers
from tests.search.conftest import with_index

CLEAN = {"missing": [], "stale": [], "orphaned": []}
spawn = multiprocessing.get_context("spawn")


def _run(target, *args):
    job = spawn.Process(target=target, args=args)
    job.start()
    return job


def _threads_titled(app, prefix: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Thread).where(Thread.title.like(f"{prefix} %")))


def _where(app, scene):
    with app.app_context():
        return app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path, app.config["CANOE_SEARCH_BACKEND"], scene.slug


def test_a_process_killed_between_commit_and_index_leaves_a_backlog_row_that_retry_indexes(app, runner, scene, finder, cast):
    scene.thread(title="First", body="makes the index")
    job = _run(workers.write_then_die, *_where(app, scene), cast.member.id, "Orphan")
    job.join(120)
    assert job.exitcode == -signal.SIGKILL
    with app.app_context():
        assert service.drift()["missing"] != []  # saved, not indexed: the gap a crash makes
    result = runner.invoke(args=["search", "retry"])
    assert result.exit_code == 0 and "The backlog is empty." in result.output
    with app.app_context():
        assert service.drift() == CLEAN
    assert finder.total(cast.member, "Orphan") == 1


def test_writers_killed_at_random_instants_leave_no_gap_after_retry(app, runner, scene, finder, cast):
    scene.thread(title="First", body="makes the index")
    rng = random.Random(19)
    for round_ in range(4):
        job = _run(workers.write_threads, *_where(app, scene), cast.member.id, f"round{round_}", 1000)
        while _threads_titled(app, f"round{round_}") < 2 and job.is_alive():
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.4))  # then killed at any instant of its stream of writes
        assert job.is_alive()
        os.kill(job.pid, signal.SIGKILL)
        job.join(30)
    assert runner.invoke(args=["search", "retry"]).exit_code == 0
    with app.app_context():
        assert service.drift() == CLEAN
    saved = [_threads_titled(app, f"round{r}") for r in range(4)]
    assert min(saved) >= 2
    assert [finder.total(cast.member, f"round{r}") for r in range(4)] == saved


def test_an_index_deleted_under_writes_loses_no_item(app, scene, finder, cast, backend_name):
    if backend_name != "whoosh":
        return  # the postgres backend's index is a table
    scene.thread(title="First", body="makes the index")
    job = _run(workers.write_threads, *_where(app, scene), cast.member.id, "steady", 40, 0.05)
    with app.app_context():
        folder = service.backend().folder
    while _threads_titled(app, "steady") < 10 and job.is_alive():
        time.sleep(0.05)
    gone = folder.with_name("deleted")
    os.rename(folder, gone)  # at once: the writer may be adding a file to it this instant
    shutil.rmtree(gone)
    job.join(120)
    assert job.exitcode == 0
    # The writer rebuilt it in a thread of its own, or died first: then the next search here does.
    finder.page(cast.member, "steady")
    with app.app_context():
        service.wait_for_rebuild(60)
        assert service.retry_backlog() == 0
        assert service.drift() == CLEAN
    assert finder.total(cast.member, "steady") == 40


def test_two_processes_finding_the_index_missing_rebuild_it_once(app, scene, finder, cast, backend_name):
    if backend_name != "whoosh":
        return
    for i in range(6):
        scene.thread(title=f"Old {i}", body="회의록")
    with app.app_context():
        shutil.rmtree(service.backend().folder)
    barrier = spawn.Barrier(2)
    jobs = [_run(workers.find_the_index_missing, *_where(app, scene)[:3], barrier) for _ in range(2)]
    for job in jobs:
        job.join(120)
    assert sorted(job.exitcode for job in jobs) == [10, 11]  # one built, one waited
    app.extensions.pop("canoe.search", None)
    assert finder.total(cast.member, "회의록") == 6
