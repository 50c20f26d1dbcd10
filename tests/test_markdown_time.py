"""No text can hold a worker: rendering is linear in the length, and the worst input of the
longest allowed length renders in well under a second of CPU.

The inputs are the benchmark's (bench/markdown.py): each family of adversarial text at the
maximum length, and an ordinary long document. Times are CPU time of this process, the best
of a few runs, so other work on the machine doesn't decide the outcome.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.markdown import render, render_with_mentions
from bench.markdown import (
    ADVERSARIAL,
    BUDGET_S,
    MAX_LENGTH,
    cpu_seconds,
    normal_document,
    repeat,
)


def test_the_length_limit_is_the_one_the_forms_enforce():
    from app.archive.forms import MAX_BODY

    assert MAX_LENGTH == MAX_BODY == 50_000


@pytest.mark.parametrize("family", sorted(ADVERSARIAL))
def test_adversarial_text_at_the_maximum_length_renders_within_the_budget(family):
    text = ADVERSARIAL[family](MAX_LENGTH)
    assert len(text) == MAX_LENGTH
    seconds = cpu_seconds(text, runs=2)
    assert seconds < BUDGET_S, f"{family}: {seconds:.2f} s of CPU for {MAX_LENGTH:,} characters"


def test_an_ordinary_long_document_renders_quickly():
    text = normal_document(MAX_LENGTH)
    assert len(text) == MAX_LENGTH
    assert cpu_seconds(text, runs=2) < BUDGET_S / 4
    html = str(render(text))
    assert "<table>" in html and "<li>" in html and "<pre>" in html


# The families that do the most work per character: where a super-linear step would show.
HEAVY = ["quote_tight", "ordered_list_deep", "emphasis_mixed", "entities", "mentions_known", "bracket_backtick"]


@pytest.mark.parametrize("family", HEAVY)
def test_doubling_the_text_at_most_about_doubles_the_time(family):
    make = ADVERSARIAL[family]
    for _attempt in range(2):  # a second look before failing: one busy moment is not a trend
        single = cpu_seconds(make(MAX_LENGTH), runs=3)
        double = cpu_seconds(make(2 * MAX_LENGTH), runs=3)
        # A quadratic step makes it 4x; 2.5x leaves room for timer noise, and 20 ms for
        # inputs too quick to time well.
        if double <= 2.5 * single + 0.02:
            return
    pytest.fail(f"{family}: {single:.3f} s, then {double:.3f} s for twice the text")


TOKENS = [
    "[", "]", "(", ")", "![", "[a](", "[](", "](", "<", ">", "<a", "</", "<b c=1>", "<p>", "<ul>", "<!--",
    "*", "_", "**", "__", "**_", "~~", "`", "```", "\n", "\n\n", " ", "    ", "> ", ">", "- ", "+ ", "1. ",
    "|", "|-", "| a |", "&", "&#", "&amp;", "@ab ", "@a", "\\", "# ", "---", "[x]: /y\n", "[x]", "<br>",
    "<https://a.example>", "/files/1/a.png", "https://evil.example/t.gif", "\"", "'", "한",
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=24).map("".join))
def test_any_mix_of_the_tokens_at_the_maximum_length_renders_within_the_budget(unit):
    text = repeat(unit, MAX_LENGTH)
    assert cpu_seconds(text, runs=1) < BUDGET_S, repr(unit)


def test_rendering_returns_what_it_found_even_on_huge_mention_heavy_text():
    text = repeat("@ab ", MAX_LENGTH)
    html, found = render_with_mentions(text, lambda handle: handle)
    assert found == {"ab"}
    assert str(html).count('class="mention"') == MAX_LENGTH // 4
