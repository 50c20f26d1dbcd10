"""`python -m bench.faults`: a busy evening with things going wrong, on SQLite and PostgreSQL.

Serves Canoe under gunicorn (3 sync workers, loopback, CSRF on) on a freshly built co-op (20
members, 20 threads, 1,000 earlier replies, the whoosh index built). Then for 30 seconds:

- 20 writers, each logged in as a member, post replies as a browser does (a form with a CSRF
  token and a one-time submission key). A connection reset or a 5xx is retried with the same
  key, as a browser's retry or a second press of "send" would be;
- one reader searches every quarter second;
- the bench kills a gunicorn worker (`SIGKILL`) every 5 seconds, and deletes the search index
  folder once, 12 seconds in.

Afterwards it lets the site heal by itself (searching until search answers again), stops the
server, runs `flask search retry` as cron would, and prints, per database:

    {"bench": "faults", "db": "sqlite", "metric": "acked_writes", ...}            replies the server confirmed
    {"bench": "faults", "db": "sqlite", "metric": "lost_writes", ...}             confirmed but not saved (goal 0)
    {"bench": "faults", "db": "sqlite", "metric": "duplicate_writes", ...}        saved twice (goal 0)
    {"bench": "faults", "db": "sqlite", "metric": "index_gaps_after_retry", ...}  `search check`'s problems (goal 0)
    {"bench": "faults", "db": "sqlite", "metric": "s_search_unavailable", ...}    seconds search answered non-200 or
                                                                                  took over 2 s (goal 0)
    {"bench": "faults", "db": "sqlite", "metric": "s_search_rebuilding", ...}     seconds search said "being rebuilt"

plus `worker_kills` and `retried_posts`. PostgreSQL runs against BENCH_DATABASE_URL when it is
PostgreSQL, otherwise `canoe_bench` on 127.0.0.1 (created if missing, its schema rebuilt); with
no server it is left out, with a note. `--seconds`, `--writers` change the evening.
"""
import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import select

from app.accounts import services as accounts
from app.archive import comments, threads
from app.archive.models import Comment
from app.core.config import Config, from_env
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Membership
from app.search import service
from app.web import create_app
from bench import PASSWORD, bench_app, note
from bench.search import postgres_url

WORKERS = 3
KILL_EVERY_S = 5.0
DELETE_INDEX_AT_S = 12.0
SEARCH_EVERY_S = 0.25
SLOW_SEARCH_S = 2.0
WORD = "노동"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEVERITY = ["ok", "rebuilding", "unavailable"]
REBUILDING = ("Search is being rebuilt", "검색 색인을 다시 만들고")


def emit(database: str, metric: str, value, unit: str) -> None:
    print(json.dumps({"bench": "faults", "db": database, "metric": metric, "value": value, "unit": unit}), flush=True)


def served_app():
    """What gunicorn serves (`bench.faults:served_app()`): production settings, on the bench's
    database and instance folder, without the login rate limit (20 logins from one address),
    with cookies over plain http (loopback has no TLS)."""
    settings = from_env(Config)
    settings.update(SQLALCHEMY_DATABASE_URI=os.environ["BENCH_FAULTS_URL"], RATELIMIT_ENABLED=False,
                    CANOE_ENV="development",
                    CANOE_SEARCH_BACKEND="whoosh", CANOE_SEARCH_SYNC=True)
    app = create_app(settings)
    app.instance_path = os.environ["BENCH_FAULTS_INSTANCE"]
    return app


# -- the co-op -------------------------------------------------------------------------

def build(app, writers: int) -> list[tuple[str, int]]:
    """Members (email, their thread's id), a group, and earlier replies; then the index."""
    rng = random.Random(19)
    with app.test_request_context():
        people = [accounts.register(f"m{i}@faults.canoe", PASSWORD, f"Member {i}", f"member{i}", "ko")
                  for i in range(writers)]
        group = groups.create_group(people[0], "Evening Co-op", "evening", "", "private")
        db.session.add_all(Membership(group_id=group.id, user_id=p.id, role="member") for p in people[1:])
        db.session.commit()
        started = [threads.start_thread(p, group, f"Thread {i}", f"{WORD} 당번 {i}") for i, p in enumerate(people)]
        for n in range(1000):
            comments.add_comment(rng.choice(people), rng.choice(started), f"earlier {n} {WORD}")
        homes = [(p.email, t.id) for p, t in zip(people, started)]
    with app.app_context():
        service.rebuild()
    return homes


