"""`python -m bench.pages`: every key page, for a small and a big co-op, against hello-world.

Shapes (seeded, so every run builds the same co-ops):

    small: 12 members,     30 threads,   2,000 comments,    20 proposals,   8 weeks of rota
    big:  200 members,  5,000 threads, 100,000 comments, 1,000 proposals, 104 weeks of rota

Each has one thread with 100 comments and one with 1,300 (so the small one has 600 comments in
its other threads, the big one 98,600), replies nested as people reply (mostly to a recent
comment, some deep chains), reactions, a few deleted comments, the viewer's read state (most
threads read, some partly), proposals in threads of their own with votes, outcomes and
follow-up actions, and a rota whose past weeks are done, missed (and re-offered), skipped or
swapped, with absences, willingness, confirmed logged care and thanks, so the fairness ledger
has its whole history. `--scale 0.05` makes the big one that fraction
of its size (at least the small one's), for a quick run.

How it is built: the structure through the services (people, the group, the rota with its
starter tasks, and — once the history is in — a sample of threads, replies, an open proposal
with about 40 votes, a closed one with its outcome, a re-planned future and a swap request,
written as members write them). The mass is bulk Core inserts (`insert(Model)` in batches),
with every maintained value kept as the services keep it: a thread's `comment_count`
(comments not deleted), `last_comment_id`, `last_activity_at`; a proposal's result, its
eligible count and the rule's detail; one ledger entry per done, missed, skipped, swapped or
re-offered slot, absence and confirmed care; one timeline event per thing that happened, in
time order; a first revision per thread and comment; "reply" and "proposal" notifications as
the notifications feature makes them (read once older than two weeks). Then the search index
is built. The building time is noted on stderr.

What is measured, per database (`"db"` in each line; `--db sqlite|postgresql|both`, default
both; PostgreSQL is BENCH_DATABASE_URL if it is one, else `canoe_bench` on 127.0.0.1, created if
missing — left out with a note when there is no server):

- Canoe served by gunicorn (2 sync workers, loopback, production settings with CSRF on, the
  whoosh index as built), logged in through the login form as a plain member (`member007`).
  In the same run, a tiny reference Flask app (`bench.pages:reference_app()`, also 2 sync
  workers) serves `/hello` (returns a string) and `/one-query` (one SQLAlchemy query on the same
  database). Each page is first requested a few times (templates compiled, read state settled),
  then `--requests` times (default 100; 2,000 for the reference routes) from `--clients`
  client threads (default 4) over keep-alive `http.client` connections (gunicorn's sync workers
  close each one; the client reopens it). The latencies are as those clients saw them, so they
  include a wait for a free worker.
- SQL queries per page: in this process, through the Flask test client on the same database,
  logged in as the same member, counted with `bench.QueryCounter` — one request after one
  warm-up request.

    {"bench": "pages", "db": "sqlite", "metric": "rps_<page>_<size>", ...}      requests per second
    {"bench": "pages", "db": "sqlite", "metric": "ms_p50_<page>_<size>", ...}   median latency
    {"bench": "pages", "db": "sqlite", "metric": "ms_p99_<page>_<size>", ...}
    {"bench": "pages", "db": "sqlite", "metric": "queries_<page>_<size>", ...}  SQL statements
    {"bench": "pages", "db": "sqlite", "metric": "kb_<page>_<size>", ...}       HTML, in KB
    {"bench": "pages", "db": "sqlite", "metric": "rps_hello", ...}              the reference routes
    {"bench": "pages", "db": "sqlite", "metric": "rps_one_query", ...}
    {"bench": "pages", "db": "sqlite", "metric": "ratio_hello_<page>", ...}     big page req/s ÷ hello req/s
    {"bench": "pages", "db": "sqlite", "metric": "growth_<page>", ...}          big p50 ÷ small p50
    {"bench": "pages", "db": "sqlite", "metric": "ms_write_p50", ...}           concurrent writes
    {"bench": "pages", "db": "sqlite", "metric": "ms_write_p99", ...}

for page in home, threads, thread_100, thread_1300, timeline, decisions, proposal, register,
needs_me, care, rota, fairness, search (`/search?q=budget`: everything the member may read),
notifications; size in small and big. Goals (issue 18): ratio ≥ 0.1 on SQLite (≥ 0.07 on
PostgreSQL), growth ≤ 1.5, no page over 300 KB, write p99 ≤ 300 ms.

Concurrent writes, on the big co-op: Canoe again under gunicorn, now with 4 workers, and 20
writers — members, each logged in through the form (a scaled-down co-op with fewer members
logs some in twice) — posting replies for `--write-seconds` (default 15) as a browser does
(not the test client): the form with its CSRF token and a fresh submission key, to a random
open thread. Each POST's time to its redirect is a write. `acked_writes` counts them, and
`lost_writes` / `duplicate_writes` check afterwards that each is saved exactly once.

`--profile PAGE` builds only the big co-op (`--profile-size small` for the other) on the
first database asked for, and prints the 25 functions with the most cumulative time over five
requests of that page (cProfile, through the test client) on stderr; nothing is served.
"""
import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import create_engine, func, insert, select, text, update

from app.accounts.models import User
from app.archive import comments as archive_comments
from app.archive import threads as archive_threads
from app.archive.models import REACTIONS, Comment, Reaction, ReadState, Thread
from app.core.config import Config, from_env
from app.core.database import utcnow
from app.core.events import Event
from app.core.extensions import db
from app.core.markdown import render
from app.core.revisions import Revision
from app.decisions import rules
from app.decisions.closing import close
from app.decisions.models import STOPPING, Action, Outcome, Participation, Proposal, Vote
from app.decisions.outcomes import ActionDraft, record_outcome
from app.decisions.proposals import Draft, propose
from app.decisions.votes import cast_vote
from app.groups import services as groups
from app.groups.mentions import render_in
from app.groups.models import Membership
from app.labour import assignments as care_slots
from app.labour import planning, rota
from app.labour.models import (Absence, Assignment, CareTask, LedgerEntry, LoggedCare, Swap, Thanks,
                               Willingness)
from app.labour.periods import PERIOD_DAYS, occurs, rota_of
from app.notifications.models import Notification
from app.search import service
from app.web import create_app
from bench import PASSWORD, QueryCounter, bench_app, login, make_users, note
from bench.archive import SENTENCES, parent_for
from bench.decisions import REASONS, STATEMENTS, TOPICS, _votes_for
from bench.faults import Browser
from bench.search import postgres_url

