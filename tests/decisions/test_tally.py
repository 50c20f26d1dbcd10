"""The tally and its words: each answer's count in text with a bar coloured by its meaning, who took
part said once, the quorum only when there is one, distinct Korean headings, and "Change my vote"
starting from what I said."""
import html
import re
from pathlib import Path

import pytest

from app.accounts.models import User
from tests.decisions.helpers import HX, REASON, my_reason, section, text

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "canoe.css"


def votes_of(client, pid) -> str:
    return section(html.unescape(client.get(f"/p/{pid}").get_data(as_text=True)), "votes")


def rows(votes: str) -> dict[str, str]:
    """The tally: each row's meaning (its class) → the count it says in text."""
    return dict(re.findall(r'<li class="tally-row tally-(\w+)">.*?<strong class="tally-count">(\d+)</strong>', votes, re.S))


def in_korean(scene, who):
    scene.set(User, scene.uid(who), locale="ko")
    return scene.client(who)


# ---------------------------------------------------------------- the bars


@pytest.mark.parametrize("kind, choices, expected", [
    ("consent", [("admin", "consent", ""), ("member", "object", REASON)],
     {"consent": "1", "concern": "0", "object": "1"}),
    ("consensus", [("admin", "agree", ""), ("member", "block", REASON), ("facilitator", "abstain", "")],
     {"agree": "1", "abstain": "1", "disagree": "0", "block": "1"}),
])
def test_each_tally_row_names_its_answer_and_says_its_count_in_text(scene, kind, choices, expected):
    pid = scene.propose("facilitator", kind=kind)
    for who, choice, reason in choices:
        scene.vote(pid, who, choice, reason)
    votes = votes_of(scene.client("member"), pid)
    assert rows(votes) == expected
    for meaning in expected:  # the word, not only the colour: every row carries its choice badge
        row = re.search(rf'<li class="tally-row tally-{meaning}">(.*?)</li>', votes, re.S).group(1)
        assert f'class="choice-badge choice-{meaning}"' in row
        assert 'aria-hidden="true"' in re.search(r"<svg[^>]*>", row).group(0)  # the bar is decoration
    # Each bar's length is its share of those who took part; an empty row has no filled part.
    fills = {m: fill.group(1) for m, row in re.findall(r'<li class="tally-row tally-(\w+)">(.*?)</li>', votes, re.S)
             if (fill := re.search(r'<rect class="tally-fill" width="([\d.]+)"', row))}
    took = len(choices)
    assert fills == {m: f"{100 * int(n) / took:.2f}" for m, n in expected.items() if n != "0"}


