"""User text renders inert: markdown → nh3 allow-list, everywhere a person can write.

Each payload goes through app.core.markdown.render and, through the routes, into a thread title
and body, a comment, and a document title and body; every page that shows them is checked.
"""
import re

import pytest
from markupsafe import escape

from app.archive.models import Comment, Document, Thread
from app.core.markdown import render, render_with_mentions
from tests.archive.archive_helpers import (  # noqa: F401 (fixtures)
    inert_problems,
    page_problems,
    private,
    user_regions,
)

PAYLOADS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    "<img src=\"https://ok.example/a.png\" onerror=\"alert(1)\" onload='alert(2)'>",
    "<sVg/OnLoAd=alert(1)>",
    "<svg onload=alert(1)><circle r=5 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\" onmouseover=alert(2)>ok</a>",
    # frames, plugins and page-wide tags
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<style>@import 'https://evil.example/x.css'; body{display:none}</style>",
    "<form action=\"/logout\" method=\"post\"><button>Free coffee</button></form>",
    # javascript:, vbscript:, data: URLs, raw and in markdown
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "[x](JaVaScRiPt:alert(1))",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "[x](vbscript:msgbox(1))",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    # entity-encoded and split schemes
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "[x](javascript&#58;alert(1))",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"\tjava\tscript:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\" &#14;javascript:alert(1)\">x</a>",
    # htmx and data attributes
    "<div hx-get=\"/logout\" hx-trigger=\"load\">x</div>",
    "<p hx-post=\"/notifications/read-all\" hx-trigger=\"load\">x</p>",
    "<p data-hx-post=\"/logout\" data-hx-trigger=\"load\">x</p>",
    "<button hx-on:click=\"alert(1)\">x</button>",
    "<p hx-on::load=\"alert(1)\" data-x=\"1\">x</p>",
    "<a href=\"/ok\" hx-boost=\"true\" data-confirm=\"x\">x</a>",
    "<p hx-disable=\"false\" hx-get=\"/x\">x</p>",
    # style
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<a href=\"/ok\" style=\"position:fixed;top:0;left:0;width:100%;height:100%\">cover</a>",
    # math and namespace tricks (mutation XSS)
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text y=20>x</text></a></svg>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<table><td background=\"javascript:alert(1)\">x</td></table>",
    # markdown link titles
    "[x](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "[x](https://ok.example 'a\" onclick=\"alert(1)')",
    "![x](https://ok.example/a.png \"\\\" onerror=\\\"alert(1)\")",
    # comments hiding tags
    "<!-- <script>alert(1)</script> -->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)>",
    # things that must stay harmless text
    "`<script>alert(1)</script>`",
    "```html\n<img src=x onerror=alert(1)>\n```",
    "<img srcset=\"javascript:alert(1)\" src=\"https://ok.example/a.png\">",
    "<a href=\"/u/x\" target=\"_blank\" id=\"bell\" name=\"x\">x</a>",
]


def test_there_are_at_least_thirty_payloads():
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_leaves_nothing_that_runs(payload):
    html = str(render(payload))
    assert inert_problems(html) == [], html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_with_mentions_leaves_nothing_that_runs(payload):
    html, _ = render_with_mentions(payload + " @someone", lambda handle: handle)
    assert inert_problems(str(html)) == [], html


def test_links_get_rel_noopener_noreferrer_nofollow():
    html = str(render("[ours](https://ok.example), <https://ok.example/b>, ![pic](https://ok.example/c.png) "
                      "and <a href=\"https://ok.example/d\" rel=\"opener\">raw</a>"))
    links = re.findall(r"<a [^>]*>", html)
    assert len(links) == 3
    assert all('rel="noopener noreferrer nofollow"' in link for link in links)
    assert not any('rel="opener"' in tag for tag in re.findall(r"<[^>]*>", html))


def test_raw_html_is_shown_as_written_not_interpreted():
    """Raw tags are text: the sanitiser's HTML parser is super-linear on some tag soups."""
    html = str(render('<a href="https://ok.example/d">raw</a> <b>x</b>'))
    assert "<a " not in html and "<b>" not in html
    assert "&lt;a href=" in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_ordinary_markdown_still_renders():
    html = str(render("# Minutes\n\n**bold**, *em*, `code`, [link](https://ok.example), ![pic](/files/7/a.png)\n\n"
                      "| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two"))
    for piece in ("<h1>Minutes</h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>",
                  'href="https://ok.example"', 'src="/files/7/a.png"', "<table>", "<li>one</li>"):
        assert piece in html