# -- a browser -------------------------------------------------------------------------

class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None  # a redirect is an answer to look at, not to follow


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _Stay)

    def call(self, path: str, form: dict | None = None, timeout: float = 10) -> tuple[int, str]:
        """(status, body); raises OSError or HTTPException when the connection breaks."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace")

    def log_in(self, email: str) -> str:
        """Logs in; returns a CSRF token for later forms."""
        for _attempt in range(20):  # a worker may be killed under us
            try:
                _status, page = self.call("/login")
                status, _ = self.call("/login", {"email": email, "password": PASSWORD,
                                                 "csrf_token": CSRF.search(page).group(1)})
                if status in (302, 303):
                    _status, page = self.call("/groups")
                    return CSRF.search(page).group(1)
            except (OSError, http.client.HTTPException, AttributeError):
                pass
            time.sleep(0.3)
        raise SystemExit(f"bench.faults: {email} could not log in")


# -- the evening -----------------------------------------------------------------------

class Evening:
    def __init__(self, base: str, homes, seconds: float):
        self.base = base
        self.homes = homes
        self.deadline = time.monotonic() + seconds
        self.acked: list[str] = []
        self.retried = 0
        self.refused = Counter()
        self.search_trouble = Counter()  # why a search counted as unavailable: "status in N s"
        self.search_seconds: dict[int, str] = {}  # second → "ok" | "rebuilding" | "unavailable"
        self.lock = threading.Lock()

    def write(self, number: int) -> None:
        email, thread_id = self.homes[number]
        browser = Browser(self.base)
        token = browser.log_in(email)
        sent = 0
        while time.monotonic() < self.deadline:
            sent += 1
            marker = f"fault{number}x{sent}"
            form = {"csrf_token": token, "body": f"{marker} {WORD}", "submission_key": secrets.token_urlsafe(24)}
            for attempt in range(10):
                try:
                    status, _ = browser.call(f"/t/{thread_id}/comments", form)
                except (OSError, http.client.HTTPException):
                    status = None
                if status in (302, 303):
                    with self.lock:
                        self.acked.append(marker)
                        self.retried += attempt > 0
                    break
                if status is not None and status < 500:
                    with self.lock:
                        self.refused[status] += 1
                    break
                time.sleep(0.2 * (attempt + 1))

    def search(self, start: float) -> None:
        browser = Browser(self.base)
        browser.log_in(self.homes[0][0])
        while time.monotonic() < self.deadline:
            began = time.monotonic()
            try:
                status, page = browser.call(f"/search?q={urllib.parse.quote(WORD)}", timeout=SLOW_SEARCH_S + 5)
            except (OSError, http.client.HTTPException):
                status, page = None, ""
            took = time.monotonic() - began
            if status != 200 or took > SLOW_SEARCH_S:
                self.search_trouble[f"{status} in {min(int(took), 9)} s"] += 1
            state = ("unavailable" if status != 200 or took > SLOW_SEARCH_S
                     else "rebuilding" if any(r in page for r in REBUILDING) else "ok")
            second = int(began - start)
            worst = max(state, self.search_seconds.get(second, "ok"), key=SEVERITY.index)  # a second's worst answer
            self.search_seconds[second] = worst
            time.sleep(max(0.0, SEARCH_EVERY_S - took))


def _workers_of(master: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.append(int(entry))
    return found


def trouble(master: int, instance: str, evening: Evening, start: float, rng: random.Random) -> int:
    """Kills a worker every few seconds and deletes the index once; returns how many it killed."""
    kills, deleted = 0, False
    next_kill = start + KILL_EVERY_S
    while time.monotonic() < evening.deadline:
        now = time.monotonic()
        if not deleted and now - start >= DELETE_INDEX_AT_S:
            for folder in Path(instance, "search").glob("whoosh-s*-a*"):
                if "." not in folder.name:
                    shutil.rmtree(folder, ignore_errors=True)
            deleted = True
        if now >= next_kill:
            alive = _workers_of(master)
            if alive:
                os.kill(rng.choice(alive), signal.SIGKILL)
                kills += 1
            next_kill += KILL_EVERY_S
        time.sleep(0.05)
    return kills


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(url: str, instance: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "BENCH_FAULTS_URL": url, "BENCH_FAULTS_INSTANCE": instance,
           "SECRET_KEY": secrets.token_hex(16)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--timeout", "30", "--log-level", "warning", "bench.faults:served_app()"],
        env=env, cwd=Path(__file__).resolve().parent.parent)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if Browser(base).call("/healthz", timeout=1)[0] == 200:
                return server, base
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("bench.faults: gunicorn did not start")


def heal(base: str, email: str, patience: float = 180) -> float:
    """Searches until search answers again without a rebuild under way; returns how long it took."""
    browser = Browser(base)
    browser.log_in(email)
    began = time.monotonic()
    while time.monotonic() - began < patience:
        try:
            status, page = browser.call(f"/search?q={urllib.parse.quote(WORD)}")
            if status == 200 and not any(r in page for r in REBUILDING):
                break
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    return time.monotonic() - began


def tally(app, acked: list[str]) -> tuple[int, int]:
    """(lost, duplicates): confirmed replies that are not saved, and replies saved twice."""
    with app.app_context():
        bodies = db.session.scalars(select(Comment.body_md).where(Comment.body_md.like("fault%"))).all()
    saved = Counter(body.split()[0] for body in bodies)
    return sum(1 for marker in acked if saved[marker] == 0), sum(n - 1 for n in saved.values() if n > 1)


def evening(name: str, url: str | None, seconds: float, writers: int) -> None:
    with bench_app(url, CANOE_SEARCH_BACKEND="whoosh") as app:
        homes = build(app, writers)
        with app.app_context():
            database_url = db.engine.url.render_as_string(hide_password=False)
            db.engine.dispose()
        server, base = serve(database_url, app.instance_path)
        try:
            run = Evening(base, homes, seconds)
            start = time.monotonic()
            crew = [threading.Thread(target=run.write, args=(i,)) for i in range(writers)]
            crew.append(threading.Thread(target=run.search, args=(start,)))
            for person in crew:
                person.start()
            kills = trouble(server.pid, app.instance_path, run, start, random.Random(7))
            for person in crew:
                person.join()
            healed = heal(base, homes[0][0])
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        with app.app_context():
            service.retry_backlog()  # `flask search retry`, as cron runs it
            gaps = sum(len(keys) for keys in service.drift().values())
            db.engine.dispose()
        lost, duplicates = tally(app, run.acked)
    states = Counter(run.search_seconds.values())
    emit(name, "acked_writes", len(run.acked), "replies")
    emit(name, "lost_writes", lost, "replies")
    emit(name, "duplicate_writes", duplicates, "replies")
    emit(name, "index_gaps_after_retry", gaps, "items")
    emit(name, "s_search_unavailable", states["unavailable"], "s")
    emit(name, "s_search_rebuilding", states["rebuilding"], "s")
    emit(name, "worker_kills", kills, "kills")
    emit(name, "retried_posts", run.retried, "replies")
    note(f"{name}: {len(run.acked)} replies confirmed, {run.retried} after a retry, refused {dict(run.refused)}; "
         f"search trouble {dict(run.search_trouble)}; search healed {healed:.1f} s after the evening")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--writers", type=int, default=20)
    args = parser.parse_args()
    evening("sqlite", "", args.seconds, args.writers)
    shared = postgres_url()
    if shared:
        evening("postgresql", shared, args.seconds, args.writers)


if __name__ == "__main__":
    main()
