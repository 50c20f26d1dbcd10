"""The search page: bad input is answered kindly, filters and paging do what they say, htmx
gets only the results, stored script stays text, and a search never writes anything."""
import re
from datetime import datetime, timezone

import pytest

from app.archive.models import Thread
from tests.conftest import Auth
from tests.search.helpers import (
    HX_RESULTS, backdate, field_errors, hit_links, hit_titles, notices, results_block, row_counts,
)


@pytest.fixture
def member(scene):
    return scene.client("member")


def _get(client, query: str, **headers):
    response = client.get(f"/search?{query}", headers=headers)
    return response.status_code, response.get_data(as_text=True)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("query", ["", "q=", "q=+++"], ids=["no-q", "empty-q", "spaces"])
def test_an_empty_query_gets_a_friendly_message_and_no_results(scene, member, query):
    scene.thread(title="Kitchen rota", body="Everyone cleans.")
    status, page = _get(member, query)
    assert status == 200
    assert hit_titles(page) == []
    assert "Kitchen rota" not in page
    assert notices(page), "a message says what to do"


@pytest.mark.parametrize("q", ["a", "가", "%22a%22"], ids=["letter", "syllable", "quoted-letter"])
def test_a_one_character_query_asks_for_at_least_two(scene, member, q):
    scene.thread(title="a 가 Kitchen", body="a 가")
    status, page = _get(member, f"q={q}")
    assert status == 200
    assert hit_titles(page) == []
    assert any("at least 2" in n for n in notices(page)), notices(page)


def test_a_201_character_query_is_refused(scene, member):
    scene.thread(title="a" * 20, body="b")
    status, page = _get(member, "q=" + "a" * 201)
    assert status == 422
    assert field_errors(page)
    assert hit_titles(page) == []
    assert _get(member, "q=" + "a" * 200)[0] == 200


@pytest.mark.parametrize("query", [
    "q=kitchen&since=2024-13-45", "q=kitchen&until=yesterday", "q=kitchen&since=2024-02-30",
], ids=["month-13", "word", "feb-30"])
def test_a_bad_date_is_refused(scene, member, query):
    scene.thread()
    status, page = _get(member, query)
    assert status == 422
    assert field_errors(page)
    assert hit_titles(page) == []


def test_until_before_since_is_refused(scene, member):
    scene.thread()
    status, page = _get(member, "q=kitchen&since=2025-05-10&until=2025-05-01")
    assert status == 422
    assert any("before" in e for e in field_errors(page)), field_errors(page)
    assert hit_titles(page) == []


def test_one_day_range_is_accepted(scene, member):
    scene.thread()
    assert _get(member, "q=kitchen&since=2025-05-10&until=2025-05-10")[0] == 200


def test_an_unknown_author_is_refused(scene, member):
    scene.thread()
    status, page = _get(member, "q=kitchen&author=%40nobody-here")
    assert status == 422
    assert any("handle" in e for e in field_errors(page)), field_errors(page)
    assert hit_titles(page) == []


def test_an_unknown_kind_is_refused(scene, member):
    scene.thread()
    status, page = _get(member, "q=kitchen&kind=vote")
    assert status == 422
    assert field_errors(page)
    assert hit_titles(page) == []


def test_an_unknown_sort_is_refused(scene, member):
    scene.thread()
    assert _get(member, "q=kitchen&sort=random")[0] == 422


@pytest.mark.parametrize("page_arg", ["0", "-1", "abc", "99999", "1000", "2", "1.5", ""])
def test_any_page_number_is_answered_never_a_500(scene, member, page_arg):
    scene.thread()
    status, page = _get(member, f"q=kitchen&page={page_arg}")
    assert status in (200, 422)
    if status == 200 and page_arg not in ("", "1"):
        assert hit_titles(page) == [], "there is only one page of hits"


MANY_SYLLABLES = "+".join(chr(0xAC00 + 588 * i) for i in range(19)) + "+" + "+".join("bcdefghijklmnopqrstuvwxyz")


