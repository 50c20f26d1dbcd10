"""docs/SEARCH.md, "Memory and cost": the embedded index keeps a worker's memory its own size
and a group's search the group's size.

- Keeping to the viewer's groups has two ways (`WhooshIndex._in_groups`): a group's own terms
  for a small share of the site, the site's terms and an `allow` filter otherwise. They find
  the same items, count them the same and rank them the same, for one group or several.
- A small group's search reads about what it would read were the group alone.
- Searching copies nothing of the index into the worker's memory, closes what it opens, and
  keeps nothing per term searched.

These tests build whoosh indexes directly from entries: no database, no app.
"""
import gc
import os
import random
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest
from whoosh import index as whoosh_index
from whoosh.collectors import FilterCollector, TopCollector

from app.search import analyzer
from app.search.entries import Entry
from app.search.results import Filters
from app.search.whoosh_index import InPlaceStorage, WhooshIndex, _document, schema

KOREAN = ["협동조합", "회의록", "돌봄", "노동", "당번", "예산", "장보기", "텃밭", "주방", "청소", "설거지", "총회"]
PARTICLES = ["은", "을", "에서", "의", "과", ""]
ENGLISH = ["budget", "kitchen", "rota", "meeting", "garden", "decided", "shared", "cleaning", "minutes", "bike"]
KINDS = ["thread", "comment", "document", "proposal", "care_task"]
START = datetime(2025, 1, 1, tzinfo=timezone.utc)

QUERIES = ["협동조합", "돌봄 노동", '"돌봄 노동"', "돌 kitchen", "조합", "decide", "kitchen rota", '"kitchen rota"',
           "회의록 budget", "설거지", "minutes", "텃밭 garden"]


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return " ".join(rng.choice(KOREAN) + rng.choice(PARTICLES) for _ in range(rng.randint(2, 6))) + " 했어요."
    return " ".join(rng.choice(ENGLISH) for _ in range(rng.randint(3, 7))) + "."


def entries_of(group_id: int, count: int, seed: int, first_id: int, step: int = 1) -> list[Entry]:
    """`count` items in one group, the same for the same seed, ids from `first_id` by `step`."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        item_id = first_id + n * step
        made.append(Entry(rng.choice(KINDS), item_id, group_id, rng.randint(1, 4), sentence(rng)[:60],
                          "\n".join(sentence(rng) for _ in range(rng.randint(1, 4))), f"/t/{item_id}",
                          START + timedelta(hours=item_id)))
    return made


def indexed(instance, entries: list[Entry]) -> WhooshIndex:
    """A whoosh index of `entries` in `instance`'s search folder, opened as the app opens it."""
    index = WhooshIndex(str(instance), 1.0)
    index.folder.mkdir(parents=True)
    writer = whoosh_index.create_in(str(index.folder), schema()).writer()
    for entry in entries:
        writer.add_document(**_document(entry))
    writer.commit(optimize=True)
    assert index.usable()
    return index


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Eight groups of different sizes; group 1 is small."""
    entries = entries_of(1, 25, seed=1, first_id=1, step=8)
    for group in range(2, 9):
        entries += entries_of(group, 25 * group, seed=group, first_id=group + 1000 * group)
    return indexed(tmp_path_factory.mktemp("site"), entries)


def pages(index: WhooshIndex, share: float, groups: tuple[int, ...], **filters) -> list:
    """Every query's count and first two pages, in both orders, with this way of keeping to groups."""
    index.scoped_share = share
    found = []
    for text in QUERIES:
        for by_date in (False, True):
            for page in (1, 2):
                total, hits = index.search(analyzer.parse(text), Filters(groups, **filters), page, 7, by_date)
                found.append((text, by_date, page, total, [(h.kind, h.item_id) for h in hits]))
    return found


GROUP_SETS = [(1,), (1, 2), (2, 5), (1, 3, 4, 6), (1, 2, 3, 4, 5, 6, 7, 8)]


@pytest.mark.parametrize("groups", GROUP_SETS)
def test_a_groups_own_terms_find_count_and_rank_what_the_site_filter_does(site, groups):
    by_own_terms, by_filter = pages(site, 1.0, groups), pages(site, -1.0, groups)
    assert by_own_terms == by_filter
    assert sum(total for *_, total, _hits in by_filter) > 0


def test_the_same_with_the_filters_a_person_chooses(site):
    chosen = {"kinds": ("thread", "comment"), "author_id": 2, "date_from": START + timedelta(days=100),
              "date_to": START + timedelta(days=300)}
    for groups in ((1, 4), (2, 3, 5)):
        by_own_terms, by_filter = pages(site, 1.0, groups, **chosen), pages(site, -1.0, groups, **chosen)
        assert by_own_terms == by_filter
        assert sum(total for *_, total, _hits in by_filter) > 0


