"""`python -m bench.search`: search over 100,000 mixed Korean/English items, on each backend.

Builds a corpus (seeded, so every run is the same) of threads, replies, documents, proposals
and care tasks, 1–3 paragraphs each (documents 4–10), mostly Korean with English mixed in, its
words drawn as in real text (Zipf: the nouns the queries look for among 8,000 others, some
common, most rare), spread over 40 groups of which half are private; the viewer belongs to 6. For each backend it prints:

    {"bench": "search", "backend": "whoosh", "metric": "index_docs_per_s", ...}               bulk indexing
    {"bench": "search", "backend": "whoosh", "metric": "ms_query_p50", ...}                   50 fixed queries
    {"bench": "search", "backend": "whoosh", "metric": "ms_query_p95", ...}                   through Canoe's service
    {"bench": "search", "backend": "whoosh", "metric": "ratio_small_group_in_big_site", ...}  one group: in the site / alone
    {"bench": "search", "backend": "whoosh", "metric": "mb_rss_after_search", ...}            a worker's memory, in MB
    {"bench": "search", "backend": "whoosh", "metric": "ms_raw_whoosh_p95", ...}              the same queries, whoosh alone
    {"bench": "search", "backend": "whoosh", "metric": "overhead_ratio", ...}                 service p95 / raw p95

"Through the service" is `search.service.search` as the page calls it: the viewer's readable
groups from the database, parsing, the query with its permission filter, the page of hits and
their highlighted snippets. "Raw whoosh" answers the same question with whoosh alone on the same
index: its MultifieldParser (over the same `content` and `title` fields), the same group
restriction as a whoosh filter query, the top 10 stored fields and whoosh's own highlighter
for each hit's body.

"A small group": the first of the viewer's groups (1/40 of the items). Its 50 queries
(`group_ids=[it]`, through the service) are timed first in a site holding only that group's
items, then inside the whole corpus; the ratio is of their p95s (the queries whose words are
common across the site are where a search that reads the site's posting lists shows), and
both p50s are noted on stderr. "Memory": a new process, as a worker starts, opens the built
index and runs the 50 queries as the viewer in both orders, then reads /proc/self/status:
the metric is VmRSS, everything resident (the app itself is about 90 MB of it); the note
adds its private part (RssAnon), the mapped files (RssFile) and the peak (VmHWM).

The postgres backend runs against BENCH_DATABASE_URL when it is PostgreSQL, otherwise against
`canoe_bench` on 127.0.0.1 (created if missing; its `public` schema is rebuilt); with no server
it is left out, with a note. After each bulk load the table is analyzed, as autovacuum does
soon after one. Targets (embedded backend): p95 ≤ 100 ms, overhead ratio ≤ 1.5, a small
group inside the site ≤ 1.5× its time alone, ≤ 200 MB resident after searching.
`--docs N` changes the corpus size.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from itertools import accumulate

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.accounts import services as accounts
from app.core.config import TestConfig, from_env
from app.core.extensions import db
from app.groups import services as groups
from app.search import service
from app.search.entries import Entry
from app.web import create_app
from bench import PASSWORD, bench_app, note

GROUPS = 40
MEMBER_OF = 6
DEFAULT_DOCS = 100_000
TARGET_P95_MS = 100
TARGET_RATIO = 1.5
TARGET_GROUP_RATIO = 1.5
TARGET_RSS_MB = 200
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/canoe_bench"

KO_NOUNS = ("협동조합 회의록 돌봄 노동 당번 예산 장보기 텃밭 주방 청소 환영 모임 결정 제안 안건 회계 조합원 공동체 "
            "마을 식당 도서관 배송 자전거 일정 휴가 분담 기록 회의 정관 총회 간식 설거지 빨래 청년 어르신 봉사 "
            "나눔 교육 안전 보험 계약 임대료 전기 난방 창고 화분 행사 축제 발표 설문 의견 약속").split()
KO_PARTICLES = ("은 는 이 가 을 를 에서 으로 로 와 과 의 도 만 에 에게 까지 부터").split()
KO_ENDINGS = ("합니다. 했어요. 할까요? 하면 좋겠어요. 정했습니다. 나눠요. 부탁드려요. 확인했어요. "
              "미뤄졌어요. 다시 이야기해요.").split(". ")
EN_NOUNS = ("budget kitchen rota meeting minutes garden bike delivery policy handbook member agenda proposal "
            "volunteer cleaning shopping welcome newsletter insurance rent heating storage festival survey "
            "training safety contract treasurer facilitator decision review").split()
EN_VERBS = ("decided agreed discussed postponed reviewed shared planned cleaned booked cancelled wrote "
            "checked moved organised thanked asked").split()
EN_GLUE = ("for the", "after the", "before the", "with the", "about the", "during the")
KINDS = (("comment", 0.55), ("thread", 0.2), ("document", 0.1), ("proposal", 0.1), ("care_task", 0.05))

QUERIES = [
    "협동조합", "회의록", "돌봄 노동", '"돌봄 노동"', "당번", "예산", "장보기", "텃밭", "주방 청소", "조합",
    "회의", "결정", "총회 안건", "설거지", "빨래 당번", "임대료", "난방", "축제", "설문", "정관",
    "어르신 돌봄", "자전거 배송", "도서관", "청년", "회계", "budget", "kitchen rota", "decide", "meeting minutes",
    "garden", "policy", "handbook", "volunteers", "proposal review", "insurance", "rent", "heating", "festival",
    "treasurer", "facilitator", "Loomio 회의", "budget 예산", "rota 당번", "cleaning 청소", "welcome 환영",
    '"kitchen rota"', "delivery", "survey 설문", "safety training", "shared",
]


def emit(backend: str, metric: str, value, unit: str) -> None:
    print(json.dumps({"bench": "search", "backend": backend, "metric": metric, "value": value, "unit": unit}), flush=True)


SYLLABLES = ("가 나 다 라 마 바 사 아 자 차 카 타 파 하 고 노 도 로 모 보 소 오 조 초 코 토 포 호 구 누 두 루 무 부 수 "
             "우 주 추 기 니 디 리 미 비 시 이 지 치 한 동 상 정 진 성 원 민 영 경 선 연 인 일 장 전 회 학 교 생 활").split()
LETTERS = "bcdfghklmnprstvw"
VOWELS = "aeiou"


class Vocabulary:
    """Words drawn as real text draws them (Zipf: a few very common, most rare): the real
    nouns the queries look for sit at seeded random ranks among thousands of made-up ones."""

    def __init__(self, rng: random.Random, real: list[str], invent, size: int):
        words = list(dict.fromkeys(real + [invent(rng) for _ in range(size)]))
        rng.shuffle(words)
        self.words = words
        self.cum_weights = list(accumulate(1 / rank for rank in range(1, len(words) + 1)))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.words, cum_weights=self.cum_weights)[0]


def invented_korean(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))


def invented_english(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) + rng.choice(VOWELS) for _ in range(rng.choice((2, 3, 3, 4))))


class Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.korean = Vocabulary(rng, KO_NOUNS, invented_korean, 4000)
        self.english = Vocabulary(rng, EN_NOUNS, invented_english, 4000)

    def korean_sentence(self) -> str:
        rng = self.rng
        words = [self.korean.pick(rng) + rng.choice(KO_PARTICLES) for _ in range(rng.randint(2, 5))]
        return " ".join(words) + " " + rng.choice(KO_ENDINGS).strip(".") + "."

    def english_sentence(self) -> str:
        rng = self.rng
        return (f"We {rng.choice(EN_VERBS)} the {self.english.pick(rng)} {rng.choice(EN_GLUE)} "
                f"{self.english.pick(rng)}{rng.choice(('.', ' this week.', ' again.', ', as planned.'))}")

    def paragraph(self) -> str:
        korean = self.rng.random() < 0.6
        return " ".join((self.korean_sentence if self.rng.random() < (0.85 if korean else 0.15) else self.english_sentence)()
                        for _ in range(self.rng.randint(1, 4)))


def corpus(count: int, group_ids: list[int], author_ids: list[int]) -> list[Entry]:
    rng = random.Random(2026)
    writer = Writer(rng)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    kinds, weights = zip(*KINDS)
    entries = []
    for item_id in range(1, count + 1):
        kind = rng.choices(kinds, weights)[0]
        paragraphs = rng.randint(4, 10) if kind == "document" else rng.randint(1, 3)
        title = writer.korean_sentence()[:40] if rng.random() < 0.6 else writer.english_sentence()[:60]
        entries.append(Entry(kind, item_id, rng.choice(group_ids), rng.choice(author_ids), title,
                             "\n".join(writer.paragraph() for _ in range(paragraphs)), f"/bench/{item_id}",
                             start + timedelta(minutes=item_id * 7)))
    return entries


def people_and_groups(app) -> tuple[int, list[int], list[int]]:
    """The viewer, every group id, and some authors: real rows, so permissions are real."""
    with app.test_request_context():
        viewer = accounts.register("viewer@bench.canoe", PASSWORD, "Viewer", "viewer", "ko")
        authors = [accounts.register(f"a{i}@bench.canoe", PASSWORD, f"Author {i}", f"author{i}", "ko") for i in range(8)]
        ids = []
        for i in range(GROUPS):
            owner = viewer if i < MEMBER_OF else authors[i % len(authors)]
            group = groups.create_group(owner, f"Group {i}", f"group-{i}", "", "public" if i % 2 else "private")
            ids.append(group.id)
        return viewer.id, ids, [a.id for a in authors] + [viewer.id]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 2)


def timed(run, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def build(index, entries: list[Entry]) -> float:
    """Index `entries` as a rebuild does (its lock, its checkpoints, the swap). Returns seconds.

    PostgreSQL then analyzes the table, as autovacuum does shortly after a bulk load: the
    planner chooses its plans from those statistics."""
    started = time.perf_counter()
    with index.rebuild_lock() as mine:
        if not mine:
            raise SystemExit("bench: another process holds this index's rebuild")
        with index.building() as bulk:
            for i in range(0, len(entries), 1000):
                batch = entries[i : i + 1000]
                bulk.add(batch, {"kind": batch[-1].kind, "after": batch[-1].item_id,
                                 "done": i + len(batch), "total": len(entries)})
    if index.name == "postgres":
        db.session.execute(text("ANALYZE search_entries"))
        db.session.commit()
    return time.perf_counter() - started


def query_times(app, viewer_id: int, repeats: int, **options) -> tuple[list[float], int]:
    """Each query's median time through the service (after one warm-up), and all their hits."""
    with app.test_request_context():
        viewer = db.session.get(accounts.User, viewer_id)
        times, hits = [], 0
        for q in QUERIES:
            service.search(viewer, q, **options)  # warm-up: caches, the searcher
            times.append(statistics.median(timed(lambda: service.search(viewer, q, **options), repeats)))
            hits += service.search(viewer, q, **options).total
        return times, hits


