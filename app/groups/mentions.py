"""Text written in a group: rendered once, with @handles of its current members linked."""
from app.accounts.models import User
from app.core.markdown import mentioned_handles, render_with_mentions
from app.groups.models import Group
from app.groups.queries import members_by_handle


def render_in(group: Group, text: str) -> tuple[str, list[User]]:
    """Stored HTML for this text, and the members it mentions. A handle of someone outside stays plain text."""
    members = members_by_handle(group, mentioned_handles(text))
    html, found = render_with_mentions(text, lambda h: h if h in members else None)
    return str(html), [members[h] for h in found]
