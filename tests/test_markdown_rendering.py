"""What the renderer makes of markdown: CommonMark with tables and strikethrough, raw HTML shown
as written, mentions linked only in text, and bounds that keep the sanitiser linear."""

import pytest

from app.core.markdown import MAX_NESTING, plain_text, render, render_with_mentions


def everyone(handle: str) -> str:
    return handle


@pytest.mark.parametrize("raw", [
    "<div>block</div>",
    "<b>bold</b>",
    "<p>para</p>",
    "<table><tr><td>x</td></tr></table>",
    "<!-- a comment -->",
    "<?php echo 1; ?>",
    "<![CDATA[x]]>",
    "</blockquote>",
    "<ul><li>x</li></ul>",
])
def test_raw_html_is_shown_as_written(raw):
    html = str(render(f"before {raw} after"))
    assert html == f"<p>before {raw.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')} after</p>"


def test_raw_html_blocks_are_text_too():
    html = str(render("<div>\n*still markdown*\n</div>"))
    assert html == "<p>&lt;div&gt;\n<em>still markdown</em>\n&lt;/div&gt;</p>"


def test_autolinks_still_link():
    html = str(render("<https://ok.example/a?b=1&c=2> and <ana@ok.example>"))
    assert 'href="https://ok.example/a?b=1&amp;c=2"' in html
    assert 'href="mailto:ana@ok.example"' in html


def test_a_written_br_breaks_the_line_outside_code():
    html = str(render("| a | b |\n|---|---|\n| one<br>two | x<br/>y |\n\nline<BR />break `a<br>b`"))
    assert "<td>one<br>two</td><td>x<br>y</td>" in html
    assert "line<br>break" in html
    assert "<code>a&lt;br&gt;b</code>" in html


def test_angle_brackets_in_code_and_text_show_as_written():
    html = str(render("`if a <b> c` and x < y > z\n\n```\n<script>alert(1)</script>\n```"))
    assert "<code>if a &lt;b&gt; c</code>" in html
    assert "x &lt; y &gt; z" in html
    assert "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>" in html


def test_the_stand_in_character_cannot_be_smuggled_in():
    # U+FDD0 stands in for a held-back `<` while the renderer runs: written by a person, it
    # must neither survive nor turn into a tag.
    html = str(render("a \ufdd0b> \ufdd0script>x"))
    assert "\ufdd0" not in html and "<b>" not in html and "<script" not in html
    assert html == "<p>a b&gt; script&gt;x</p>"


def test_a_less_than_in_a_link_address_stays_in_the_address():
    assert 'href="/a%3Cb"' in str(render("[x](/a<b)"))


def test_nesting_deeper_than_the_limit_is_flattened_but_keeps_the_words():
    html = str(render("> " * 200 + "deep"))
    assert html.count("<blockquote>") == MAX_NESTING
    assert html.count("<blockquote>") == html.count("</blockquote>")
    assert "deep" in html
    lists = str(render("+ " * 200 + "deep"))
    assert lists.count("<ul>") + lists.count("<li>") == MAX_NESTING
    assert "deep" in lists


def test_ordinary_nesting_is_untouched():
    html = str(render("> quote\n>\n> > inner\n\n- a\n  - b\n    - c\n\n3. x\n4. y"))
    assert html.count("<blockquote>") == 2
    assert html.count("<ul>") == 3
    assert '<ol start="3">' in html


def test_table_alignment_is_kept_as_align():
    html = str(render("| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |"))
    assert '<th align="left">l</th><th align="center">c</th><th align="right">r</th>' in html
    assert "style" not in html


def test_short_table_rows_keep_their_empty_cells_in_ordinary_tables():
    html = str(render("| name | mon | tue |\n|---|---|---|\n| Ana |\n| Ben | | |"))
    assert html.count("<td></td>") == 4


def test_a_flood_of_filled_in_cells_is_cut_back_to_the_written_ones():
    text = "|a" * 50 + "\n" + "|-" * 50 + "\n" + "x\n" * 20_000
    html = str(render(text))
    assert html.count(">x<") + html.count("x\n") == 20_000
    assert "<td></td>" not in html
    assert len(html) < 20 * len(text)


def test_strikethrough_headings_and_lists_render():
    html = str(render("# Title\n\n~~gone~~ and\n\n~~~\ncode\n~~~\n\n1. one\n2. two"))
    assert "<h1>Title</h1>" in html and "<del>gone</del>" in html
    assert "<pre><code>code\n</code></pre>" in html and "<li>two</li>" in html


def test_many_ampersands_render_unchanged():
    html = str(render("&" * 1000 + " `&&` [x](/?a=1&b=2)"))
    assert html == f'<p>{"&amp;" * 1000} <code>&amp;&amp;</code> <a href="/?a=1&amp;b=2" rel="noopener noreferrer nofollow">x</a></p>'


def test_mentions_are_linked_in_text_only():
    text = ("**@ana** @ben's, (@cho) x@dan e/@eve @@fay [@gil](https://ok.example \"@hal\") "
            "![@ivy](https://ok.example/@jo.png) `@kim` <https://ok.example/@lee>\n\n```@mia\n@noa\n```")
    html, found = render_with_mentions(text, everyone)
    assert found == {"ana", "ben", "cho"}
    for handle in ("ana", "ben", "cho"):
        assert f'<a class="mention" href="/u/{handle}" rel="noopener noreferrer nofollow">@{handle}</a>' in str(html)
    assert str(html).count('class="mention"') == 3


def test_unknown_handles_stay_text():
    html, found = render_with_mentions("@ana and @nobody", lambda h: h if h == "ana" else None)
    assert found == {"ana"}
    assert "@nobody" in str(html) and "/u/nobody" not in str(html)


def test_text_that_cannot_be_encoded_still_renders():
    assert str(render("a \ud800 b \x00 c")) == "<p>a ? b \ufffd c</p>"


def test_plain_text_of_rendered_html_still_separates_blocks():
    assert plain_text(str(render("# One\n\ntwo **three**\n\n- four\n- five"))) == "One\ntwo three\nfour\nfive"