def bench_backend(name: str, url: str, docs: int, repeats: int) -> dict:
    with bench_app(url, CANOE_SEARCH_BACKEND=name) as app:
        viewer_id, group_ids, author_ids = people_and_groups(app)
        entries = corpus(docs, group_ids, author_ids)
        small = [e for e in entries if e.group_id == group_ids[0]]  # one of the viewer's groups
        with app.app_context():
            index = service._index()
            build(index, small)  # first a site holding only that group
        alone, _ = query_times(app, viewer_id, repeats, group_ids=[group_ids[0]])
        with app.app_context():
            seconds = build(index, entries)
        emit(name, "index_docs_per_s", round(docs / seconds), "docs/s")
        note(f"{name}: indexed {docs} items in {seconds:.1f} s")
        service_times, hits = query_times(app, viewer_id, repeats)
        emit(name, "ms_query_p50", percentile(service_times, 0.5), "ms")
        emit(name, "ms_query_p95", percentile(service_times, 0.95), "ms")
        note(f"{name}: {hits} hits over {len(QUERIES)} queries")
        inside, _ = query_times(app, viewer_id, repeats, group_ids=[group_ids[0]])
        group_ratio = round(percentile(inside, 0.95) / percentile(alone, 0.95), 2)
        emit(name, "ratio_small_group_in_big_site", group_ratio, "ratio")
        note(f"{name}: a group of {len(small)} items alone, then in {docs}: p95 {percentile(alone, 0.95)} → "
             f"{percentile(inside, 0.95)} ms, p50 {percentile(alone, 0.5)} → {percentile(inside, 0.5)} ms")
        memory = memory_in_fresh_process(app, name, viewer_id)
        emit(name, "mb_rss_after_search", memory["VmRSS"], "MB")
        note(f"{name}: a fresh process after {len(QUERIES)} queries in both orders: VmRSS {memory['VmRSS']} MB "
             f"(private {memory['RssAnon']} MB, mapped files {memory['RssFile']} MB), peak {memory['VmHWM']} MB")
        result = {"p95": percentile(service_times, 0.95), "group_ratio": group_ratio, "rss": memory["VmRSS"]}
        if name == "whoosh":
            with app.test_request_context():
                raw = raw_whoosh_times(index, db.session.get(accounts.User, viewer_id), repeats)
            emit(name, "ms_raw_whoosh_p95", percentile(raw, 0.95), "ms")
            result["ratio"] = round(percentile(service_times, 0.95) / percentile(raw, 0.95), 2)
            emit(name, "overhead_ratio", result["ratio"], "ratio")
        return result