PAGES = ("home", "threads", "thread_100", "thread_1300", "timeline", "decisions", "proposal", "register",
         "needs_me", "care", "rota", "fairness", "search", "notifications")
VIEWER = "member007"  # a plain member: writes, votes, does care work, reads everything a member reads
WORD = "budget"  # in one of the comment sentences: a word with very many hits in the big co-op
SLUG = "riverside"
BATCH = 5000
WORKERS = 2
WRITE_WORKERS = 4
WRITERS = 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Shape:
    members: int
    threads: int
    comments: int
    proposals: int
    weeks: int
    tasks: int
    long_threads: tuple[int, int] = (100, 1300)  # the two long threads' comment counts
    # `comments`: in the other threads, besides the long two


SMALL = Shape(members=12, threads=30, comments=600, proposals=20, weeks=8, tasks=5)
BIG = Shape(members=200, threads=5000, comments=98_600, proposals=1000, weeks=104, tasks=20)


def scaled(factor: float) -> Shape:
    """The big co-op at `factor` of its size, never smaller than the small one."""
    if factor >= 1:
        return BIG
    def at_least(big: int, small: int) -> int:
        return max(small, round(big * factor))
    return Shape(members=at_least(BIG.members, SMALL.members), threads=at_least(BIG.threads, SMALL.threads),
                 comments=at_least(BIG.comments, SMALL.comments), proposals=at_least(BIG.proposals, SMALL.proposals),
                 weeks=at_least(BIG.weeks, SMALL.weeks), tasks=at_least(BIG.tasks, SMALL.tasks))


def emit(database: str, metric: str, value, unit: str) -> None:
    print(json.dumps({"bench": "pages", "db": database, "metric": metric, "value": value, "unit": unit}), flush=True)


# ==================================================================== building a co-op


class Ids:
    """Explicit primary keys for bulk rows that other bulk rows point at (comments at their
    parent, ledger entries at their slot). PostgreSQL's sequences are moved past them after."""

    def __init__(self, model):
        self.next = (db.session.scalar(select(func.max(model.id))) or 0) + 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])


