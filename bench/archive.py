"""`python -m bench.archive`: the thread page with 10 and with 500 nested comments.

Prints, for each thread, the SQL queries one page view runs (they must be equal: the page
loads in a fixed number of queries) and the median server time over 30 requests after a
warm-up, measured with the Flask test client logged in as a member:

    {"bench": "archive", "metric": "queries_thread_10", "value": N, "unit": "queries"}
    {"bench": "archive", "metric": "queries_thread_500", ...}
    {"bench": "archive", "metric": "ms_thread_10_p50", "value": N, "unit": "ms"}
    {"bench": "archive", "metric": "ms_thread_500_p50", ...}

Exits 1 if the two query counts differ. Target: ms_thread_500_p50 ≤ 150.
`--profile` also prints the 500-comment page's hottest functions (cProfile) on stderr.
"""
import argparse
import cProfile
import io
import pstats
import random
import sys

from app.archive import comments as archive_comments
from app.archive import reactions as archive_reactions
from app.archive import threads as archive_threads
from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Membership
from bench import bench_app, emit, login, make_users, measure, note

TARGET_MS_500 = 150
NAMES = ["minji", "jiho", "seoyeon", "ana", "ben", "dana", "eunji", "farid", "grace", "hyun", "ines", "joon"]

SENTENCES = [
    "I think we should try the new rota for a month and see how it feels.",
    "Saturday works for me, but I can only stay until noon.",
    "Could we write this down in the handbook once we agree?",
    "지난번 회의에서 말한 것처럼 장보기 당번을 두 명으로 늘리면 좋겠어요.",
    "The budget for the kitchen is tight this quarter, so let's keep it simple.",
    "I'm not sure about the timing — the market is busiest in the morning.",
    "Thanks for pulling this together, it makes the choice much clearer.",
    "다음 주 화요일까지 의견을 모아서 정리해 볼게요.",
    "We tried something similar last year and it worked once we had a checklist.",
    "Can someone who was at the last meeting summarise what we decided?",
    "**Important:** the hall booking has to be confirmed by Friday.",
    "See the notes at [the minutes page](https://example.org/minutes/2024-05) for details.",
    "새로 온 분들께도 이 내용을 공유해 주세요.",
    "I'd rather we rotate facilitation so it doesn't always fall on the same people.",
]


def body(rng: random.Random, handles: list[str]) -> str:
    """A comment as people write them: one to three short paragraphs, sometimes a list or a mention."""
    paragraphs = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        paragraphs.append(" ".join(rng.sample(SENTENCES, rng.randint(1, 3))))
    if rng.random() < 0.12:
        paragraphs.append("\n".join(f"- {s}" for s in rng.sample(SENTENCES, 3)))
    if rng.random() < 0.10:
        paragraphs[0] = f"@{rng.choice(handles)} {paragraphs[0]}"
    return "\n\n".join(paragraphs)


def parent_for(rng: random.Random, ids: list[int]) -> int | None:
    """Top level about a quarter of the time; else mostly a recent comment (conversations run
    in bursts, which makes chains several levels deep), sometimes any earlier one."""
    if not ids or rng.random() < 0.25:
        return None
    if rng.random() < 0.65:
        return rng.choice(ids[-6:])
    return rng.choice(ids)


