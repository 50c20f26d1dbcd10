"""docs/SEARCH.md, "Two backends, one behaviour": one analyzer for both backends, so they find the same things. On PostgreSQL,
where both run, the same corpus and queries give the same counts and the same date-ordered
pages on each. (On SQLite only the embedded backend exists: this module has no tests there.)"""
import random

from app.search import service
from tests.conftest import ON_POSTGRES
from tests.search.conftest import Finder

WORDS = ["협동조합에서", "회의록을", "돌봄 노동", "돌봄노동은", "장보기", "kitchen", "decided", "meetings",
         "Loomio회의", "2026년에", "텃밭", "budget", "rota", "설거지를", "handbook"]
QUERIES = ["협동조합", "회의록", '"돌봄 노동"', "돌봄", "조합", "decide", "meeting", "Loomio 회의", "2026년",
           "텃밭 kitchen", "설거지", "rota", "handbook 장보기", "돌 kitchen", "budget decided"]

if ON_POSTGRES:

    def test_both_backends_find_the_same(app, make_app, scene, cast, backend_name):
        rng = random.Random(7)
        for i in range(60):
            scene.thread(title=" ".join(rng.sample(WORDS, 2)), body=" ".join(rng.sample(WORDS, 5)) + f" {i}")
        other = make_app(CANOE_SEARCH_BACKEND="postgres" if backend_name == "whoosh" else "whoosh", CANOE_SEARCH_SYNC=True)
        with other.app_context():
            service.rebuild()
        for query in QUERIES:
            mine, theirs = (Finder(a).page(cast.member, query, by_date=True, per_page=100) for a in (app, other))
            assert mine.total == theirs.total, query
            assert mine.total > 0, query
            assert [h.item_id for h in mine.hits] == [h.item_id for h in theirs.hits], query
