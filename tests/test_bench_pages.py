"""`bench.pages` builds co-ops whose stored values agree with each other, and every page it
measures answers a plain member — checked on a tiny co-op, so the harness can't rot unseen."""
from sqlalchemy import func, select

from app.archive.models import Comment, ReadState, Thread
from app.core.events import Event
from app.core.extensions import db
from app.decisions.models import Outcome, Proposal, Vote
from app.groups.models import Group, Membership
from app.labour import book
from app.labour.models import Assignment, LedgerEntry
from app.notifications.models import Notification
from app.search import service
from bench.pages import PAGES, SLUG, Shape, build
from tests.conftest import PASSWORD

TINY = Shape(members=8, threads=8, comments=60, proposals=3, weeks=4, tasks=6, long_threads=(5, 15))
SAMPLED_THREADS = 2  # started through the services by `today`, besides the proposals' own
SAMPLED_PROPOSALS = 2


def test_tiny_coop_is_consistent_and_every_page_answers(app):
    with app.test_request_context():
        made = build(TINY)
    with app.app_context():
        service.rebuild()
        assert_shape()
        for page, size in zip(("thread_100", "thread_1300"), TINY.long_threads):  # the two long threads
            thread_id = int(made["urls"][page].rsplit("/", 1)[1])
            assert count(Comment, Comment.thread_id == thread_id) == size
        assert_threads_in_step()
        assert_ledger_matches_the_slots()
    assert set(made["urls"]) == set(PAGES)
    client = app.test_client()
    assert client.post("/login", data={"email": made["viewer"], "password": PASSWORD}).status_code == 302
    for page, url in made["urls"].items():
        response = client.get(url)
        assert response.status_code == 200, (page, url, response.status_code)
    assert "budget" in client.get(made["urls"]["search"]).get_data(as_text=True).lower()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def assert_shape() -> None:
    assert count(Membership) == TINY.members
    assert count(Thread) == TINY.threads + SAMPLED_THREADS + SAMPLED_PROPOSALS  # each proposal starts one
    assert count(Comment) == TINY.comments + sum(TINY.long_threads) + SAMPLED_THREADS * 8
    assert count(Proposal) == TINY.proposals + SAMPLED_PROPOSALS
    assert count(Outcome, Outcome.proposal_id.is_not(None)) >= 1
    assert count(Vote) > TINY.proposals
    assert count(Event, Event.kind == "comment.added") == count(Comment)
    assert count(ReadState) > TINY.threads // 2
    assert count(Notification, Notification.kind == "reply") > 0
    assert count(Assignment, Assignment.period < TINY.weeks, Assignment.status == "done") > TINY.weeks


def assert_threads_in_step() -> None:
    """comment_count, last_comment_id and last_activity_at as the comment services keep them."""
    live = dict(db.session.execute(select(Comment.thread_id, func.count()).where(Comment.deleted_at.is_(None))
                                   .group_by(Comment.thread_id)).all())
    newest = dict(db.session.execute(select(Comment.thread_id, func.max(Comment.id)).group_by(Comment.thread_id)).all())
    for thread in db.session.scalars(select(Thread)):
        assert thread.comment_count == live.get(thread.id, 0), thread.id
        assert thread.last_comment_id == newest.get(thread.id), thread.id
        if thread.last_comment_id is not None:
            assert thread.last_activity_at == db.session.get(Comment, thread.last_comment_id).created_at
    # Events are in time order: a newer id never says it happened earlier.
    times = list(db.session.scalars(select(Event.created_at).where(Event.kind == "comment.added").order_by(Event.id)))
    assert times == sorted(times)


def assert_ledger_matches_the_slots() -> None:
    done = set(db.session.scalars(select(Assignment.id).where(Assignment.status == "done")))
    credited = list(db.session.scalars(select(LedgerEntry.ref_id).where(LedgerEntry.kind == "done")))
    assert sorted(credited) == sorted(done)
    group = db.session.scalar(select(Group).where(Group.slug == SLUG))
    balances = book.balances(group)
    assert len(balances) == TINY.members
    assert sum(balances.values()) == 0