def build_thread(rng: random.Random, group, people: list, title: str, count: int):
    """A thread of `count` comments written through the services (markdown, mentions, events,
    notifications, read state, as in real use), with reactions, a few edits and one deletion."""
    handles = [p.handle for p in people]
    thread = archive_threads.start_thread(rng.choice(people), group, title, body(rng, handles), ["bench"])
    ids: list[int] = []
    for _ in range(count):
        comment = archive_comments.add_comment(rng.choice(people), thread, body(rng, handles), parent_for(rng, ids))
        ids.append(comment.id)
    comments = archive_comments.thread_comments(thread)
    for comment in rng.sample(comments, max(1, count // 3)):
        for person in rng.sample(people, rng.randint(1, 4)):
            archive_reactions.toggle_reaction(person, comment, rng.choice(("thanks", "agree", "heart", "celebrate", "thinking")))
    for comment in rng.sample(comments, max(1, count // 50)):
        author = next(p for p in people if p.id == comment.author_id)
        archive_comments.edit_comment(author, comment, comment.body_md + "\n\n(edited: fixed the date)")
    with_replies = {c.parent_id for c in comments if c.parent_id}
    deletable = [c for c in comments if c.id in with_replies]
    if count >= 100 and deletable:
        victim = rng.choice(deletable)
        archive_comments.delete_comment(next(p for p in people if p.id == victim.author_id), victim)
    return thread


def shape(comments) -> str:
    depth: dict[int, int] = {}
    for c in sorted(comments, key=lambda c: c.id):
        depth[c.id] = depth[c.parent_id] + 1 if c.parent_id else 1
    top = sum(1 for d in depth.values() if d == 1)
    children: dict[int, int] = {}
    for c in comments:
        if c.parent_id:
            children[c.parent_id] = children.get(c.parent_id, 0) + 1
    return (f"{len(comments)} comments: {top} top-level, deepest at level {max(depth.values())}, "
            f"{sum(1 for n in children.values() if n > 3)} with more than 3 direct replies")


def build():
    """A group of 12 (plus the reader, a plain member) with a 10- and a 500-comment thread."""
    rng = random.Random(20240521)
    people = make_users(NAMES)
    reader = make_users(["reader"])[0]  # reads the threads; never writes in them
    db.session.commit()
    group = groups.create_group(people[0], "Riverside Food Co-op", "riverside", "We run the market.", "private")
    db.session.add_all(Membership(group_id=group.id, user_id=p.id, role="member") for p in people[1:] + [reader])
    db.session.commit()
    small = build_thread(rng, group, people, "Saturday market rota", 10)
    large = build_thread(rng, group, people, "Our kitchen budget for next year", 500)
    for thread in (small, large):
        note(f"thread {thread.id}: {shape(archive_comments.thread_comments(thread))}")
    return small.id, large.id


def profile(client, url: str, runs: int = 10) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url).close()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(45)
    note(f"cProfile of {runs} × GET {url}, cumulative:\n{out.getvalue()}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(25)
    note(f"cProfile of {runs} × GET {url}, own time:\n{out.getvalue()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the 500-comment page on stderr")
    args = parser.parse_args(argv)

    with bench_app() as app:
        with app.app_context():
            small_id, large_id = build()
        client = login(app, "reader@example.org")
        results = {}
        for size, thread_id in ((10, small_id), (500, large_id)):
            url = f"/t/{thread_id}"
            html = client.get(url).get_data(as_text=True)
            shown = html.count('<li class="comment ')
            note(f"/t/{thread_id}: {shown} comments on the page, {len(html):,} bytes")
            results[size] = measure(app, client, url)
            note(f"thread_{size}: CPU time per request p50 {results[size].cpu_p50} ms")
            if not results[size].steady:
                note(f"warning: thread_{size} ran a varying number of queries: {results[size].queries_each}")
        for size in (10, 500):
            emit("archive", f"queries_thread_{size}", results[size].queries, "queries")
        for size in (10, 500):
            emit("archive", f"ms_thread_{size}_p50", results[size].p50, "ms")
        if args.profile:
            profile(client, f"/t/{large_id}")
    status = 0
    if results[10].queries != results[500].queries:
        note(f"FAIL: the thread page runs {results[10].queries} queries with 10 comments "
             f"but {results[500].queries} with 500: it must be a fixed number.")
        status = 1
    if results[500].p50 > TARGET_MS_500:
        note(f"note: ms_thread_500_p50 = {results[500].p50} ms, over the {TARGET_MS_500} ms target "
             f"(run with --profile to see where the time goes).")
    return status


if __name__ == "__main__":
    sys.exit(main())