def move_sequences_on() -> None:
    """After explicit ids, PostgreSQL's sequences must start past them (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("threads", "comments", "proposals", "outcomes", "assignments", "absences", "logged_care"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


class Builder:
    """One co-op, built in the order time runs: people, the group and its rota; then the history
    in bulk; then today's activity through the services."""

    def __init__(self, shape: Shape, seed: int = 18):
        self.shape = shape
        self.rng = random.Random(seed)
        self.now = utcnow()
        self.start = self.now - timedelta(days=PERIOD_DAYS * shape.weeks)
        self.events: list[dict] = []
        self.notifications: list[dict] = []
        self.revisions: list[dict] = []

    def at(self, fraction: float):
        """A moment in the co-op's history, 0 = its start, 1 = now."""
        return self.start + (self.now - self.start) * fraction

    def event(self, kind: str, actor_id, target_type, target_id, when, **payload) -> None:
        self.events.append(dict(group_id=self.group.id, actor_id=actor_id, kind=kind, target_type=target_type,
                                target_id=target_id, created_at=when, payload=payload))

    # ---------------------------------------------------------------- structure

    def people_and_group(self) -> None:
        shape = self.shape
        self.people = make_users([f"member{i:03d}" for i in range(shape.members)])
        db.session.commit()
        self.ids = [p.id for p in self.people]
        self.viewer = next(p for p in self.people if p.handle == VIEWER)
        self.admin = self.people[0]
        self.facilitators = self.people[1:3]
        self.group = groups.create_group(self.admin, "Riverside Co-op", SLUG, "We run the market together.",
                                         "private")
        joined = self.start - timedelta(days=30)
        self.group.created_at = joined
        db.session.execute(update(Event).where(Event.group_id == self.group.id).values(created_at=joined))
        rows = []
        for i, person in enumerate(self.people[1:], start=1):
            role = "facilitator" if person in self.facilitators else "member"
            capacity = self.rng.choice((100, 100, 100, 80, 50))
            rows.append(dict(group_id=self.group.id, user_id=person.id, role=role, capacity_percent=capacity,
                             joined_at=joined + timedelta(hours=i)))
            self.event("member.joined", person.id, "user", person.id, joined + timedelta(hours=i),
                       name=person.display_name, role=role, via="invitation")
        bulk(Membership, rows)
        db.session.commit()
        self.names = {p.id: p.display_name for p in self.people}

    def rota_and_tasks(self) -> None:
        """The rota through the service, started `weeks` ago; every member in the ledger from week 0."""
        shape = self.shape
        planning.set_up(self.facilitators[0], self.group, self.start.date(), periods_ahead=8, starter=True)
        self.rota = rota_of(self.group)
        db.session.execute(update(LedgerEntry).where(LedgerEntry.group_id == self.group.id, LedgerEntry.kind == "join")
                           .values(period=0, created_at=self.start))
        db.session.execute(update(Event).where(Event.group_id == self.group.id, Event.kind == "care.rota_started")
                           .values(created_at=self.start))
        extra = ["Open the shop", "Close the shop", "Order vegetables", "Clean the kitchen", "Water the garden",
                 "Bike deliveries", "Check the accounts", "Newsletter", "Fix things", "Sort donations",
                 "Call suppliers", "Laundry", "Take out recycling", "Stock the shelves", "Visit older members"]
        categories = ("logistics", "tidying", "logistics", "tidying", "other", "logistics", "meetings",
                      "welcome", "other", "tidying", "logistics", "tidying", "tidying", "logistics", "wellbeing")
        for i in range(max(0, shape.tasks - 5)):
            db.session.add(CareTask(
                group_id=self.group.id,
                name=extra[i % len(extra)] + (f" {i // len(extra) + 1}" if i >= len(extra) else ""),
                category=categories[i % len(categories)], effort=self.rng.randint(1, 5),
                recurrence=self.rng.choice(("every", "every", "every", "every_2nd", "monthly")),
                people_needed=self.rng.choice((1, 1, 1, 2, 2, 3)) if shape.members > 50 else 1,
                description="As the handbook says.", starts_period=0))
        db.session.flush()
        db.session.execute(update(CareTask).where(CareTask.group_id == self.group.id).values(starts_period=0))
        db.session.commit()
        self.tasks = list(db.session.scalars(select(CareTask).where(CareTask.group_id == self.group.id)
                                             .order_by(CareTask.id)))
        self.capacity = {m.user_id: m.capacity_percent for m in db.session.scalars(
            select(Membership).where(Membership.group_id == self.group.id))}

    # ---------------------------------------------------------------- the archive

    def bodies(self) -> list[tuple[str, str]]:
        """A pool of comment texts, each rendered once (markdown, as the services store it)."""
        pool = []
        for _ in range(300):
            paragraphs = [" ".join(self.rng.sample(SENTENCES, self.rng.randint(1, 3)))
                          for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3)))]
            if self.rng.random() < 0.12:
                paragraphs.append("\n".join(f"- {s}" for s in self.rng.sample(SENTENCES, 3)))
            body = "\n\n".join(paragraphs)
            pool.append((body, render_in(self.group, body)[0]))
        return pool

    def archive(self) -> None:
        """Threads (proposals' included) and their comments, as one time-ordered history."""
        shape, rng = self.shape, self.rng
        pool = self._pool = self.bodies()
        thread_ids = Ids(Thread)
        topics = TOPICS + ["Saturday market", "Kitchen rota", "Budget for next year", "Garden plots",
                           "Welcome evening", "Bike repairs", "회의록 공유", "장보기 당번"]
        started = sorted(self.at(rng.random() * 0.97) for _ in range(shape.threads))
        self.thread_rows = []
        for i, created in enumerate(started):  # ids in time order, as threads get them
            body, html = rng.choice(pool)
            self.thread_rows.append(dict(
                id=thread_ids.take(), group_id=self.group.id, author_id=rng.choice(self.ids),
                title=f"{rng.choice(topics)} ({i + 1})", body_md=body, body_html=html, pinned=i in (5, 9),
                closed=rng.random() < 0.03, created_at=created, last_activity_at=created,
                comment_count=0, last_comment_id=None))
        # The two long threads run through most of the history and stay open.
        long_ones = self.thread_rows[1:3]
        for row, count in zip(long_ones, shape.long_threads):
            row["closed"] = False
            row["title"] = f"Our long conversation ({count} comments)"
        self.long_thread_ids = [t["id"] for t in long_ones]
        counts = self._comment_counts(len(self.thread_rows) - 2, shape.comments)
        counts = counts[:1] + list(shape.long_threads) + counts[1:]
        comments = []
        for row, count in zip(self.thread_rows, counts):
            comments += self._conversation(row, count)
        comments.sort(key=lambda c: c["created_at"])
        comment_ids = Ids(Comment)
        for c in comments:
            c["id"] = comment_ids.take()
        for c in comments:  # parents were earlier in the same thread, so they have their ids by now
            parent = c["_parent"]
            c["parent_id"] = parent["id"] if parent is not None else None
        self.comments = comments
        self._keep_threads_in_step(comments)
        bulk(Thread, self.thread_rows)
        bulk(Comment, [{k: v for k, v in c.items() if not k.startswith("_")} for c in comments])
        self._archive_history(comments)
        db.session.commit()

    def _comment_counts(self, threads: int, total: int) -> list[int]:
        """How many comments each ordinary thread has: most a few, some many (capped at 300)."""
        weights = [min(self.rng.paretovariate(1.2), 60) for _ in range(threads)]
        whole = sum(weights)
        counts = [min(300, int(total * w / whole)) for w in weights]
        while sum(counts) < total:  # the rounding's remainder, spread at random
            i = self.rng.randrange(threads)
            counts[i] += counts[i] < 300
        return counts

    def _conversation(self, thread: dict, count: int) -> list[dict]:
        rng = self.rng
        span = (self.now - thread["created_at"]).total_seconds()
        if thread["id"] not in self.long_thread_ids:
            span = min(span, rng.choice((3, 7, 14, 30, 60)) * 86400.0)  # most conversations last days or weeks
        times = sorted(rng.random() for _ in range(count))
        made: list[dict] = []
        pool = self._pool
        for k in range(count):
            when = thread["created_at"] + timedelta(seconds=span * times[k] * 0.995 + 60)
            ids = list(range(len(made)))
            parent_index = parent_for(rng, ids)
            body, html = rng.choice(pool)
            made.append(dict(thread_id=thread["id"], author_id=rng.choice(self.ids), body_md=body, body_html=html,
                             created_at=when, deleted_at=when + timedelta(hours=2) if rng.random() < 0.01 else None,
                             _parent=made[parent_index] if parent_index is not None else None,
                             _title=thread["title"], _thread_author=thread["author_id"]))
        return made

    def _keep_threads_in_step(self, comments: list[dict]) -> None:
        """comment_count (not deleted), last_comment_id and last_activity_at, as add_comment keeps them."""
        by_id = {t["id"]: t for t in self.thread_rows}
        for c in comments:  # in id order: the last one seen is the newest
            t = by_id[c["thread_id"]]
            t["comment_count"] += c["deleted_at"] is None
            t["last_comment_id"] = c["id"]
            t["last_activity_at"] = c["created_at"]

    def _archive_history(self, comments: list[dict]) -> None:
        rng = self.rng
        for t in self.thread_rows:
            self.event("thread.started", t["author_id"], "thread", t["id"], t["created_at"], title=t["title"])
            self.revisions.append(dict(target_type="thread", target_id=t["id"], number=1, author_id=t["author_id"],
                                       title=t["title"], body_md=t["body_md"], created_at=t["created_at"]))
        reactions, read_recently = [], self.now - timedelta(days=14)
        for c in comments:
            self.event("comment.added", c["author_id"], "comment", c["id"], c["created_at"], title=c["_title"],
                       thread_id=c["thread_id"])
            if c["deleted_at"] is not None:
                self.event("comment.deleted", c["author_id"], "comment", c["id"], c["deleted_at"], title=c["_title"],
                           thread_id=c["thread_id"])
            self.revisions.append(dict(target_type="comment", target_id=c["id"], number=1, author_id=c["author_id"],
                                       body_md=c["body_md"], created_at=c["created_at"]))
            parent = c["_parent"]
            replied_to = parent["author_id"] if parent is not None else c["_thread_author"]
            if replied_to and replied_to != c["author_id"]:
                self.notifications.append(dict(
                    user_id=replied_to, group_id=self.group.id, actor_id=c["author_id"], kind="reply",
                    target_type="comment", target_id=c["id"], created_at=c["created_at"],
                    payload={"title": c["_title"], "thread_id": c["thread_id"]},
                    read_at=c["created_at"] + timedelta(hours=20) if c["created_at"] < read_recently else None))
            long = c["thread_id"] in self.long_thread_ids
            if c["deleted_at"] is None and rng.random() < (0.3 if long else 0.05):
                for who, kind in zip(rng.sample(self.ids, rng.randint(1, 3)), rng.sample(REACTIONS, 3)):
                    reactions.append(dict(target_type="comment", target_id=c["id"], user_id=who, kind=kind,
                                          created_at=c["created_at"] + timedelta(hours=1)))
        bulk(Reaction, reactions)
        self._read_state(comments)

    def _read_state(self, comments: list[dict]) -> None:
        """The viewer has opened most threads: most read to the end, some partly (the long ones
        with their last 20 comments unread)."""
        rng = self.rng
        by_thread: dict[int, list[int]] = {}
        for c in comments:
            by_thread.setdefault(c["thread_id"], []).append(c["id"])
        rows = []
        for t in self.thread_rows:
            ids = by_thread.get(t["id"], [])
            if t["id"] in self.long_thread_ids:
                seen = ids[max(0, len(ids) - 21)] if ids else 0
            elif rng.random() < 0.15:
                continue  # never opened
            elif ids and rng.random() < 0.25:
                seen = ids[rng.randrange(len(ids))]
            else:
                seen = ids[-1] if ids else 0
            rows.append(dict(user_id=self.viewer.id, thread_id=t["id"], last_seen_comment_id=seen,
                             seen_at=t["last_activity_at"]))
        bulk(ReadState, rows)

    # ---------------------------------------------------------------- decisions

    def decisions(self) -> None:
        """Closed proposals (with outcomes, some with actions) and a few open ones, each in a
        thread of its own (taken from the archive's threads, as `propose` starts one)."""
        shape, rng = self.shape, self.rng
        count = min(shape.proposals, len(self.thread_rows) - 3)
        threads = rng.sample([t for t in self.thread_rows if t["id"] not in self.long_thread_ids], count)
        self._statement_html = {s: str(render(s)) for s in STATEMENTS}
        proposal_ids, outcome_ids = Ids(Proposal), Ids(Outcome)
        open_count = max(2, min(19, count // 20))
        rows, votes, took_part, outcomes, actions = [], [], [], [], []
        others = [p for p in self.people if p is not self.viewer]
        for i, t in enumerate(sorted(threads, key=lambda t: t["created_at"])):
            is_open = i >= count - open_count
            kind = "consent" if is_open else rng.choices(("consent", "consensus", "advice"), weights=(75, 20, 5))[0]
            opened_at = self.now - timedelta(days=rng.randint(0, 2)) if is_open else t["created_at"]
            closed_at = None if is_open else min(opened_at + timedelta(days=3), self.now - timedelta(hours=1))
            p = SimpleNamespace(id=proposal_ids.take(), anonymous=False, ballot_key=None, opened_at=opened_at)
            row = dict(id=p.id, group_id=self.group.id, thread_id=t["id"], author_id=t["author_id"], title=t["title"],
                       body_md=t["body_md"], body_html=t["body_html"], kind=kind,
                       status="open" if is_open else "closed",
                       quorum_percent=rng.choice((0, 0, 30, 50)), created_at=opened_at, opened_at=opened_at,
                       closes_at=(self.now + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 23)) if is_open
                                  else closed_at),
                       closed_at=closed_at, eligible_count=None if is_open else shape.members,
                       result=None, result_detail={})
            voters = rng.sample(others, rng.randint(2, max(2, min(len(others), 45 if not is_open else 15))))
            if rng.random() < (0.6 if not is_open else 0.25):
                voters[0] = self.viewer
            when = opened_at + timedelta(hours=1)
            v, part = _votes_for(rng, p, kind, voters, 1, not is_open, when)
            votes += v
            took_part += part
            self.event("proposal.opened", t["author_id"], "proposal", p.id, opened_at, title=t["title"],
                       thread_id=t["id"], process=kind)
            self.revisions.append(dict(target_type="proposal", target_id=p.id, number=1, author_id=t["author_id"],
                                       title=t["title"], body_md=t["body_md"], created_at=opened_at))
            for member in self.ids:
                if member != t["author_id"]:
                    self.notifications.append(dict(
                        user_id=member, group_id=self.group.id, actor_id=t["author_id"], kind="proposal",
                        target_type="proposal", target_id=p.id, created_at=opened_at, payload={"title": t["title"]},
                        read_at=opened_at + timedelta(days=1) if not is_open else None))
            if not is_open:
                self._closed(rng, row, v, outcome_ids, outcomes, actions)
            rows.append(row)
        bulk(Proposal, rows)
        bulk(Vote, votes)
        bulk(Participation, took_part)
        bulk(Outcome, outcomes)
        bulk(Action, actions)
        db.session.commit()
        self.proposal_count = len(rows)

    def _closed(self, rng, row: dict, votes: list[dict], outcome_ids: Ids, outcomes: list, actions: list) -> None:
        ballots = [rules.Ballot(v["choice"], (), v["choice"] in STOPPING and v["objection_state"] == "open")
                   for v in votes]
        result = rules.decide(row["kind"], ballots, self.shape.members, row["quorum_percent"])
        row["result"], row["result_detail"] = result.outcome, result.as_dict()
        closer = rng.choice(self.facilitators).id
        self.event("proposal.closed", closer, "proposal", row["id"], row["closed_at"], title=row["title"],
                   result=result.outcome, thread_id=row["thread_id"])
        statement = rng.choice(STATEMENTS)
        outcome_id = outcome_ids.take()
        recorded = row["closed_at"] + timedelta(hours=rng.randint(1, 40))
        recorded = min(recorded, self.now - timedelta(minutes=30))
        verdict = "decided" if row["kind"] == "advice" else result.outcome
        outcomes.append(dict(id=outcome_id, proposal_id=row["id"], group_id=self.group.id, statement_md=statement,
                             statement_html=self._statement_html[statement], result=verdict,
                             review_on=(row["closed_at"] + timedelta(days=rng.choice((90, 180, 365)))).date()
                             if rng.random() < 0.3 else None,
                             recorded_by_id=closer, recorded_at=recorded))
        self.event("outcome.recorded", closer, "outcome", outcome_id, recorded, title=row["title"], result=verdict,
                   proposal_id=row["id"], thread_id=row["thread_id"])
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 2)):
                owner = self.viewer.id if rng.random() < 0.05 else rng.choice(self.ids)
                actions.append(dict(outcome_id=outcome_id, owner_id=owner,
                                    description=rng.choice(("Tell the suppliers", "Update the handbook",
                                                            "Book the hall", "Ask the treasurer", "회의록에 기록하기")),
                                    due_on=(row["closed_at"] + timedelta(days=rng.randint(7, 60))).date(),
                                    done_at=recorded + timedelta(days=5) if rng.random() < 0.7 else None))

    # ---------------------------------------------------------------- care work

    def care(self) -> None:
        """Every past week of the rota as it went: the plan by the rota's own rule (largest deficit
        first), then what people did with it, each with its ledger entry and timeline event."""
        rng, shape = self.rng, self.shape
        willing_rows, willing = [], {}
        for m in self.ids:
            for t in self.tasks:
                roll = rng.random()
                level = rota.CANNOT if roll < 0.02 else rota.RATHER_NOT if roll < 0.07 else None
                if level:
                    willing[(m, t.id)] = level
                    willing_rows.append(dict(group_id=self.group.id, user_id=m, task_id=t.id, level=level))
        bulk(Willingness, willing_rows)
        self.ledger: list[dict] = []
        away = self._absences()
        slot_ids, swap_rows = Ids(Assignment), []
        slots: list[dict] = []
        state = rota.State()
        for period in range(shape.weeks):
            capacity = {m: Fraction(0) if m in away.get(period, ()) else Fraction(c, 100)
                        for m, c in self.capacity.items()}
            tasks = [rota.Task(t.id, t.effort, t.category, t.people_needed) for t in self.tasks
                     if occurs(t, self.rota, period)]
            begins = self.start + timedelta(days=PERIOD_DAYS * period)
            for pick in rota.assign_period(rota.Period(period, capacity, tasks), state, willing, self.rota.seed):
                slots += self._week_slot(period, begins, pick, slot_ids, swap_rows, capacity)
        bulk(Assignment, slots)
        bulk(Swap, swap_rows)
        self._logged_care_and_thanks(slots)
        bulk(LedgerEntry, self.ledger)
        db.session.commit()
        self.past_slots = len(slots)

    def _absences(self) -> dict[int, set[int]]:
        rng, away = self.rng, {}
        absence_ids, rows = Ids(Absence), []
        for m in rng.sample(self.ids, max(1, len(self.ids) // 12)):
            first = rng.randrange(max(1, self.shape.weeks - 3))
            last = min(self.shape.weeks - 1, first + rng.randint(0, 2))
            absence_id = absence_ids.take()
            starts = (self.start + timedelta(days=PERIOD_DAYS * first)).date()
            ends = (self.start + timedelta(days=PERIOD_DAYS * last + 6)).date()
            rows.append(dict(id=absence_id, group_id=self.group.id, user_id=m, starts_on=starts, ends_on=ends,
                             note="Away", created_at=self.at(first / self.shape.weeks) - timedelta(days=7)))
            self.ledger.append(dict(group_id=self.group.id, kind="absence", user_id=m, period=first, until=last,
                                    ref_id=absence_id, actor_id=m, created_at=rows[-1]["created_at"]))
            self.event("care.absence", m, "absence", absence_id, rows[-1]["created_at"], name=self.names[m])
            for p in range(first, last + 1):
                away.setdefault(p, set()).add(m)
        bulk(Absence, rows)
        return away

    def _week_slot(self, period: int, begins, pick, slot_ids: Ids, swap_rows: list, capacity) -> list[dict]:
        """One planned slot of a past week and what became of it: mostly done, sometimes swapped
        first, missed (and re-offered, then taken and done) or skipped."""
        rng, gid = self.rng, self.group.id
        task = next(t for t in self.tasks if t.id == pick.task_id)
        reason = {"available": pick.available,
                  "ranked": [{"member_id": c.member_id, "balance": str(c.balance), "rather_not": c.rather_not,
                              "since": c.since_category} for c in pick.ranked]}
        ends = begins + timedelta(days=PERIOD_DAYS - 1)
        row = dict(id=slot_ids.take(), group_id=gid, task_id=pick.task_id, period=period, slot=pick.slot,
                   user_id=pick.member_id, effort=pick.effort, reason=reason, created_at=begins - timedelta(days=7),
                   updated_at=ends, status="done", done_by_id=pick.member_id)
        made, roll = [row], rng.random()
        present = [m for m, c in capacity.items() if c > 0 and m != pick.member_id]
        if roll < 0.05 and present:  # swapped before the week, then done by the one who took it
            taker = rng.choice(present)
            swap_rows.append(dict(assignment_id=row["id"], from_user_id=pick.member_id, to_user_id=taker, kind="swap",
                                  status="accepted", taken_by_id=taker, created_at=begins - timedelta(days=3),
                                  resolved_at=begins - timedelta(days=2)))
            self.ledger.append(dict(group_id=gid, kind="swap", user_id=taker, period=period, ref_id=row["id"],
                                    actor_id=taker, note=f"from {pick.member_id}",
                                    created_at=begins - timedelta(days=2)))
            self.event("care.swap_accepted", taker, "swap", None, begins - timedelta(days=2), task=task.name)
            row["user_id"] = row["done_by_id"] = taker
        elif roll < 0.08 and present:  # missed: the work offered again, taken by someone, done
            row["status"], row["done_by_id"] = "missed", None
            self.ledger.append(dict(group_id=gid, kind="miss", user_id=pick.member_id, period=period,
                                    ref_id=row["id"], actor_id=pick.member_id, created_at=ends))
            self.event("care.missed", pick.member_id, "assignment", row["id"], ends, task=task.name)
            taker = rng.choice(present)
            again = dict(id=slot_ids.take(), group_id=gid, task_id=pick.task_id, period=period, slot=pick.slot + 50,
                         user_id=taker, effort=pick.effort, reason={"reoffered_from": row["id"]},
                         created_at=ends, updated_at=ends, status="done", done_by_id=taker)
            made.append(again)
            swap_rows.append(dict(assignment_id=again["id"], from_user_id=pick.member_id, to_user_id=None,
                                  kind="offer", status="accepted", taken_by_id=taker, created_at=ends,
                                  resolved_at=ends))
            self.ledger.append(dict(group_id=gid, kind="offer", user_id=taker, period=period, ref_id=again["id"],
                                    actor_id=taker, note="reoffered", created_at=ends))
            row = again
        elif roll < 0.10:
            row["status"], row["done_by_id"] = "skipped", None
            self.ledger.append(dict(group_id=gid, kind="skip", user_id=pick.member_id, period=period,
                                    ref_id=row["id"], actor_id=self.facilitators[0].id, created_at=ends))
            self.event("care.skipped", self.facilitators[0].id, "assignment", row["id"], ends, task=task.name)
            return made
        self.ledger.append(dict(group_id=gid, kind="done", user_id=row["done_by_id"], period=period,
                                effort=row["effort"], ref_id=row["id"], actor_id=row["done_by_id"], created_at=ends))
        self.event("care.done", row["done_by_id"], "assignment", row["id"], ends, task=task.name,
                   name=self.names[row["done_by_id"]])
        return made

    def _logged_care_and_thanks(self, slots: list[dict]) -> None:
        rng, gid = self.rng, self.group.id
        care_ids, cares, thanks = Ids(LoggedCare), [], []
        per_week = max(1, len(self.ids) // 25)
        for period in range(self.shape.weeks):
            begins = self.start + timedelta(days=PERIOD_DAYS * period)
            for _ in range(per_week):
                who, confirmer = rng.sample(self.ids, 2)
                done_on = (begins + timedelta(days=rng.randrange(PERIOD_DAYS))).date()
                effort = rng.randint(1, 4)
                recent = period >= self.shape.weeks - 1
                care_id = care_ids.take()
                confirmed = None if recent and rng.random() < 0.5 else begins + timedelta(days=PERIOD_DAYS)
                confirmed = min(confirmed, self.now - timedelta(minutes=5)) if confirmed else None
                cares.append(dict(id=care_id, group_id=gid, user_id=who, effort=effort, done_on=done_on,
                                  description=rng.choice(("Fixed the leaking tap", "Drove Mrs Kim to the clinic",
                                                          "Sorted the donations", "장보기 대신 다녀왔어요")),
                                  category=rng.choice(("other", "wellbeing", "logistics")),
                                  confirmed_by_id=confirmer if confirmed else None, confirmed_at=confirmed,
                                  created_at=begins + timedelta(days=1)))
                self.event("care.logged", who, "loggedcare", care_id, begins + timedelta(days=1),
                           description=cares[-1]["description"], effort=effort)
                if confirmed:
                    self.ledger.append(dict(group_id=gid, kind="logged_care", user_id=who, period=period, effort=effort,
                                            ref_id=care_id, actor_id=confirmer, created_at=confirmed))
                    self.event("care.confirmed", confirmer, "loggedcare", care_id, confirmed,
                               description=cares[-1]["description"], name=self.names[who])
        done = [s for s in slots if s["status"] == "done"]
        for s in rng.sample(done, min(len(done), self.shape.weeks * 2)):
            giver = rng.choice([m for m in self.ids if m != s["done_by_id"]])
            thanks.append(dict(group_id=gid, from_user_id=giver, to_user_id=s["done_by_id"], assignment_id=s["id"],
                               message="Thank you!", created_at=s["updated_at"] + timedelta(hours=3)))
        bulk(LoggedCare, cares)
        bulk(Thanks, thanks)

    # ---------------------------------------------------------------- the history, then today

    def history(self) -> None:
        """The timeline in time order (so newer events have higher ids), revisions, notifications."""
        self.events.sort(key=lambda e: e["created_at"])
        bulk(Event, self.events)
        bulk(Revision, self.revisions)
        self.notifications.sort(key=lambda n: n["created_at"])
        bulk(Notification, self.notifications)
        db.session.commit()

    def today(self) -> dict:
        """What happens now, through the services: the future planned, a swap asked for, two new
        threads with replies, an open proposal with ~40 votes, a closed one with its outcome."""
        rng, group, people, viewer = self.rng, self.group, self.people, self.viewer
        planning.generate(self.facilitators[0], group)
        mine = db.session.scalar(select(Assignment).where(
            Assignment.group_id == group.id, Assignment.user_id == viewer.id, Assignment.status == "assigned",
            Assignment.period > self.shape.weeks).order_by(Assignment.period))
        if mine is not None:
            care_slots.request_swap(viewer, mine, None)
        for n in range(2):
            thread = archive_threads.start_thread(rng.choice(people), group, f"This week {n + 1}",
                                                  f"What do we need for the {WORD} meeting?", ["bench"])
            ids = []
            for _ in range(8):
                comment = archive_comments.add_comment(rng.choice(people), thread, rng.choice(SENTENCES),
                                                       parent_for(rng, ids))
                ids.append(comment.id)
        author = people[3]
        target = propose(author, group, Draft(
            title="Share the Saturday set-up between two teams",
            body="From next month **two teams** alternate the Saturday set-up.\n\n- Team A: 1st and 3rd\n"
                 "- Team B: 2nd and 4th\n\nWe review it after three months.", days=5))
        voters = [viewer] + [p for p in people if p not in (author, viewer)][:39]
        for i, person in enumerate(voters):
            if i % 9 == 4:
                cast_vote(person, target, "concern", rng.choice(REASONS))
            else:
                cast_vote(person, target, "consent", "" if i % 4 else "Safe enough to try.")
        done = propose(people[4], group, Draft(title="Adopt the new cleaning checklist",
                                                body="Use the checklist from the handbook.", days=3))
        for person in people[5:min(len(people), 30)]:
            cast_vote(person, done, "consent")
        close(self.facilitators[0], done)
        record_outcome(self.facilitators[0], done, STATEMENTS[0], "adopted", (self.now + timedelta(days=60)).date(), [
            ActionDraft("Print the checklist for the kitchen", viewer.id, (self.now + timedelta(days=7)).date())])
        return {"proposal": target.id}


def build(shape: Shape, seed: int = 18) -> dict:
    """Builds a co-op of this shape in the current app context; returns the measured pages' URLs
    and the viewer's email."""
    b = Builder(shape, seed)
    b.people_and_group()
    b.rota_and_tasks()
    b.archive()
    b.decisions()
    b.care()
    b.history()
    move_sequences_on()
    db.session.commit()
    made = b.today()
    short, long = b.long_thread_ids
    return {
        "viewer": b.viewer.email,
        "members": [p.email for p in b.people if p is not b.viewer][:WRITERS],
        "thread_ids": [t["id"] for t in b.thread_rows if not t["closed"]],
        "urls": {
            "home": f"/g/{SLUG}", "threads": f"/g/{SLUG}/threads", "thread_100": f"/t/{short}",
            "thread_1300": f"/t/{long}", "timeline": f"/g/{SLUG}/timeline", "decisions": f"/g/{SLUG}/decisions",
            "proposal": f"/p/{made['proposal']}", "register": f"/g/{SLUG}/register", "needs_me": "/needs-me",
            "care": f"/g/{SLUG}/care", "rota": f"/g/{SLUG}/care/rota", "fairness": f"/g/{SLUG}/care/fairness",
            "search": f"/search?q={WORD}", "notifications": "/notifications",
        },
    }


def built(app, shape: Shape, label: str, index: bool = True) -> dict:
    """Builds (timed, noted) and indexes for search."""
    began = time.perf_counter()
    with app.test_request_context():
        made = build(shape)
    built_s = time.perf_counter() - began
    with app.app_context():
        if index:
            service.rebuild()
        counts = {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in
                  (("threads", Thread), ("comments", Comment), ("proposals", Proposal), ("events", Event),
                   ("assignments", Assignment), ("ledger entries", LedgerEntry), ("notifications", Notification))}
        db.session.remove()
    note(f"{label}: built in {built_s:.0f} s, indexed in {time.perf_counter() - began - built_s:.0f} s: "
         + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    made["build_s"] = built_s
    return made


# ==================================================================== serving and measuring


def served_app():
    """What gunicorn serves (`bench.pages:served_app()`): production settings (CSRF on) on the
    bench's database, instance folder and secret key (votes are keyed with it), without the
    login rate limit, with cookies over plain http (loopback has no TLS)."""
    settings = from_env(Config)
    settings.update(SQLALCHEMY_DATABASE_URI=os.environ["BENCH_PAGES_URL"], RATELIMIT_ENABLED=False,
                    CANOE_ENV="development", SECRET_KEY=os.environ["BENCH_PAGES_SECRET"],
                    CANOE_SEARCH_BACKEND="whoosh", CANOE_SEARCH_SYNC=True)
    app = create_app(settings)
    app.instance_path = os.environ["BENCH_PAGES_INSTANCE"]
    return app


def reference_app():
    """The yardstick (`bench.pages:reference_app()`): a bare Flask app with a hello-world route
    and a route making one SQLAlchemy query on the same database."""
    app = Flask("reference")
    engine = create_engine(os.environ["BENCH_PAGES_URL"])
    users = User.__table__

    @app.route("/hello")
    def hello():
        return "Hello, world!"

    @app.route("/one-query")
    def one_query():
        with engine.connect() as conn:
            name = conn.execute(select(users.c.display_name).where(users.c.id == 1)).scalar()
        return f"Hello, {name}!"

    return app


def serve(target: str, url: str, instance: str, secret: str, workers: int) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BENCH_PAGES_URL": url, "BENCH_PAGES_INSTANCE": instance, "BENCH_PAGES_SECRET": secret,
           "SECRET_KEY": secret}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", target],
        env=env, cwd=Path(__file__).resolve().parent.parent)
    probe_path = "/hello" if "reference" in target else "/healthz"
    for _ in range(300):
        try:
            if fetch(port, probe_path, "")[0] == 200:
                return server, port
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit(f"bench.pages: gunicorn did not start {target}")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def fetch(port: int, path: str, cookie: str, connection=None, form: dict | None = None):
    """(status, headers, body) of one request."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST", path, urllib.parse.urlencode(form), headers)
    else:
        conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, response.headers, body


def http_login(port: int, email: str) -> str:
    """Logs in through the form; returns the Cookie header that carries the session."""
    jar: dict[str, str] = {}

    def keep(headers) -> None:
        for value in headers.get_all("Set-Cookie") or ():
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]

    def cookie() -> str:
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    _status, headers, page = fetch(port, "/login", "")
    keep(headers)
    token = CSRF.search(page.decode()).group(1)
    status, headers, _ = fetch(port, "/login", cookie(), form={"email": email, "password": PASSWORD,
                                                                 "csrf_token": token})
    keep(headers)
    if status not in (302, 303):
        raise SystemExit(f"bench.pages: could not log in as {email} (HTTP {status})")
    return cookie()


class Failed(Exception):
    """A page answered something else than 200: it is reported, left out, and the run exits 1."""


@dataclass
class Load:
    rps: float
    p50: float
    p99: float
    bytes: int


def hammer(port: int, path: str, cookie: str, requests: int, clients: int, warmup: int = 0) -> Load:
    """`requests` GETs from `clients` threads, each on its own connection (reopened when the server closes it)."""
    for _ in range(warmup):
        fetch(port, path, cookie)
    times: list[float] = []
    sizes: list[int] = []
    failures: Counter = Counter()
    left = [requests]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            began = time.perf_counter()
            try:
                status, _headers, body = fetch(port, path, cookie, connection=conn)
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    failures[error.__class__.__name__] += 1
                continue
            took = (time.perf_counter() - began) * 1000
            with lock:
                if status != 200:
                    failures[status] += 1
                times.append(took)
                sizes.append(len(body))
        conn.close()

    began = time.perf_counter()
    crew = [threading.Thread(target=client) for _ in range(clients)]
    for person in crew:
        person.start()
    for person in crew:
        person.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise Failed(f"GET {path} failed: {dict(failures)}")
    times.sort()
    return Load(round(len(times) / elapsed, 1), round(statistics.median(times), 1),
                round(times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)], 1), max(sizes))


def count_queries(app, email: str, urls: dict) -> dict[str, int]:
    """SQL statements per page, in this process through the test client: one request after a warm-up."""
    client = login(app, email)
    with app.app_context():
        engine = db.engine
    counted = {}
    for page, url in urls.items():
        client.get(url).close()
        with QueryCounter(engine) as counter:
            response = client.get(url)
            response.close()
        counted[page] = counter.count if response.status_code == 200 else None
    return counted


def profile(app, email: str, url: str) -> None:
    client = login(app, email)
    client.get(url).close()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        client.get(url).close()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    note(out.getvalue())


def database_url(app) -> str:
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    return url


def measure_pages(app, made: dict, args, reference: bool) -> dict:
    """Every page under gunicorn (and the reference routes when asked), then the query counts."""
    url = database_url(app)
    secret = app.config["SECRET_KEY"]
    found: dict = {"pages": {}}
    if reference:
        server, port = serve("bench.pages:reference_app()", url, app.instance_path, secret, WORKERS)
        try:
            found["hello"] = hammer(port, "/hello", "", args.requests * 20, args.clients, warmup=20)
            found["one_query"] = hammer(port, "/one-query", "", args.requests * 20, args.clients, warmup=20)
        finally:
            stop(server)
    server, port = serve("bench.pages:served_app()", url, app.instance_path, secret, WORKERS)
    try:
        cookie = http_login(port, made["viewer"])
        for page, path in made["urls"].items():
            try:
                found["pages"][page] = load = hammer(port, path, cookie, args.requests, args.clients,
                                                     warmup=2 * args.clients)
            except Failed as failure:
                note(f"  FAIL {page}: {failure}")
                found["pages"][page] = None
                continue
            note(f"  {page}: {load.rps} req/s, p50 {load.p50} ms, p99 {load.p99} ms, {load.bytes / 1024:.0f} KB")
    finally:
        stop(server)
    found["queries"] = count_queries(app, made["viewer"], made["urls"])
    return found


def writes(app, made: dict, seconds: float) -> dict:
    """20 members posting replies at once for `seconds`, against 4 workers."""
    url = database_url(app)
    server, port = serve("bench.pages:served_app()", url, app.instance_path, app.config["SECRET_KEY"],
                         WRITE_WORKERS)
    times: list[float] = []
    acked: list[str] = []
    refused: Counter = Counter()
    lock = threading.Lock()
    base = f"http://127.0.0.1:{port}"
    try:
        members = made["members"]  # fewer than 20 in a scaled-down co-op: some log in twice
        people = [(members[i % len(members)], Browser(base)) for i in range(WRITERS)]
        tokens = [browser.log_in(email) for email, browser in people]
        deadline = time.monotonic() + seconds

        def writer(number: int) -> None:
            rng = random.Random(number)
            browser, token, sent = people[number][1], tokens[number], 0
            while time.monotonic() < deadline:
                sent += 1
                marker = f"pagewrite{number}x{sent}"
                form = {"csrf_token": token, "body": f"{marker} {WORD}", "submission_key": secrets.token_urlsafe(24)}
                began = time.perf_counter()
                try:
                    status, _ = browser.call(f"/t/{rng.choice(made['thread_ids'])}/comments", form, timeout=60)
                except (OSError, http.client.HTTPException) as error:
                    status = error.__class__.__name__
                took = (time.perf_counter() - began) * 1000
                with lock:
                    if status in (302, 303):
                        times.append(took)
                        acked.append(marker)
                    else:
                        refused[status] += 1

        crew = [threading.Thread(target=writer, args=(i,)) for i in range(len(people))]
        for person in crew:
            person.start()
        for person in crew:
            person.join()
    finally:
        stop(server)
    with app.app_context():
        bodies = db.session.scalars(select(Comment.body_md).where(Comment.body_md.like("pagewrite%"))).all()
        db.session.remove()
    saved = Counter(body.split()[0] for body in bodies)
    if refused:
        note(f"  writes refused: {dict(refused)}")
    times.sort()
    return {"acked": len(acked), "lost": sum(1 for m in acked if saved[m] == 0),
            "duplicates": sum(n - 1 for n in saved.values() if n > 1),
            "p50": round(statistics.median(times), 1) if times else None,
            "p99": round(times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)], 1) if times else None}


def run(name: str, url: str, args) -> bool:
    """Builds, measures and prints one database's figures; False if a page failed."""
    big = scaled(args.scale)
    results = {}
    for size, shape in (("small", SMALL), ("big", big)):
        with bench_app(url, CANOE_SEARCH_BACKEND="whoosh") as app:
            made = built(app, shape, f"{name} {size}")
            note(f"{name} {size}: measuring")
            results[size] = measure_pages(app, made, args, reference=size == "big")
            if size == "big":
                results["writes"] = writes(app, made, args.write_seconds)
                results["build_s"] = made["build_s"]
    hello = results["big"]["hello"]
    emit(name, "rps_hello", hello.rps, "req/s")
    emit(name, "rps_one_query", results["big"]["one_query"].rps, "req/s")
    failed = [page for page in PAGES if None in (results["small"]["pages"][page], results["big"]["pages"][page],
                                                 results["small"]["queries"][page], results["big"]["queries"][page])]
    for page in PAGES:
        if page in failed:
            note(f"{name}: {page} left out: it did not answer 200 every time")
            continue
        small, big_load = results["small"]["pages"][page], results["big"]["pages"][page]
        emit(name, f"ratio_hello_{page}", round(big_load.rps / hello.rps, 4), "ratio")
        emit(name, f"growth_{page}", round(big_load.p50 / small.p50, 2), "ratio")
        for size in ("small", "big"):
            load = results[size]["pages"][page]
            emit(name, f"queries_{page}_{size}", results[size]["queries"][page], "queries")
            emit(name, f"kb_{page}_{size}", round(load.bytes / 1024, 1), "KB")
            emit(name, f"rps_{page}_{size}", load.rps, "req/s")
            emit(name, f"ms_p50_{page}_{size}", load.p50, "ms")
            emit(name, f"ms_p99_{page}_{size}", load.p99, "ms")
    w = results["writes"]
    emit(name, "ms_write_p50", w["p50"], "ms")
    emit(name, "ms_write_p99", w["p99"], "ms")
    emit(name, "acked_writes", w["acked"], "replies")
    emit(name, "lost_writes", w["lost"], "replies")
    emit(name, "duplicate_writes", w["duplicates"], "replies")
    emit(name, "s_build_big", round(results["build_s"], 1), "s")
    return not failed


def databases(choice: str) -> list[tuple[str, str]]:
    found = []
    if choice in ("sqlite", "both"):
        found.append(("sqlite", ""))
    if choice in ("postgresql", "both"):
        shared = postgres_url()
        if shared:
            found.append(("postgresql", shared))
        else:
            note("PostgreSQL left out: no server")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="the big co-op's size, as a fraction (e.g. 0.05)")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per page")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--write-seconds", type=float, default=15)
    parser.add_argument("--profile", choices=PAGES, help="print the hottest functions of this page and stop")
    parser.add_argument("--profile-size", choices=("small", "big"), default="big")
    args = parser.parse_args(argv)
    chosen = databases(args.db)
    if args.profile:
        name, url = chosen[0]
        with bench_app(url, CANOE_SEARCH_BACKEND="whoosh") as app:
            made = built(app, SMALL if args.profile_size == "small" else scaled(args.scale),
                         f"{name} {args.profile_size}", index=args.profile == "search")
            profile(app, made["viewer"], made["urls"][args.profile])
        return 0
    fine = [run(name, url, args) for name, url in chosen]
    return 0 if all(fine) else 1


if __name__ == "__main__":
    sys.exit(main())
