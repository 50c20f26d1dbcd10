"""What just happened, said the same way with and without JavaScript.

A view says what came of an action the one way it always has: `flash(message, category)`,
whether or not the request came from htmx.

- Without JavaScript the next page shows the messages at the top of its content (base.html).
- With htmx there is no next page: after the view, `send_with_swap` takes the messages flashed
  for this request out of the session and sends them with the fragment, in the `HX-Trigger`
  header as `{"canoe:announce": [{"category": …, "text": …}]}`. After the swap, canoe.js shows
  each one as a flash line just before the swapped region and says it through the page's one
  live region (`#announce` in base.html).

Only answers htmx swaps into the page carry them (2xx, and 422: a form shown again with its
errors). A redirect (`HX-Redirect`, a 3xx) leaves them in the session for the page it leads to.
"""
import json

from flask import session

from app.core.extensions import htmx

EVENT = "canoe:announce"
_FLASHES = "_flashes"  # where Flask keeps flashed messages between requests


def _swapped(response) -> bool:
    """Will htmx swap this answer into the page (see the `responseHandling` in base.html)?"""
    if any(name in response.headers for name in ("HX-Redirect", "HX-Location", "HX-Refresh")):
        return False
    return 200 <= response.status_code < 300 or response.status_code == 422


def announcement(messages) -> dict:
    """The `HX-Trigger` value for (category, text) pairs."""
    return {EVENT: [{"category": category, "text": str(text)} for category, text in messages]}


def add_trigger(response, value: dict) -> None:
    """Add events to the response's `HX-Trigger` header, keeping any already there.

    Plain ASCII JSON (`\\uXXXX` for Hangul): a header carries Latin-1 at most."""
    given = response.headers.get("HX-Trigger")
    triggers = {}
    if given:
        try:
            triggers = json.loads(given)
        except ValueError:
            triggers = {name.strip(): None for name in given.split(",") if name.strip()}
    triggers.update(value)
    response.headers["HX-Trigger"] = json.dumps(triggers, ensure_ascii=True)


def send_with_swap(response):
    """after_request: move what this htmx request flashed into its answer (see the module's docstring)."""
    if not htmx or not _swapped(response) or _FLASHES not in session:
        return response
    messages = session.pop(_FLASHES)
    if messages:
        add_trigger(response, announcement(messages))
    return response


def init_app(app) -> None:
    app.after_request(send_with_swap)
