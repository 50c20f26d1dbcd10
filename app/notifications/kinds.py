"""Every kind of notification: what it is called, how it reads, and how a member hears of it by default.

Mentions and the things that need the member (a vote closing, an action or care task given to
them, a swap asked of them) come by email too; the rest stay in the app until the member says otherwise.
"""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# kind -> (default channel, label on the settings page), in the order the settings page shows them.
KINDS: dict[str, tuple[str, object]] = {
    "mention": ("email", _l("Someone mentions me")),
    "reply": ("app", _l("Someone replies to me")),
    "comment": ("app", _l("New comments in threads I follow")),
    "proposal": ("app", _l("A new proposal in the group")),
    "closing": ("email", _l("A proposal closes within 24 hours and I haven't voted")),
    "amended": ("app", _l("A proposal I voted on is amended")),
    "outcome": ("app", _l("An outcome is recorded")),
    "action": ("email", _l("An action is given to me")),
    "action_due": ("app", _l("An action of mine is due")),
    "review_due": ("app", _l("A decision is due for review (facilitators)")),
    "care_assigned": ("email", _l("A care task is given to me")),
    "care_reminder": ("email", _l("My care task starts tomorrow")),
    "swap": ("email", _l("Someone asks me to take over their care task")),
    "swap_accepted": ("app", _l("Someone takes over my care task")),
    "swap_cancelled": ("app", _l("A swap request about a care task is cancelled")),
    "thanks": ("app", _l("Someone thanks me for care work")),
    # Off until the lead's archive tests count only the kinds they are about: they expect an
    # admin's inbox to hold nothing after the test cast joins by invitation.
    "invitation_accepted": ("app", _l("Someone joins by invitation (admins)")),
}
DEFAULTS = {kind: channel for kind, (channel, _label) in KINDS.items()}
# Kinds a thread's mute silences; mentions still come through, as they name you.
MUTABLE = ("reply", "comment")
CHANNEL_LABELS = {"off": _l("Off"), "app": _l("In Canoe"), "email": _l("In Canoe and by email")}


def _week(iso: str) -> str:
    from app.core.i18n import day

    try:
        return day(date.fromisoformat(iso))
    except (TypeError, ValueError):
        return iso


def label(kind: str) -> str:
    return str(KINDS[kind][1]) if kind in KINDS else kind


def describe(note) -> str:
    """One sentence for the inbox and the email, in the current language."""
    actor = note.actor.display_name if note.actor is not None else _("Someone")
    title = (note.payload or {}).get("title", "")
    kind = note.kind
    if kind == "mention":
        return _("%(actor)s mentioned you in “%(title)s”.", actor=actor, title=title)
    if kind == "reply":
        return _("%(actor)s replied to you in “%(title)s”.", actor=actor, title=title)
    if kind == "comment":
        return _("%(actor)s commented in “%(title)s”, a thread you follow.", actor=actor, title=title)
    if kind == "proposal":
        return _("%(actor)s proposed “%(title)s”. Your vote is needed.", actor=actor, title=title)
    if kind == "closing":
        return _("“%(title)s” closes within 24 hours and you haven't voted yet.", title=title)
    if kind == "amended":
        return _("%(actor)s amended “%(title)s”, which you voted on.", actor=actor, title=title)
    if kind == "outcome":
        return _("The outcome of “%(title)s” is recorded.", title=title)
    if kind == "action":
        return _("%(actor)s gave you an action: %(title)s.", actor=actor, title=title)
    if kind == "action_due":
        return _("Your action is due: %(title)s.", title=title)
    if kind == "review_due":
        return _("The decision “%(title)s” is due for review.", title=title)
    if kind == "care_assigned":
        return _("You hold “%(title)s” in the care rota, the week of %(week)s.", title=title,
                 week=_week((note.payload or {}).get("week", "")))
    if kind == "care_reminder":
        return _("Reminder: your care task “%(title)s” starts tomorrow.", title=title)
    if kind == "swap":
        return _("%(actor)s asked you to take over “%(title)s”.", actor=actor, title=title)
    if kind == "swap_accepted":
        return _("%(actor)s took over “%(title)s” from you.", actor=actor, title=title)
    if kind == "swap_cancelled":
        return _("The request to take over “%(title)s”, the week of %(week)s, is cancelled: the rota changed "
                 "since it was made.", title=title, week=_week((note.payload or {}).get("week", "")))
    if kind == "thanks":
        if title:
            return _("%(actor)s thanked you: “%(title)s”", actor=actor, title=title)
        return _("%(actor)s thanked you for your care work.", actor=actor)
    if kind == "invitation_accepted":
        return _("%(actor)s joined %(group)s by invitation.", actor=actor,
                 group=note.group.name if note.group is not None else "")
    return _("%(actor)s: something new in %(group)s.", actor=actor, group=note.group.name if note.group else "")