def test_mentions_inside_links_and_code_stay_text():
    html, found = render_with_mentions("`@coopmember` and [@coopmember](https://ok.example)", lambda h: h)
    assert found == set()
    assert "/u/coopmember" not in str(html)


def _clean_everywhere(scene, client, thread_id, document_id, payload):
    """Every page that shows what was posted: nothing runs, and user HTML sits in hx-disable."""
    pages = {
        "thread": f"/t/{thread_id}",
        "threads": f"/g/{scene.slug}/threads",
        "thread history": f"/t/{thread_id}/history",
        "document": f"/d/{document_id}",
        "documents": f"/g/{scene.slug}/docs",
        "document history": f"/d/{document_id}/history",
        "timeline": f"/g/{scene.slug}/timeline",
        "group home": f"/g/{scene.slug}",
        "notifications": "/notifications",
    }
    title = payload.strip()[:200]
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        page = response.text
        assert page_problems(page) == [], (name, page_problems(page))
        if "<" in title and name in {"thread", "threads", "document", "documents", "timeline"}:
            assert title not in page, f"raw title on the {name} page"
            assert str(escape(title)) in page, f"escaped title missing on the {name} page"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_posted_through_every_form_is_stored_and_shown_inert(private, payload):
    member = private.client("member")
    title = payload.strip()[:200]
    response = member.post(f"/g/{private.slug}/threads/new", data={"title": title, "body": payload, "tags": ""})
    assert response.status_code == 302, response.text
    thread_id = int(re.search(r"/t/(\d+)", response.location).group(1))
    response = member.post(f"/t/{thread_id}/comments", data={"body": payload})
    assert response.status_code == 302
    comment_id = private.get(Thread, thread_id, "last_comment_id")
    # An edit, so the comment has a history page too; the facilitator replies so the member is notified.
    assert member.post(f"/c/{comment_id}/edit", data={"body": payload + "\n\nedited"}).status_code == 302
    private.comment(thread_id, "facilitator", payload, comment_id)
    response = member.post(f"/g/{private.slug}/docs/new",
                           data={"title": title, "body": payload, "folder": "Minutes", "tags": ""})
    assert response.status_code == 302, response.text
    document_id = int(re.search(r"/d/(\d+)", response.location).group(1))

    for model, id_ in ((Thread, thread_id), (Comment, comment_id), (Document, document_id)):
        stored = private.get(model, id_, "body_html")
        assert inert_problems(stored) == [], (model.__name__, stored)
    page = member.get(f"/t/{thread_id}").text
    regions = user_regions(page)
    for stored in (private.get(Thread, thread_id, "body_html"), private.get(Comment, comment_id, "body_html")):
        assert stored in regions, "user HTML sits inside an hx-disable element"
    assert private.get(Document, document_id, "body_html") in user_regions(member.get(f"/d/{document_id}").text)

    _clean_everywhere(private, member, thread_id, document_id, payload)


def test_payload_in_htmx_fragments_is_inert(private):
    """The comment fragment htmx inserts is the same sanitised HTML, inside hx-disable."""
    thread_id = private.thread()
    member = private.client("member")
    for payload in PAYLOADS:
        response = member.post(f"/t/{thread_id}/comments", data={"body": payload}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert page_problems(response.text) == [], payload
        assert user_regions(response.text), "the new comment's text is inside hx-disable"


def test_images_in_a_post_never_make_readers_request_app_addresses_or_other_servers(private):
    """`/g/<slug>/export` or a tracking pixel in a post is a link to click, not an image that loads."""
    member = private.client("member")
    body = (f"![export](/g/{private.slug}/export) ![pixel](https://evil.example/t.gif) "
            f"![plan](/files/1/plan.png) <img src=\"/g/{private.slug}/export\">")
    response = member.post(f"/g/{private.slug}/threads/new", data={"title": "Pictures", "body": body, "tags": ""})
    assert response.status_code == 302, response.text
    thread_id = int(re.search(r"/t/(\d+)", response.location).group(1))
    stored = private.get(Thread, thread_id, "body_html")
    assert re.findall(r"<img [^>]*>", stored) == ['<img src="/files/1/plan.png" alt="plan">']
    assert f'class="image-link" href="/g/{private.slug}/export"' in stored
    assert 'class="image-link" href="https://evil.example/t.gif"' in stored
    page = member.get(f"/t/{thread_id}").text
    assert stored in user_regions(page)