@pytest.mark.parametrize("query", [
    "q=ab%00cd", "q=kitchen&author=ab%00c", "q=kitchen&group=co%00op", "q=kitchen&kind=thr%00ead",
    "q=%ED%A0%80%ED%A0%80", "q=kitchen&since=2024-01-01%00", "q=%22%22%22%22", "q=" + MANY_SYLLABLES,
    "q=kitchen&q=rota", "q=kitchen&group=", "q=kitchen&author=%40",
], ids=["nul-q", "nul-author", "nul-group", "nul-kind", "bad-utf8", "nul-date", "quotes", "many-words",
        "two-q", "empty-group", "bare-at"])
def test_odd_input_is_answered_never_a_500(scene, member, query):
    scene.thread()
    status, page = _get(member, query)
    assert status in (200, 422), page[:500]
    assert _get(member, query, **HX_RESULTS)[0] == status


def test_a_page_past_the_end_shows_no_hits_but_keeps_the_total(scene, finder, cast):
    scene.thread()
    found = finder.page(cast.member, "kitchen", page=50)
    assert found.hits == [] and found.total == 1


def test_searching_writes_nothing(app, scene, member):
    tid = scene.thread(title="협동조합 회의", body="kitchen")
    scene.comment(tid, body="kitchen too")
    visitor = scene.client("anonymous")
    before = row_counts(app)
    for client in (member, visitor):
        for query in ("q=협동조합", "q=kitchen&sort=date&kind=comment", "q=a", "q=", "q=kitchen&author=%40nobody",
                      "q=kitchen&page=abc", f"q=kitchen&group={scene.slug}", "q=%22%EB%8F%8C%EB%B4%84%22"):
            _get(client, query)
            _get(client, query, **HX_RESULTS)
    assert row_counts(app) == before


def test_messages_are_in_korean_for_a_korean_speaker(app, scene, make_user):
    person = make_user("minji", locale="ko")
    client = app.test_client()
    assert Auth(client).login(person).status_code == 302
    _status, page = _get(client, "q=a")
    message = " ".join(notices(page))
    assert re.search("[가-힣]", message), message
    assert "Type at least" not in page
    _status, page = _get(client, "q=kitchen&author=%40nobody")
    assert "No one has that handle" not in page
    assert any(re.search("[가-힣]", e) for e in field_errors(page))


# ---------------------------------------------------------------- filters, sorting, paging


def test_group_filter_keeps_one_group(app, scene, make_cast):
    from tests.archive.archive_helpers import ArchiveScene

    town = ArchiveScene(app, make_cast("town", "public"))
    scene.thread(title="Heron in the co-op", body="x")
    town.thread(title="Heron in town", body="x")
    member = scene.client("member")
    assert sorted(hit_titles(_get(member, "q=heron")[1])) == ["Heron in the co-op", "Heron in town"]
    assert hit_titles(_get(member, "q=heron&group=town")[1]) == ["Heron in town"]
    assert hit_titles(_get(member, f"q=heron&group={scene.slug}")[1]) == ["Heron in the co-op"]


@pytest.mark.parametrize("kind, expected", [
    ("thread", "thread"), ("comment", "comment"), ("document", "document"), ("proposal", None), ("", "all"),
])
def test_kind_filter_keeps_one_kind(scene, member, kind, expected):
    tid = scene.thread(title="Zq", body="Heron thread")
    cid = scene.comment(tid, body="Heron comment")
    did = scene.document(title="Zq doc", body="Heron document")
    links = {"thread": f"/t/{tid}", "comment": f"#comment-{cid}", "document": f"/d/{did}"}
    found = hit_links(_get(member, f"q=heron&kind={kind}")[1])
    if expected is None:
        assert found == []
    elif expected == "all":
        assert len(found) == 3
    else:
        assert len(found) == 1
        assert links[expected] in found[0], (found, links)


