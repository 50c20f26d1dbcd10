"""The only way user text becomes HTML: markdown, then nh3 with an explicit allow-list.

Text is rendered once, when it is written; pages show the stored HTML inside `hx-disable`.
"""
import re
from html import unescape as html_unescape
from urllib.parse import quote
import xml.etree.ElementTree as etree
from collections.abc import Callable

import markdown as md
import nh3
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

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
CLASSES = {"a": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

# A handle after a space or the start, not inside an email address or a word.
MENTION = r"(?<![\w@/])@([A-Za-z0-9가-힣]{2,30})"


def mentioned_handles(text: str | None) -> set[str]:
    """Every @handle written in the text, lower-cased (code and links included: a cheap first pass)."""
    return {h.lower() for h in re.findall(MENTION, text or "")}


class _Mentions(Treeprocessor):
    """Turns @handle into a link to the person when `resolve` knows them; leaves it as text otherwise.

    Runs on the finished tree so it can skip text inside links and code.
    """

    SKIP = {"a", "code", "pre"}

    def __init__(self, md_instance, resolve: Callable[[str], str | None], found: set[str]):
        super().__init__(md_instance)
        self.resolve = resolve
        self.found = found

    def run(self, root):
        self._walk(root)

    def _walk(self, element) -> None:
        for child in list(element):
            if child.tag not in self.SKIP:
                self._walk(child)
        head, links = self._split(element.text)
        if links:
            element.text = head
            for i, link in enumerate(links):
                element.insert(i, link)
        for child in list(element):
            tail, links = self._split(child.tail)
            if links:
                child.tail = tail
                at = list(element).index(child) + 1
                for i, link in enumerate(links):
                    element.insert(at + i, link)

    def _split(self, text: str | None):
        """(text before the first mention, [link elements each carrying the text after it])."""
        if not text:
            return text, []
        head, links, last = None, [], 0
        for match in re.finditer(MENTION, text):
            handle = self.resolve(match.group(1).lower())
            if handle is None:
                continue
            self.found.add(handle)
            before = text[last:match.start()]
            if links:
                links[-1].tail = before
            else:
                head = before
            link = etree.Element("a", {"href": "/u/" + quote(handle), "class": "mention"})
            link.text = f"@{handle}"
            links.append(link)
            last = match.end()
        if links:
            links[-1].tail = text[last:]
        return head, links


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


def render_with_mentions(text: str | None, resolve: Callable[[str], str | None]) -> tuple[Markup, set[str]]:
    """Markdown → sanitised HTML, with @mentions of known people linked. Returns (html, handles)."""
    found: set[str] = set()
    if not text:
        return Markup(""), found
    converter = md.Markdown(extensions=EXTENSIONS, output_format="html")
    # After the inline pass (priority 20), when links and code spans are elements of their own.
    converter.treeprocessors.register(_Mentions(converter, resolve, found), "mention", 5)
    return _clean(converter.convert(text)), found


def render(text: str | None) -> Markup:
    """Markdown → sanitised HTML, safe to put in a page as it is."""
    if not text:
        return Markup("")
    return _clean(md.markdown(text, extensions=EXTENSIONS, output_format="html"))


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