def test_poll_options_are_neutral_rows_with_their_labels(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    tea, _coffee = scene.option_ids(pid)
    scene.vote(pid, "admin", "option", options=[tea])
    votes = votes_of(scene.client("member"), pid)
    labels = re.findall(r'<li class="tally-row tally-option">.*?</span> (\w+)</span>.*?'
                        r'<strong class="tally-count">(\d+)</strong>', votes, re.S)
    assert labels == [("Tea", "1"), ("Coffee", "0")]


def test_the_stylesheet_colours_bars_by_meaning():
    """Object and block red, concern amber, consent green, abstain and options grey (the browser
    test looks at the pixels)."""
    css = CSS.read_text()
    assert ".tally-object, .tally-block { --tally-colour: var(--bad); }" in css
    assert ".tally-consent, .tally-agree { --tally-colour: var(--good); }" in css
    assert ".tally-concern, .tally-disagree { --tally-colour: var(--warn); }" in css
    assert ".tally-abstain, .tally-advice, .tally-option { --tally-colour: var(--muted); }" in css
    assert ".tally .tally-fill { fill: var(--tally-colour); }" in css
    assert "<meter " not in (CSS.parents[2] / "templates" / "decisions" / "_parts.html").read_text()


# ---------------------------------------------------------------- the words, said once


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("kind", ["consent", "consensus", "poll", "advice"])
def test_who_took_part_is_said_once_and_no_quorum_is_named_when_none_was_set(scene, kind, closed):
    options = {"options": ("Tea", "Coffee")} if kind == "poll" else {}
    pid = scene.propose("facilitator", kind=kind, **options)
    choice = {"consent": "consent", "consensus": "agree", "poll": "option", "advice": "advice"}[kind]
    scene.vote(pid, "admin", choice, "Worth a try.", options=scene.option_ids(pid)[:1])
    if closed:
        scene.close(pid)
    words = text(votes_of(scene.client("member"), pid))
    assert words.count("members took part") == 1, words
    assert "1 of 3 members took part" in words
    assert "quorum" not in words.casefold()


def test_a_quorum_that_was_set_is_named_once(scene):
    pid = scene.propose("facilitator", quorum_percent=50)
    scene.vote(pid, "admin", "consent")
    client = scene.client("member")
    assert "So far: 1 of 3 members took part; the quorum is 50%." in text(votes_of(client, pid))
    scene.close(pid)
    words = text(votes_of(client, pid))
    assert "No quorum: too few members took part. 1 of 3 members took part; the quorum was 50%." in words
    assert words.count("50%") == 1


def test_a_poll_nobody_voted_in_says_so_without_a_count(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee"))
    scene.close(pid)
    words = text(votes_of(scene.client("member"), pid))
    assert "Nobody voted." in words and "took part" not in words


def test_a_closed_proposal_in_korean_has_one_heading_per_concept(scene):
    pid = scene.decided(title="Paint the door")
    page = html.unescape(in_korean(scene, "member").get(f"/p/{pid}").get_data(as_text=True))
    headings = [text(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
    assert "투표 결과" in headings and "결론" in headings
    assert len(headings) == len(set(headings))
    assert "■ 마감됨" in text(page)


def test_the_open_state_is_a_state_in_korean_not_a_verb(scene):
    scene.propose("facilitator", title="Paint the door")
    client = in_korean(scene, "member")
    page = html.unescape(client.get("/g/coop/decisions").get_data(as_text=True))
    assert "진행 중" in [text(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
    assert "● 진행 중" in text(page)
    assert "열기" not in text(page)


# ---------------------------------------------------------------- changing my vote


def test_change_my_vote_starts_from_my_answer_and_reason_on_the_page(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "member", "concern", "The stairs are steep.")
    votes = votes_of(scene.client("member"), pid)
    assert "Change my vote" in votes
    assert re.search(r'<input type="radio" name="choice" value="concern" checked>', votes)
    assert len(re.findall(r'name="choice" value="\w+" checked', votes)) == 1
    assert my_reason(votes) == "The stairs are steep."


def test_after_an_htmx_vote_the_form_still_holds_what_i_said(scene):
    pid = scene.propose("facilitator")
    response = scene.client("member").post(f"/p/{pid}/vote", data={"choice": "object", "reason": REASON}, headers=HX)
    block = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert re.search(r'<input type="radio" name="choice" value="object" checked>', block)
    assert my_reason(block) == REASON


def test_change_my_vote_on_a_poll_keeps_my_options_checked(scene):
    pid = scene.propose("facilitator", kind="poll", options=("Tea", "Coffee", "Water"), multiple_choice=True)
    tea, coffee, water = scene.option_ids(pid)
    scene.vote(pid, "member", "option", "Hot drinks.", options=[tea, water])
    votes = votes_of(scene.client("member"), pid)
    checked = {int(v) for v in re.findall(r'name="option_ids" value="(\d+)" checked', votes)}
    assert checked == {tea, water}
    assert my_reason(votes) == "Hot drinks."


def test_someone_elses_reason_is_never_in_my_form(scene):
    pid = scene.propose("facilitator")
    scene.vote(pid, "admin", "object", REASON)
    assert my_reason(votes_of(scene.client("member"), pid)) == ""