@pytest.mark.parametrize("author", ["%40coopfac", "coopfac", "%40CoopFac"], ids=["at-handle", "bare-handle", "case"])
def test_author_filter_keeps_one_persons_writing(scene, member, author):
    scene.thread(author="facilitator", title="Heron by the facilitator", body="x")
    scene.thread(author="member", title="Heron by the member", body="x")
    status, page = _get(member, f"q=heron&author={author}")
    assert status == 200
    assert hit_titles(page) == ["Heron by the facilitator"]


def test_date_filters_keep_the_days_asked_for(scene, member):
    old = scene.thread(title="Heron long ago", body="x")
    scene.thread(title="Heron today", body="x")
    backdate(scene, Thread, old, datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc), "thread")
    assert sorted(hit_titles(_get(member, "q=heron")[1])) == ["Heron long ago", "Heron today"]
    assert hit_titles(_get(member, "q=heron&since=2025-01-01")[1]) == ["Heron today"]
    assert hit_titles(_get(member, "q=heron&until=2024-12-31")[1]) == ["Heron long ago"]
    assert hit_titles(_get(member, "q=heron&since=2024-03-10&until=2024-03-10")[1]) == ["Heron long ago"]
    assert hit_titles(_get(member, "q=heron&since=2024-03-11&until=2024-12-31")[1]) == []


def test_sort_by_date_puts_the_newest_first(scene, member):
    dense = scene.thread(title="Heron heron", body="Heron heron heron.")
    scene.thread(title="A walk", body="We walked along the river for hours and saw, far off, one heron; then we went "
                                       "home and made soup and talked about other things entirely.")
    backdate(scene, Thread, dense, datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc), "thread")
    assert hit_titles(_get(member, "q=heron")[1]) == ["Heron heron", "A walk"]
    assert hit_titles(_get(member, "q=heron&sort=relevance")[1]) == ["Heron heron", "A walk"]
    assert hit_titles(_get(member, "q=heron&sort=date")[1]) == ["A walk", "Heron heron"]


def test_paging_through_25_hits(scene, member, finder, cast):
    for i in range(25):
        scene.thread(title=f"Pelican {i:02d}", body="x")
    pages = {n: _get(member, f"q=pelican&page={n}")[1] for n in (1, 2, 3)}
    seen = [hit_titles(pages[n]) for n in (1, 2, 3)]
    assert [len(s) for s in seen] == [10, 10, 5]
    assert sorted(sum(seen, [])) == [f"Pelican {i:02d}" for i in range(25)]
    for page in pages.values():
        assert "25 results" in page
    assert 'rel="next"' in pages[1] and 'rel="prev"' not in pages[1]
    assert 'rel="next"' not in pages[3] and 'rel="prev"' in pages[3]
    assert 'start="21"' in pages[3]
    second = finder.page(cast.member, "pelican", page=2, per_page=20)
    assert (second.total, len(second.hits)) == (25, 5)


