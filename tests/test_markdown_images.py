"""Images in user text load only from this app's attachment files; every other image is a link.

An <img> makes every reader's browser fetch its address as soon as the page shows: from
another server that is a tracking pixel, and from one of the app's own addresses (such as
`/g/<slug>/export`) it is a request made in the reader's name. So only `/files/<id>/<name>`
of an image file loads; anything else becomes a link, marked as an image, opened by a click.
"""
import html as htmllib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.markdown import IMAGE_MARK, render, render_with_mentions
from tests.archive.archive_helpers import inert_problems

ATTACHMENTS = [
    "/files/12/photo.png",
    "/files/12/photo.JPG",
    "/files/3/minutes-2024.jpeg",
    "/files/7/a.b.gif",
    "/files/999999999999999999/x.webp",
    "/files/5/%EC%82%AC%EC%A7%84%201.png",
    "/files/5/it's%20(1).png",
]

ELSEWHERE = [
    "https://evil.example/pixel.gif",
    "http://evil.example/pixel.png",
    "HTTPS://EVIL.EXAMPLE/PIXEL.PNG",
    "HtTp://evil.example/a.png",
    "//evil.example/x.png",
    "/\\evil.example/x.png",
    "\\\\evil.example/x.png",
    "/g/coop/export",
    "/g/coop/export?format=zip",
    "/logout",
    "/files/12/photo.png?download=1",
    "/files/12/photo.png#x",
    "/files/12/../../g/coop/export",
    "/files/12/..%2F..%2Fg%2Fcoop%2Fexport.png",
    "/files/12/%2e%2e/x.png",
    "/files/12/%2E%2E",
    "/files/12/a%5Cb.png",
    "/files/12/sub/photo.png",
    "/files/12/report.pdf",
    "/files/12/photo",
    "/files/0/photo.png",
    "/files/012/photo.png",
    "/files/x/photo.png",
    "/FILES/12/photo.png",
    "files/12/photo.png",
    "/files//photo.png",
    "photo.png",
]


def images(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", html)


@pytest.mark.parametrize("src", ATTACHMENTS)
def test_an_attachment_image_shows_in_the_page(src):
    html = str(render(f"![the plan]({src})"))
    assert len(images(html)) == 1, html
    shown = re.search(r'<img src="([^"]*)" alt="the plan">', html).group(1)
    assert htmllib.unescape(shown) == src
    assert IMAGE_MARK not in html


@pytest.mark.parametrize("src", ELSEWHERE)
def test_any_other_image_is_a_marked_link_and_loads_nothing(src):
    html = str(render(f"![the plan]({src})"))
    assert images(html) == [], html
    assert f"{IMAGE_MARK} the plan" in html


def test_an_image_link_shows_the_alt_text_and_opens_the_address():
    html = str(render('![the plan](https://ok.example/plan.png "Our plan")'))
    assert html == (f'<p><a class="image-link" href="https://ok.example/plan.png" title="Our plan" '
                    f'rel="noopener noreferrer nofollow">{IMAGE_MARK} the plan</a></p>')


def test_an_image_link_without_alt_text_shows_its_address():
    html = str(render("![](https://ok.example/plan.png)"))
    assert f"{IMAGE_MARK} https://ok.example/plan.png</a>" in html


def test_entity_encoded_addresses_are_judged_as_the_browser_reads_them():
    html = str(render("![x](&#x2F;&#x2F;evil.example/x.png) ![y](&#47;g&#47;coop&#47;export)"))
    assert images(html) == []
    assert html.count(IMAGE_MARK) == 2
    # …and an attachment written with entities is still an attachment.
    assert images(str(render("![z](&#47;files&#47;4&#47;z.png)"))) == ['<img src="/files/4/z.png" alt="z">']


def test_reference_style_images_follow_the_same_rule():
    html = str(render("![kept][a] and ![linked][b]\n\n[a]: /files/4/plan.png\n[b]: https://evil.example/t.gif"))
    assert images(html) == ['<img src="/files/4/plan.png" alt="kept">']
    assert f'class="image-link" href="https://evil.example/t.gif" rel="noopener noreferrer nofollow">{IMAGE_MARK} linked</a>' in html


def test_an_image_inside_a_link_becomes_marked_text_in_that_link():
    html = str(render("[![build](https://ci.example/badge.svg)](https://ci.example)"))
    assert images(html) == []
    assert html == f'<p><a href="https://ci.example" rel="noopener noreferrer nofollow">{IMAGE_MARK} build</a></p>'


def test_an_attachment_image_inside_a_link_still_shows():
    html = str(render("[![plan](/files/4/plan.png)](https://ok.example)"))
    assert images(html) == ['<img src="/files/4/plan.png" alt="plan">']


def test_a_script_address_gives_neither_image_nor_address():
    for src in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:image/png;base64,AAAA", "vbscript:x"):
        html = str(render(f"![x]({src})"))
        assert images(html) == [] and "href" not in html, html
        assert inert_problems(html) == []


def test_raw_img_tags_are_shown_as_text():
    html = str(render('<img src="/g/coop/export"> <IMG SRC=//evil.example/x.png>'))
    assert images(html) == []
    assert "&lt;img src=" in html and "&lt;IMG SRC=" in html


def test_image_links_carry_rel_noopener_noreferrer_nofollow():
    html, _ = render_with_mentions("![a](https://ok.example/a.png) @ana", lambda handle: handle)
    links = re.findall(r"<a [^>]*>", str(html))
    assert len(links) == 2
    assert all('rel="noopener noreferrer nofollow"' in link for link in links)


PIECES = ["![", "[", "]", "(", ")", "<", ">", " ", "/", "//", "\\", "files", "/files/1/", "a.png", "..", "%2e",
          "https:", "evil.example", "&#47;", "&#x2F;", "?", "#", "[r]", "\n\n[r]: ", "x", "!", "\"t\""]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_no_text_yields_an_image_from_anywhere_but_an_attachment(text):
    for src in re.findall(r'<img src="([^"]*)"', str(render(text))):
        assert re.fullmatch(r"/files/[1-9][0-9]*/[^/?#\\]+\.(?i:png|jpe?g|gif|webp)", src), (text, src)
        assert ".." not in src and "%2e" not in src.lower()
