"""What every piece of written text must be, whichever feature takes it: a title, a body."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.errors import Refused

TITLE_MAX = 200  # threads, documents and proposals alike; the title columns hold this many
TITLE_TOO_LONG = _l("A title is at most %(max)s characters.", max=TITLE_MAX)  # the check and every form say it alike


def check_title(title: str | None) -> str:
    """The title, trimmed; refused if empty or longer than TITLE_MAX."""
    title = (title or "").strip()
    if not title:
        raise Refused(_l("Give it a title."), "title")
    if len(title) > TITLE_MAX:
        raise Refused(TITLE_TOO_LONG, "title")
    return title


def check_text(text: str | None, field_name: str = "body", required: bool = True) -> str:
    """The text, trimmed; refused if empty (when required) or longer than CANOE_MAX_TEXT."""
    text = (text or "").strip()
    if required and not text:
        raise Refused(_l("Write something first."), field_name)
    limit = current_app.config["CANOE_MAX_TEXT"]
    if len(text) > limit:
        raise Refused(_l("That is too long: keep it under %(max)s characters.", max=f"{limit:,}"), field_name)
    return text