def memory_in_fresh_process(app, name: str, viewer_id: int) -> dict:
    """A worker's memory after searching: a new process opens the built index, runs the
    queries as the viewer, and reads its own /proc/self/status (in MB)."""
    config = {"url": app.config["SQLALCHEMY_DATABASE_URI"], "instance": app.instance_path, "backend": name,
              "viewer": viewer_id}
    child = subprocess.run([sys.executable, "-m", "bench.search", "--memory-of", json.dumps(config)],
                           capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(f"bench: the memory measurement failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def search_and_report_memory(config: dict) -> None:
    """The child's side of `memory_in_fresh_process`: a worker's app, the queries, its memory."""
    settings = from_env(TestConfig)
    settings.update(SQLALCHEMY_DATABASE_URI=config["url"], TESTING=False, DEBUG=False,
                    CANOE_SEARCH_BACKEND=config["backend"])
    app = create_app(settings)
    app.instance_path = config["instance"]
    with app.test_request_context():
        viewer = db.session.get(accounts.User, config["viewer"])
        for q in QUERIES:
            for by_date in (False, True):
                service.search(viewer, q, by_date=by_date)
    print(json.dumps(process_memory()))


def process_memory() -> dict:
    wanted = ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    return {key: round(int(fields[key].split()[0]) / 1024) for key in wanted}


def raw_whoosh_times(index, viewer, repeats: int) -> list[float]:
    """The same queries through whoosh alone: its parser, the same groups, its highlighter."""
    from whoosh import query
    from whoosh.qparser import AndGroup, MultifieldParser

    from app.groups.policy import readable_group_ids

    searcher = index._current_searcher()
    parser = MultifieldParser(["content", "title"], searcher.schema, group=AndGroup)
    times = []
    for q in QUERIES:
        def run():
            allowed = query.Or([query.Term("group", str(g)) for g in readable_group_ids(viewer)])
            results = searcher.search(parser.parse(q), limit=10, filter=allowed)
            for hit in results:
                hit.highlights("content", text=hit["body"])
                dict(hit)
            return len(results)

        run()
        times.append(statistics.median(timed(run, repeats)))
    return times


def postgres_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return url
    try:
        admin = create_engine(PG_DEFAULT.replace("/canoe_bench", "/postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'canoe_bench'")).scalar():
                conn.execute(text("CREATE DATABASE canoe_bench"))
        admin.dispose()
        return PG_DEFAULT
    except Exception as error:  # noqa: BLE001 — no server here: the embedded backend alone
        note(f"postgres backend left out: {error.__class__.__name__}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each query (its median counts)")
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)  # the child process of memory_in_fresh_process
    args = parser.parse_args()
    if args.memory_of:
        search_and_report_memory(json.loads(args.memory_of))
        return
    embedded = bench_backend("whoosh", "", args.docs, args.repeats)
    shared = postgres_url()
    if shared and "bench" in (make_url(shared).database or ""):
        bench_backend("postgres", shared, args.docs, args.repeats)
    note(f"targets (whoosh): p95 ≤ {TARGET_P95_MS} ms (got {embedded['p95']}), "
         f"overhead ≤ {TARGET_RATIO} (got {embedded['ratio']}), "
         f"a group inside the site ≤ {TARGET_GROUP_RATIO}× alone (got {embedded['group_ratio']}), "
         f"memory after searching ≤ {TARGET_RSS_MB} MB (got {embedded['rss']})")


if __name__ == "__main__":
    main()
