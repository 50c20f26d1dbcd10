"""Korean as well as English: what a query finds, and what it must not (docs/SEARCH.md, "Korean and English").

Every test runs on each backend the database can hold (see conftest), so the same table of
cases checks the whoosh index and the PostgreSQL one.
"""
import unicodedata

import pytest

from app.core.extensions import db
from app.decisions.models import Proposal
from app.decisions.proposals import open_draft
from app.search import analyzer
from app.search.analyzer import parse
from app.search.snippets import highlight
from tests.search.helpers import care_task, decide, propose, vote

NEUTRAL_TITLE = "Zq"  # a title no query below can match, so only the body decides


def _found(scene, finder, cast, body, query, title=NEUTRAL_TITLE) -> bool:
    tid = scene.thread(title=title, body=body)
    keys = finder.keys(cast.member, query)
    assert keys <= {("thread", tid)}, f"{query!r} found something that was never written: {keys}"
    return ("thread", tid) in keys


# ---------------------------------------------------------------- the must-hold cases


def test_cooperative_finds_it_before_a_particle(scene, finder, cast):
    assert _found(scene, finder, cast, "우리는 협동조합에서 일합니다.", "협동조합")


def test_part_of_a_compound_finds_the_compound(scene, finder, cast):
    assert _found(scene, finder, cast, "우리 협동조합의 규칙", "조합")


def test_minutes_finds_them_before_an_object_particle(scene, finder, cast):
    assert _found(scene, finder, cast, "지난주 회의록을 올렸어요.", "회의록")


def test_quoted_phrase_finds_the_phrase(scene, finder, cast):
    assert _found(scene, finder, cast, "이번 달 돌봄 노동을 나눕니다.", '"돌봄 노동"')


def test_quoted_phrase_does_not_match_the_words_far_apart(scene, finder, cast):
    body = "돌봄은 모두의 일이고, 그래서 우리는 노동을 나눕니다."
    assert _found(scene, finder, cast, body, "돌봄 노동"), "unquoted, both words are there"
    assert not _found(scene, finder, cast, body, '"돌봄 노동"')


def test_decide_finds_decided(scene, finder, cast):
    assert _found(scene, finder, cast, "We decided to buy a cargo bike.", "decide")


def test_mixed_query_loomio_meeting(scene, finder, cast):
    tid = scene.thread(title="Zq", body="Loomio 회의에서 정했습니다.")
    other = scene.thread(title="Zq", body="Loomio alone, with no meeting word.")
    assert finder.keys(cast.member, "Loomio 회의") == {("thread", tid)}
    assert ("thread", other) in finder.keys(cast.member, "Loomio")


# ---------------------------------------------------------------- our own cases
# (id, what the body says, the query, whether it must be found)

