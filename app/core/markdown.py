"""The only way user text becomes HTML: CommonMark (with tables and strikethrough), then nh3
with an explicit allow-list.

Text is rendered once, when it is written; pages show the stored HTML inside `data-hx-disable`.

Every step takes time linear in the length of the text, so no text can hold a worker:
- pulldown-cmark (through pyromark) parses in linear time, also on unclosed brackets, runs of
  emphasis or backticks and deep nesting, and it bounds how far link references and short
  table rows can expand;
- raw HTML is not interpreted: a `<` that could open a tag is shown as written (only `<br>`
  still breaks a line, as tables need it). Raw tags were the way to hand the sanitiser
  input on which its HTML parser is super-linear (thousands of nested blocks, formatting
  tags it must reopen in every paragraph), and markdown covers what people write here;
- one regular-expression pass over the renderer's own output, which is regular (every `<`
  in it opens a tag the renderer wrote, attribute values are escaped), links @mentions,
  turns images into links (see `_is_attachment_image`) and flattens lists and quotes nested
  deeper than MAX_NESTING (the sanitiser's parser is quadratic in nesting depth);
- nh3 then applies the allow-list to the result.
"""
import re
from collections.abc import Callable
from html import unescape as html_unescape
from urllib.parse import quote

import nh3
import pyromark
from markupsafe import Markup, escape

TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
}
# No style, no on*, no data-*, no hx-*: only what these tags need to mean something.
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
CLASSES = {"a": {"mention", "image-link"}}
URL_SCHEMES = {"http", "https", "mailto"}

# A handle after a space or the start, not inside an email address or a word.
MENTION = r"(?<![\w@/])@([A-Za-z0-9가-힣]{2,30})"

# Lists and quotes inside one another deeper than this (counting each list and each item)
# lose their outer markup: no one writes that deep, and it keeps the sanitiser linear.
MAX_NESTING = 32

IMAGE_MARK = "🖼"  # shown before an image that is offered as a link instead of loaded

_PARSER = pyromark.Markdown(options=pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH)

# Stands in for a `<` that could start raw HTML while the renderer runs; a noncharacter,
# removed from the text first, so it means nothing else.
_LT = "\ufdd0"
_LT_IN_URL = "%EF%B7%90"  # how the renderer percent-encodes it in a link or image address
# `<` then a letter, `/`, `!` or `?` is how every raw HTML tag, comment or declaration
# begins in CommonMark; an autolink (`<https://…>`, `<name@example.org>`) can't be one.
_RAW_HTML_START = re.compile(
    r"<(?=[A-Za-z/!?])"
    r"(?![A-Za-z][A-Za-z0-9+.\-]{1,31}:)"
    r"(?![A-Za-z0-9][A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]{0,63}@)"
)
_ALIGN = {f' style="text-align: {side}"': f' align="{side}"' for side in ("left", "center", "right")}
# A table row shorter than its header is filled out with empty cells, so a few lines of text
# can ask for hundreds of thousands of them. When the output is out of all proportion to the
# text, rows end at their last written cell instead. Matched on the reversed HTML, from each
# row's end: a run of empty cells is then taken in one go, never re-scanned from its middle.
_FILLED_ROW_END = re.compile(r">rt/<(?:>dt/<>[^<>]*dt<)+")

# In the renderer's output: an image, a tag whose nesting matters, a handle, a written `<br>`
# (escaped in text by then) or an ampersand. Only <a>, <img> and <code> carry text the author
# wrote in attributes, and each is matched whole, so the last three are only ever found in text.
_PASS = re.compile(
    r"<img\b(?P<image>[^>]*)>"
    r"|<(?P<closing>/?)(?P<tag>a|code|pre|blockquote|ul|ol|li)\b[^>]*>"
    r"|(?P<br>&lt;br ?/?&gt;)"
    r"|(?P<ampersand>&amp;)"
    r"|" + MENTION,
    re.IGNORECASE,
)
_HANDLE = _PASS.groups  # MENTION's group, the last one
# The sanitiser's parser takes time quadratic in the number of `&` in one run of text; an
# empty element it removes anyway, every so many, cuts the run without changing the output.
_AMPERSANDS_PER_RUN = 128
_CUT = "<span></span>"
_ATTRIBUTE = re.compile(r'([a-z]+)="([^"]*)"')
_CONTAINERS = {"blockquote", "ul", "ol", "li"}

# An attachment as the app serves it (archive.attachment: /files/<id>/<file name>), an
# image by its name, and nothing else: no query, no fragment, no other folder, no way out
# of this one (`..`, `%2e`, encoded slashes or backslashes).
_ATTACHMENT_IMAGE = re.compile(
    r"/files/[1-9][0-9]{0,17}/"
    r"(?:[A-Za-z0-9_~!$&'()*+,;=:@-]|\.(?!\.)|%(?!2[eEfF]|5[cC])[0-9A-Fa-f]{2})+"
    r"\.(?i:png|jpe?g|gif|webp)"
)


def mentioned_handles(text: str | None) -> set[str]:
    """Every @handle written in the text, lower-cased (code and links included: a cheap first pass)."""
    return {h.lower() for h in re.findall(MENTION, text or "")}


