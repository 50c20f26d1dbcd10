"""Reading the site as a person would: follow every same-site link breadth-first, and note every
form a page offers (where it posts, its fields and the values a browser would send).

Pages are parsed with the standard library's HTMLParser: links are `href` and `hx-get`
addresses; forms are `<form>` elements with their `<input>`, `<select>` and `<textarea>`.
"""
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from werkzeug.exceptions import HTTPException

HX = {"HX-Request": "true"}


@dataclass
class Field:
    name: str
    kind: str  # the input's type ("text", "number", "date", "checkbox", …), "select" or "textarea"
    value: str = ""  # what a browser sends for it as the page was shown
    options: list = field(default_factory=list)  # a select's or radio group's values


@dataclass
class Form:
    action: str
    method: str
    fields: dict = field(default_factory=dict)  # name -> Field


class PageParser(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for key in ("href", "hx-get"):
            if a.get(key) and tag != "link":
                self.links.append(urljoin(self.page_url, a[key]))
        if tag == "form":
            action = a.get("hx-post") or a.get("action") or self.page_url
            method = "post" if a.get("hx-post") else (a.get("method") or "get").lower()
            self._form = Form(urljoin(self.page_url, action), method)
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._option(a)
        elif self._form is not None and a.get("name"):
            self._field(tag, a)

    def _field(self, tag, a):
        fields, name = self._form.fields, a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            known = fields.setdefault(name, Field(name, kind))
            if kind in ("radio", "checkbox"):
                known.options.append(a.get("value", "on"))
                if "checked" in a:
                    known.value = a.get("value", "on")
            else:
                known.value = a.get("value", "")
        elif tag == "select":
            self._select = fields.setdefault(name, Field(name, "select"))
        elif tag == "textarea":
            self._textarea = fields.setdefault(name, Field(name, "textarea"))

    def _option(self, a):
        self._select.options.append(a.get("value", ""))
        if "selected" in a or len(self._select.options) == 1:
            self._select.value = a.get("value", "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data.lstrip("\n") if not self._textarea.value else data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse(page_url: str, html: str) -> tuple[list[str], list[Form]]:
    """(links, forms) of a page, addresses made absolute."""
    parser = PageParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.links, parser.forms


def same_site_path(url: str) -> str | None:
    """The path and query of a link to this site (the test client's "localhost"), else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{urlencode(parse_qsl(parts.query, keep_blank_values=True))}" if parts.query else "")


def endpoint_of(app, path: str, method: str = "GET") -> tuple[str | None, dict]:
    """The endpoint and URL variables a path goes to, or (None, {}) if none."""
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(urlsplit(path).path, method=method)
    except HTTPException:
        return None, {}


@dataclass
class Crawl:
    pages: dict = field(default_factory=dict)  # path -> (status, text body or "", mimetype) of every GET
    forms: list = field(default_factory=list)  # (page path, Form) of every form seen


def crawl(app, client, start: list[str], limit: int = 400, per_endpoint: int = 12, skip=("static",)) -> Crawl:
    """Breadth-first over same-site GET links from `start`, at most `limit` pages and at most
    `per_endpoint` addresses of any one endpoint (so paging and filters can't run away)."""
    found = Crawl()
    queue, seen, counts = deque(), set(), {}
    for path in start:
        queue.append(path)
        seen.add(path)
    while queue and len(found.pages) < limit:
        path = queue.popleft()
        endpoint, _args = endpoint_of(app, path)
        if endpoint is None or endpoint in skip:
            continue
        counts[endpoint] = counts.get(endpoint, 0) + 1
        if counts[endpoint] > per_endpoint:
            continue
        response = client.get(path)
        body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        found.pages[path] = (response.status_code, body, response.mimetype)
        response.close()
        if response.mimetype != "text/html":
            continue
        links, forms = parse(f"http://localhost{path}", body)
        found.forms += [(path, form) for form in forms]
        for link in links:
            target = same_site_path(link)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return found