CASES = [
    # particles
    ("particle-eun", "조합원은 모두 모였습니다.", "조합원", True),
    ("particle-neun", "회의는 내일 열립니다.", "회의", True),
    ("particle-i", "올해 예산이 부족합니다.", "예산", True),
    ("particle-ga", "회계가 끝났습니다.", "회계", True),
    ("particle-eul", "새 안건을 올립니다.", "안건", True),
    ("particle-reul", "자료를 공유합니다.", "자료", True),
    ("particle-eseo", "사무실에서 만나요.", "사무실", True),
    ("particle-euro", "회비는 현금으로 냅니다.", "현금", True),
    ("particle-wa", "바자회와 장터를 엽니다.", "바자회", True),
    ("particle-gwa", "텃밭과 부엌을 돌봅니다.", "텃밭", True),
    ("particle-ui", "조합의 정관을 고칩니다.", "정관", True),
    ("particle-do", "이번 달에는 회비도 냅니다.", "회비", True),
    ("particle-man", "이사회만 참석합니다.", "이사회", True),
    ("particle-stacked-eseoneun", "총회에서는 투표합니다.", "총회", True),
    # compound nouns
    ("compound-head", "주택협동조합을 세웁니다.", "협동조합", True),
    ("compound-first-part", "주택협동조합을 세웁니다.", "주택", True),
    ("compound-middle", "공동육아나눔터 모임", "육아", True),
    ("compound-last-part", "생활협동조합연합회 소식", "연합회", True),
    # spacing variants
    ("spacing-query-joined-text-spaced", "우리의 돌봄 노동 기록", "돌봄노동", True),
    ("spacing-query-spaced-text-joined", "우리의 돌봄노동을 기록합니다", "돌봄 노동", True),
    ("spacing-phrase-text-joined", "돌봄노동은 보이지 않습니다", '"돌봄 노동"', True),
    ("spacing-childcare", "공동 육아 모임", "공동육아", True),
    # mixed script
    ("mixed-joined-query-joined-text", "Loomio회의에서 정했습니다.", "Loomio회의", True),
    ("mixed-joined-query-spaced-text", "Loomio 회의에서 정했습니다.", "Loomio회의", True),
    ("mixed-english-word-before-particle", "Canoe에서 투표합니다.", "canoe", True),
    ("mixed-two-words", "Slack으로 공지했어요.", "slack 공지", True),
    # numbers
    ("number-year-before-particle", "2026년에 시작합니다.", "2026년", True),
    ("number-floor", "3층 회의실에서 봅니다.", "3층", True),
    ("number-other-year", "2025년 예산안", "2026년", False),
    ("number-alone", "예산 2026 계획", "2026", True),
    # English stemming
    ("stem-plural-meetings", "We had two meetings this week.", "meeting", True),
    ("stem-singular-query-finds-plural-policies", "Our policies are short.", "policy", True),
    ("stem-plural-query-finds-singular-policy", "The policy says so.", "policies", True),
    ("stem-running-run", "She was running the kitchen.", "run", True),
    ("stem-planned-plan", "We planned the party.", "plan", True),
    ("stem-organising", "Organising the rota is hard.", "organise", True),
    ("stem-cooperatives", "Housing cooperatives in Seoul", "cooperative", True),
    ("stem-voted-vote", "Everyone voted yesterday.", "vote", True),
    # case and width
    ("case-upper-text", "LOOMIO is where we met.", "loomio", True),
    ("case-mixed-query", "loomio is where we met.", "LoOmIo", True),
    ("nfkc-full-width-letters", "We used Loomio before.", "ＬＯＯＭＩＯ", True),
    ("nfkc-full-width-digits", "2026년에 시작합니다.", "２０２６년", True),
    ("nfd-query-jamo", "지난주 회의록을 올렸어요.", unicodedata.normalize("NFD", "회의록"), True),
    ("nfd-text-jamo", unicodedata.normalize("NFD", "우리는 협동조합에서 일합니다."), "협동조합", True),
    # one syllable inside a query: matched as the start of a word
    ("one-syllable-prefix-book", "책을 읽기로 했어요.", "책 읽기", True),
    ("one-syllable-prefix-rice", "밥을 짓는 당번", "밥 당번", True),
    ("one-syllable-still-required", "글을 읽기로 했어요.", "책 읽기", False),
    # every word must be there
    ("and-both-present", "회의록과 예산안을 올립니다.", "회의록 예산", True),
    ("and-one-missing", "협동조합에서만 씁니다.", "협동조합 Loomio", False),
    ("and-english-one-missing", "kitchen rota for May", "kitchen garden", False),
    # things that must not match
    ("neg-longer-word", "우리는 협동조합에서 일합니다.", "조합원", False),
    ("neg-minutes-vs-meeting", "어제 회의를 했습니다.", "회의록", False),
    ("neg-decide-decimal", "Round to one decimal place.", "decide", False),
    ("neg-policy-police", "The police car was parked.", "policy", False),
    ("neg-shared-first-syllable", "노래를 불렀어요.", "노동", False),
    ("neg-phrase-order", "notes from the meeting", '"meeting notes"', False),
    ("neg-phrase-reversed-korean", "노동 돌봄", '"돌봄 노동"', False),
]