def _is_attachment_image(src: str) -> bool:
    """An image may load in the page only from this app's own attachment files.

    Anything else — another server (a tracking pixel), `//host`, or another address of this
    app (`/g/<slug>/export`: a reader's browser would request it) — becomes a link instead.
    `src` is the address as the browser reads it (entities decoded).
    """
    return len(src) <= 2048 and _ATTACHMENT_IMAGE.fullmatch(src) is not None


def _without_raw_html(text: str) -> str:
    # Lone surrogates can't be encoded for the parser; NUL becomes U+FFFD, as CommonMark says.
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return _RAW_HTML_START.sub(_LT, text.replace(_LT, ""))


def _commonmark(text: str) -> str:
    """The renderer's HTML, with the held-back `<` shown as text again."""
    html = _PARSER.html(_without_raw_html(text))
    html = html.replace(_LT, "&lt;").replace(_LT_IN_URL, "%3C")
    for style, align in _ALIGN.items():
        html = html.replace(style, align)
    if len(html) > 10 * len(text) + 100_000:
        html = _FILLED_ROW_END.sub(">rt/<", html[::-1])[::-1]
    return html


class _Rewrite:
    """The callback of the one pass over the renderer's output (see `_PASS`), in order."""

    def __init__(self, resolve: Callable[[str], str | None] | None):
        self.resolve = resolve
        self.found: set[str] = set()
        self.links = 0  # open <a>: no mention link and no image link inside one
        self.code = 0  # open <code> or <pre>: text stays as written
        self.depth = 0  # open lists, items and quotes
        self.ampersands = 0

    def __call__(self, match: re.Match) -> str:
        kind = match.lastgroup
        if kind == "tag":
            return self._tag(match.group(), match.group("closing") == "/", match.group("tag"))
        if kind == "image":
            return self._image(match.group("image"))
        if kind == "br":
            return match.group() if self.code else "<br>"
        if kind == "ampersand":
            self.ampersands += 1
            return "&amp;" + _CUT if self.ampersands % _AMPERSANDS_PER_RUN == 0 else "&amp;"
        return self._mention(match.group(), match.group(_HANDLE))

    def _tag(self, tag: str, closing: bool, name: str) -> str:
        if name in _CONTAINERS:
            self.depth += 0 if closing else 1
            keep = self.depth <= MAX_NESTING
            self.depth -= 1 if closing else 0
            return tag if keep else ""
        if name == "a":
            self.links += -1 if closing else 1
        else:
            self.code += -1 if closing else 1
        return tag

    def _mention(self, written: str, handle: str) -> str:
        if self.resolve is None or self.links or self.code:
            return written
        handle = self.resolve(handle.lower())
        if handle is None:
            return written
        self.found.add(handle)
        return f'<a class="mention" href="/u/{quote(handle)}">@{escape(handle)}</a>'

    def _image(self, attributes: str) -> str:
        # Values arrive escaped by the renderer, so they go back out as they are.
        values = dict(_ATTRIBUTE.findall(attributes))
        src, alt, title = values.get("src", ""), values.get("alt", ""), values.get("title", "")
        title = f' title="{title}"' if title else ""
        if _is_attachment_image(html_unescape(src)):
            return f'<img src="{src}" alt="{alt}"{title}>'
        label = f"{IMAGE_MARK} {alt or src}"
        if self.links or not src:
            return label
        return f'<a class="image-link" href="{src}"{title}>{label}</a>'


def _clean(html: str) -> Markup:
    return Markup(
        nh3.clean(
            html,
            tags=TAGS,
            attributes=ATTRIBUTES,
            allowed_classes=CLASSES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )


def _render(text: str | None, resolve: Callable[[str], str | None] | None) -> tuple[Markup, set[str]]:
    if not text:
        return Markup(""), set()
    rewrite = _Rewrite(resolve)
    html = _PASS.sub(rewrite, _commonmark(text))
    return Markup(_clean(html).strip()), rewrite.found


def render_with_mentions(text: str | None, resolve: Callable[[str], str | None]) -> tuple[Markup, set[str]]:
    """Markdown → sanitised HTML, with @mentions of known people linked. Returns (html, handles).

    `resolve` gets each lower-cased handle written outside links and code, and returns the
    handle to link to, or None to leave it as text.
    """
    return _render(text, resolve)


def render(text: str | None) -> Markup:
    """Markdown → sanitised HTML, safe to put in a page as it is."""
    return _render(text, None)[0]


_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|li|h[1-6]|pre|blockquote|tr|td|th|div|table|ul|ol)>", re.I)
_SPACES = re.compile(r"[ \t]*\n\s*|[ \t]{2,}")


def plain_text(html: str | None) -> str:
    """The words of already-rendered HTML, with no markup at all (what search indexes).
    Block ends become line breaks, so the last word of one paragraph never runs into the
    first of the next."""
    if not html:
        return ""
    text = nh3.clean(_BLOCK_END.sub(lambda m: m.group() + "\n", html), tags=set(), strip_comments=True)
    return _SPACES.sub(lambda m: "\n" if "\n" in m.group() else " ", html_unescape(text)).strip()