def test_only_a_small_share_of_the_site_is_searched_by_its_own_terms(site):
    searcher = site._current_searcher()
    site.scoped_share = 0.125
    parsed = analyzer.parse("돌봄")
    assert site._in_groups(searcher, parsed, (1,))[1] is None  # 25 of 900 items: its own terms
    assert site._in_groups(searcher, parsed, (7, 8))[1] is not None  # 375 of 900: the site's, filtered
    site.scoped_share = -1.0
    assert site._in_groups(searcher, parsed, (99,)) == (None, None)  # no items: never an empty filter


def matching_reads(index: WhooshIndex, groups: tuple[int, ...], monkeypatch) -> int:
    """Bytes the index files give while the group's queries are matched, counted and ranked
    (the same hits' stored fields are read whatever the site's size: left out). Counted on
    a second round, once the searcher has opened its segment."""
    searcher = index._current_searcher()

    def match() -> None:
        for text in QUERIES:
            words, allowed = index._in_groups(searcher, analyzer.parse(text), groups)
            ranked = TopCollector(limit=10, usequality=False, replace=0)
            searcher.search_with_collector(words, ranked if allowed is None else FilterCollector(ranked, allow=allowed))

    match()
    read = []
    real = os.pread

    def counting(fd, size, offset):
        data = real(fd, size, offset)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "pread", counting)
    match()
    monkeypatch.setattr(os, "pread", real)
    return sum(read)


def test_a_small_groups_search_reads_about_what_it_would_read_alone(tmp_path, monkeypatch):
    small = entries_of(1, 40, seed=1, first_id=1, step=25)
    others = [e for g in range(2, 12) for e in entries_of(g, 80, seed=g, first_id=g, step=1) if e.item_id % 25 != 1]
    alone = indexed(tmp_path / "alone", small)
    inside = indexed(tmp_path / "inside", small + others)  # twenty times as many items
    read_alone = matching_reads(alone, (1,), monkeypatch)
    inside.scoped_share = -1.0  # the site's terms and a filter: what it cost before
    assert matching_reads(inside, (1,), monkeypatch) > 4 * read_alone
    inside.scoped_share = 0.125
    assert matching_reads(inside, (1,), monkeypatch) < 2.5 * read_alone


def test_searching_copies_no_part_of_the_index_into_memory(site):
    segment = max(site.folder.glob("*.seg"), key=lambda p: p.stat().st_size).stat().st_size

    def peak_while_opening_and_searching(open_searcher):
        tracemalloc.start()
        searcher = open_searcher()
        for text in QUERIES:
            searcher.search(site._in_groups(searcher, analyzer.parse(text), tuple(range(1, 9)))[0], limit=10)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, searcher

    # whoosh's own storage copies each part of a segment (postings, term index, columns) into memory
    peak, searcher = peak_while_opening_and_searching(lambda: whoosh_index.open_dir(str(site.folder)).searcher())
    searcher.close()
    assert peak > segment / 2
    site._forget()
    site.usable()
    assert peak_while_opening_and_searching(site._current_searcher)[0] < segment / 5


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_dropped_searcher_closes_its_files_and_a_closed_file_refuses_reads(site):
    gc.collect()
    before = open_descriptors()
    other = WhooshIndex(str(site.folder.parent.parent), 1.0)
    other.usable()
    other.search(analyzer.parse("돌봄"), Filters((1, 2)), 1, 10, False)
    assert open_descriptors() > before
    del other
    gc.collect()
    assert open_descriptors() == before

    name = next(site.folder.glob("*.seg")).name
    segment = InPlaceStorage(str(site.folder)).open_file(name)
    part = segment.subset(0, 16)
    assert len(part.get(0, 8)) == 8
    segment.close()
    with pytest.raises(OSError):
        part.get(0, 8)  # never whatever file got the descriptor's number since
    with pytest.raises(OSError):
        part.read(4)


def test_the_searcher_keeps_nothing_per_term_searched(site):
    searcher = site._current_searcher()
    for text in QUERIES + [f"{word}{n}" for word in ENGLISH for n in range(5)]:
        site.search(analyzer.parse(text), Filters((2, 3, 4, 5, 6, 7, 8)), 1, 10, False)
    assert searcher is site._current_searcher()
    assert searcher._idf_cache == {}  # whoosh's cache of every term's idf, for the searcher's life