@pytest.mark.parametrize("body, query, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_language_case(scene, finder, cast, body, query, expected):
    assert _found(scene, finder, cast, body, query) is expected


# ---------------------------------------------------------------- where the words are


def test_a_word_only_in_the_title_is_found(scene, finder, cast):
    tid = scene.thread(title="텃밭 가꾸기 계획", body="Details follow.")
    assert finder.keys(cast.member, "텃밭") == {("thread", tid)}


def test_a_word_only_in_the_body_is_found(scene, finder, cast):
    tid = scene.thread(title="Plans", body="올해 텃밭을 가꿉니다.")
    assert finder.keys(cast.member, "텃밭") == {("thread", tid)}


def test_words_split_between_title_and_body_are_both_required_and_found(scene, finder, cast):
    tid = scene.thread(title="텃밭 계획", body="We need seeds.")
    assert finder.keys(cast.member, "텃밭 seeds") == {("thread", tid)}
    assert finder.keys(cast.member, "텃밭 compost") == set()


def test_comments_and_documents_are_found(scene, finder, cast):
    tid = scene.thread(title="Zq", body="Nothing here.")
    cid = scene.comment(tid, body="공구함은 창고에 있어요.")
    did = scene.document(title="Zq handbook", body="# 공구함\n\n쓰고 나면 제자리에.")
    assert finder.keys(cast.member, "공구함") == {("comment", cid), ("document", did)}


def test_a_comment_is_found_by_its_threads_title(scene, finder, cast):
    tid = scene.thread(title="바자회 준비", body="Zq")
    cid = scene.comment(tid, body="I can bring tables.")
    assert ("comment", cid) in finder.keys(cast.member, "바자회 tables")


def test_markdown_markup_is_not_indexed_as_words(scene, finder, cast):
    tid = scene.thread(title="Zq", body="**굵은** 글씨와 [링크](https://example.org/strongpath)")
    assert finder.keys(cast.member, "굵은") == {("thread", tid)}
    assert finder.keys(cast.member, "strong") == set(), "HTML tag names are not text"


# ---------------------------------------------------------------- decisions and care work


def test_poll_option_labels_find_the_proposal(scene, finder, cast):
    pid = propose(scene, title="언제 모일까요", body="Pick one.", kind="poll",
                  options=("화요일 저녁 모임", "Thursday breakfast"))
    assert ("proposal", pid) in finder.keys(cast.member, "breakfast")
    assert ("proposal", pid) in finder.keys(cast.member, "화요일 저녁")


def test_outcome_statement_finds_the_proposal(scene, finder, cast):
    pid = propose(scene, title="Cargo bike", body="For the market runs.")
    assert finder.keys(cast.member, "자전거", kinds=("proposal",)) == set()
    decide(scene, pid, "화물 자전거를 사기로 결정했습니다.")
    assert finder.keys(cast.member, "자전거", kinds=("proposal",)) == {("proposal", pid)}


def test_proposal_title_and_body_find_it(scene, finder, cast):
    pid = propose(scene, title="공동 텃밭 만들기", body="Where the old shed was.")
    assert ("proposal", pid) in finder.keys(cast.member, "텃밭")
    assert ("proposal", pid) in finder.keys(cast.member, "shed")


def test_care_task_name_is_found(scene, finder, cast):
    task = care_task(scene, "화분에 물 주기", "Twice a week.")
    assert finder.keys(cast.member, "화분") == {("care_task", task)}


def test_care_task_description_is_found(scene, finder, cast):
    task = care_task(scene, "Plants", "월요일과 목요일에 화분에 물을 줍니다.")
    assert finder.keys(cast.member, "목요일 화분") == {("care_task", task)}


def test_a_draft_proposal_is_never_found(scene, finder, cast):
    propose(scene, title="초안 Quokka", body="아직 비공개인 초안입니다.", draft=True)
    for who in (cast.member, cast.facilitator, cast.admin):
        assert finder.keys(who, "Quokka") == set()
        assert finder.total(who, "비공개") == 0


def test_a_draft_is_found_once_it_is_opened(scene, finder, cast):
    pid = propose(scene, title="초안 Quokka", body="Draft words.", draft=True)
    assert finder.total(cast.member, "Quokka") == 0
    with scene.ctx():
        open_draft(scene.user("member"), db.session.get(Proposal, pid), days=3)
    assert ("proposal", pid) in finder.keys(cast.member, "Quokka")


def test_a_deleted_thread_and_its_comments_are_not_found(scene, finder, cast):
    tid = scene.thread(title="삭제될 글", body="Platypus 이야기")
    scene.comment(tid, body="Platypus 답글")
    assert len(finder.keys(cast.member, "Platypus")) == 2
    scene.delete_thread(tid)
    assert finder.keys(cast.member, "Platypus") == set()
    assert finder.total(cast.admin, "삭제될") == 0


def test_a_deleted_comment_is_not_found(scene, finder, cast):
    tid = scene.thread(title="Zq", body="Zq")
    cid = scene.comment(tid, body="Axolotl 답글")
    assert finder.keys(cast.member, "Axolotl") == {("comment", cid)}
    scene.delete_comment(cid)
    assert finder.keys(cast.member, "Axolotl") == set()


def test_a_deleted_document_is_not_found(scene, finder, cast):
    from app.archive import documents as archive
    from app.archive.models import Document
    from app.core.extensions import db

    did = scene.document(title="Narwhal 안내서", body="본문")
    assert finder.keys(cast.member, "Narwhal") == {("document", did)}
    with scene.ctx():
        archive.delete_document(scene.user("member"), db.session.get(Document, did))
    assert finder.keys(cast.member, "Narwhal") == set()


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
def test_vote_reasons_are_never_found(scene, finder, cast, anonymous):
    pid = propose(scene, title="Cargo bike", body="For the market runs.", anonymous=anonymous)
    vote(scene, pid, "member", "object", "Wombat 때문에 반대합니다: 주차장이 없습니다.")
    vote(scene, pid, "admin", "consent", "Wombat 괜찮아요, 주차장 문제는 풀 수 있어요.")
    for who in (cast.member, cast.admin, cast.facilitator):
        assert finder.total(who, "Wombat") == 0
        assert finder.total(who, "주차장") == 0
    decide(scene, pid, "We bought it.")  # closed, results shown: still never indexed
    for who in (cast.member, cast.admin):
        assert finder.total(who, "Wombat") == 0


# ---------------------------------------------------------------- analyzer.parse


@pytest.mark.parametrize("query", ["", " ", "a", "가", "  x  ", '"a"', '""', unicodedata.normalize("NFD", "가")],
                         ids=["empty", "space", "one-letter", "one-syllable", "padded-letter", "quoted-letter",
                              "empty-quotes", "one-decomposed-syllable"])
def test_parse_too_short(query):
    parsed = parse(query)
    assert parsed.too_short
    assert parsed.empty


@pytest.mark.parametrize("query", ["ab", "회의", "a b"])
def test_parse_two_characters_are_enough(query):
    parsed = parse(query)
    assert not parsed.too_short
    assert not parsed.empty


def test_parse_every_word_is_a_required_clause():
    clauses = parse("협동조합 Decided").clauses
    assert [c.terms for c in clauses] == [("협동", "동조", "조합"), ("decid",)]
    assert not any(c.prefix for c in clauses)


def test_parse_quoted_phrase_is_one_clause():
    clauses = parse('"돌봄 노동" meetings').clauses
    assert clauses[0].terms == ("돌봄", "봄노", "노동")
    assert clauses[1].terms == ("meet",)
    assert len(clauses) == 2


def test_parse_lone_syllable_is_a_prefix_clause():
    clauses = parse("책 읽기").clauses
    assert clauses[0] == analyzer.Clause(("책",), prefix=True)
    assert clauses[1] == analyzer.Clause(("읽기",))


def test_parse_punctuation_alone_is_empty_but_not_too_short():
    parsed = parse("?!?!")
    assert parsed.empty and not parsed.too_short


def test_parse_repeated_word_is_one_clause():
    assert len(parse("회의 회의 회의").clauses) == 1


def test_index_and_query_normalise_alike():
    assert analyzer.terms("ＬＯＯＭＩＯ") == analyzer.terms("loomio")
    assert analyzer.terms(unicodedata.normalize("NFD", "협동조합")) == analyzer.terms("협동조합")


# ---------------------------------------------------------------- snippets.highlight


def test_highlight_marks_the_whole_korean_word_run():
    assert str(highlight("협동조합에서 만나요", parse("협동조합").clauses)) == "<mark>협동조합</mark>에서 만나요"


def test_highlight_marks_the_stemmed_english_word():
    assert str(highlight("We decided today.", parse("decide").clauses)) == "We <mark>decided</mark> today."


def test_highlight_marks_a_phrase_with_its_space():
    assert str(highlight("이번 달 돌봄 노동을 나눕니다", parse('"돌봄 노동"').clauses)) == "이번 달 <mark>돌봄 노동</mark>을 나눕니다"


def test_highlight_marks_every_occurrence_and_every_clause():
    marked = str(highlight("회의록은 Loomio에, 회의록 사본은 여기에", parse("회의록 loomio").clauses))
    assert marked == "<mark>회의록</mark>은 <mark>Loomio</mark>에, <mark>회의록</mark> 사본은 여기에"


def test_highlight_escapes_html_around_and_inside_the_mark():
    marked = str(highlight('<script>alert(1)</script><b>협동조합</b> & "x"', parse("협동조합").clauses))
    assert "<script" not in marked and "<b>" not in marked
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;<mark>협동조합</mark>&lt;/b&gt; &amp;" in marked


def test_highlight_escapes_htmx_attributes():
    marked = str(highlight('<a hx-get="/x" hx-on:click="alert(1)">회의</a>', parse("회의").clauses))
    assert "<a" not in marked
    assert "hx-get=&#34;/x&#34;" in marked or "hx-get=&quot;/x&quot;" in marked
    assert "<mark>회의</mark>" in marked


def test_highlight_cuts_long_text_around_the_first_match():
    text = "가나다라 " * 100 + "협동조합에서 만나요 " + "마바사아 " * 100
    marked = str(highlight(text, parse("협동조합").clauses))
    assert "<mark>협동조합</mark>" in marked
    assert marked.startswith("…") and marked.endswith("…")
    assert len(marked) < 300


def test_highlight_without_a_match_is_the_escaped_start():
    marked = str(highlight("<i>nothing</i> here", parse("협동조합").clauses))
    assert marked == "&lt;i&gt;nothing&lt;/i&gt; here"