def test_paging_keeps_the_filters(scene, member):
    for i in range(11):
        scene.thread(author="facilitator", title=f"Pelican {i:02d}", body="x")
    _status, page = _get(member, "q=pelican&author=%40coopfac&sort=date")
    link = re.search(r'href="([^"]*)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "author=" in link and "sort=date" in link and "page=2" in link
    assert len(hit_titles(member.get(link).get_data(as_text=True))) == 1


# ---------------------------------------------------------------- htmx


def test_htmx_gets_only_the_results(scene, member):
    scene.thread(title="Heron", body="x")
    status, fragment = _get(member, "q=heron", **HX_RESULTS)
    assert status == 200
    assert "<html" not in fragment and "<form" not in fragment and "<body" not in fragment
    assert hit_titles(fragment) == ["Heron"]
    assert "1 result" in fragment


def test_htmx_gets_the_message_for_a_short_query(scene, member):
    status, fragment = _get(member, "q=h", **HX_RESULTS)
    assert status == 200
    assert "<html" not in fragment
    assert "at least 2" in fragment


def test_htmx_error_keeps_its_status(scene, member):
    status, fragment = _get(member, "q=heron&kind=vote", **HX_RESULTS)
    assert status == 422
    assert "<html" not in fragment


def test_without_htmx_the_whole_page_comes(scene, member):
    scene.thread(title="Heron", body="x")
    _status, page = _get(member, "q=heron")
    assert "<html" in page and 'id="search-results"' in page
    assert hit_titles(page) == ["Heron"]


# ---------------------------------------------------------------- stored script stays text


XSS_TITLE = '<script>alert(1)</script> Lynx <img src=x onerror=alert(2)> hx-get="/x"'
XSS_BODY = ('Lynx `<script>alert(3)</script>` and `<img src=x onerror=alert(4)>` and '
            '`<a hx-get="/x" hx-on:click="alert(5)">Lynx</a>` and `<div hx-post="/y" hx-trigger="load">`')


def _live_markup_problems(html: str) -> list[str]:
    """Tags a browser or htmx would act on: script, img, any on* handler or hx-* attribute."""
    problems = []
    for tag in re.findall(r"<[a-zA-Z/][^>]*>", html):
        markup = re.sub(r"\"[^\"]*\"|'[^']*'", '""', tag)  # a quoted value may say anything
        name = re.match(r"</?([\w:-]+)", tag).group(1).lower()
        if name in {"script", "img", "iframe", "svg", "object", "embed"}:
            problems.append(tag)
        if re.search(r"\s(on\w+|hx-[\w:-]+|data-hx-[\w:-]+)\s*=", markup, re.IGNORECASE):
            problems.append(tag)
    return problems


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_stored_script_and_htmx_attributes_come_back_escaped(scene, member, htmx):
    tid = scene.thread(title=XSS_TITLE, body=XSS_BODY)
    scene.comment(tid, body=XSS_BODY)
    scene.document(title=XSS_TITLE, body=XSS_BODY)
    status, page = _get(member, "q=lynx", **(HX_RESULTS if htmx else {}))
    assert status == 200
    results = results_block(page)
    assert len(hit_titles(results)) == 3
    assert "<mark>Lynx</mark>" in results
    assert "<script" not in results.lower()
    assert _live_markup_problems(results) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in results, "the title is shown, as text"
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in results, "the code span's text survived, escaped"
    assert "hx-on:click=&#34;" in results or "hx-on:click=&quot;" in results


def test_a_query_with_markup_is_echoed_as_text(scene, member):
    query = "%3Cscript%3Ealert(1)%3C%2Fscript%3E+%3Cdiv+hx-get%3D%22%2Fx%22%3E"
    _status, page = _get(member, f"q={query}")
    assert "<script>alert(1)" not in page
    assert '<div hx-get="/x">' not in page
    assert all("alert" not in s for s in re.findall(r"<script[^>]*>.*?</script>", page, re.S))


# ---------------------------------------------------------------- the box on every page


@pytest.mark.parametrize("who, path", [
    ("anonymous", "/"), ("member", "/"), ("member", "/g/coop"), ("member", "/g/coop/timeline"),
    ("outsider", "/"), ("anonymous", "/login"),
])
def test_the_search_box_is_on_every_page(scene, who, path):
    response = scene.client(who).get(path, follow_redirects=True)
    assert response.status_code == 200
    form = re.search(r'<form\b[^>]*\baction="/search"[^>]*>(.*?)</form>', response.get_data(as_text=True), re.S)
    assert form, f"no search form on {path}"
    assert re.search(r'<input\b[^>]*\bname="q"', form.group(1))
    assert 'method="get"' in form.group(0).lower()


def test_the_search_box_takes_you_to_results(scene):
    scene.thread(title="회의록 보관", body="x")
    page = scene.client("member").get("/search", query_string={"q": "회의록"}).get_data(as_text=True)
    assert hit_titles(page) == ["회의록 보관"]
    assert "<mark>회의록</mark>" in page
