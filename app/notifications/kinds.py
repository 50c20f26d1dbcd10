"""Every kind of notification, each declared once: how a member hears of it unless they choose
otherwise, its label on the settings page, the sentence it reads as, which events it reacts to
and who hears of them. A new kind is one more entry in KINDS.

Events come from the spine (`app.core.events.happened`); `services.listen` hands each to the
kinds that react to it. Kinds that react to no event are sent on a schedule by `reminders`,
which also sends "care_assigned" for the care tasks held this week or next.
By default mentions and the things that need the member (a vote closing, an action or care
task given to them, their care task starting tomorrow, a swap asked of them) come by email
too; the rest stay in the app until the member says otherwise.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.core.events import Happening
from app.core.extensions import db
from app.core.i18n import day
from app.decisions.models import Action, Participation, Proposal
from app.groups import policy as groups_policy
from app.groups import queries as group_queries
from app.labour.models import Swap
from app.notifications.models import ThreadSubscription


@dataclass
class Notice:
    """One notification to queue: these people hear of `target` (see services.notify)."""

    user_ids: Iterable[int]
    target: object
    payload: dict = field(default_factory=dict)
    occasion: str | None = None
    members_only: bool = True


@dataclass
class Words:
    """What a sentence may say, in the reader's language."""

    actor: str
    title: str
    week: str
    group: str
    choice: str = ""  # an objection's: "object" or "block"


@dataclass(frozen=True)
class Kind:
    channel: str  # the default: "off", "app" (in Canoe) or "email" (in Canoe and by email)
    label: object  # on the settings page
    says: Callable[[Words], str]  # one sentence for the inbox and the email
    on: tuple[str, ...] = ()  # the events it reacts to; none: sent only by the reminders
    tell: Callable[[Happening], Iterable[Notice]] = lambda what: ()
    # A call to action ("Your vote is needed") can be overtaken: `settled(user_id, target ids)`
    # says which targets ask nothing more of that person, and why (a key of SETTLED), in a query
    # or two for a whole inbox page; `said` is then the sentence, without the call.
    settled: Callable[[int, list[int]], dict[int, str]] | None = None
    said: Callable[[Words], str] | None = None


# ---------------------------------------------------------------- who hears


def _followers(thread_id: int) -> set[int]:
    return set(db.session.scalars(select(ThreadSubscription.user_id).where(
        ThreadSubscription.thread_id == thread_id, ThreadSubscription.state == "follow")))


def _still_reads(user_id: int, group) -> bool:
    person = db.session.get(User, user_id)
    return person is not None and groups_policy.can_read(person, group)


def _reply(what: Happening) -> list[Notice]:
    """The author of the comment (or thread) replied to — unless the reply mentions them, which tells
    them already, or they have left a private group, which then says nothing more to them."""
    to = what.extra["replied_to"]
    if not to or to in what.extra["mentioned"] or not _still_reads(to, what.group):
        return []
    return [Notice([to], what.subject, dict(what.payload), members_only=False)]


def _comment(what: Happening) -> list[Notice]:
    """Followers of the thread, except those this comment already told (mentioned, replied to)."""
    told = set(what.extra["mentioned"]) | {what.extra["replied_to"]}
    return [Notice(_followers(what.payload["thread_id"]) - told, what.subject, dict(what.payload))]


def _voters(proposal) -> list[int]:
    return sorted(db.session.scalars(select(Participation.user_id).where(Participation.proposal_id == proposal.id)))


def _actions(what: Happening) -> list[Notice]:
    """Each action's owner hears of the action given to them."""
    outcome = what.subject
    return [Notice([a.owner_id], a, {"title": a.description, "proposal_id": outcome.proposal_id})
            for a in outcome.actions if a.owner_id]


def _swap_accepted(what: Happening) -> list[Notice]:
    swap = what.subject
    if swap.from_user_id == what.actor.id:  # taking back your own offer tells no one
        return []
    return [Notice([swap.from_user_id], swap, {"title": what.payload["task"]})]


def _care_assigned(what: Happening) -> list[Notice]:
    a = what.subject
    return [Notice([a.user_id], a.task, {"title": a.task.name, "week": what.extra["week"]},
                   occasion=f"p{a.period}s{a.slot}")]


def _objection(what: Happening) -> list[Notice]:
    """The proposer hears that someone objected (or blocked): they may want to talk or amend.
    Once per objector and version, so changing one's reason doesn't tell them again."""
    proposal = what.subject
    if proposal.author_id is None:
        return []
    return [Notice([proposal.author_id], proposal, {"title": what.payload["title"], "choice": what.payload["choice"]},
                   occasion=f"u{what.actor.id}v{proposal.version}")]


# ---------------------------------------------------------------- calls to action that have passed


# Why a notice no longer asks anything, as its inbox line says it (the kind's `settled` gives the key).
SETTLED = {
    "closed": _l("Closed — see the outcome"),
    "withdrawn": _l("Withdrawn"),
    "voted": _l("You voted"),
    "accepted": _l("Taken over"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
    "done": _l("Done"),
}


def _proposals_settled(user_id: int, ids: list[int]) -> dict[int, str]:
    """Proposals no longer open (closed, withdrawn), or that this person has voted on since."""
    why = {pid: status for pid, status in db.session.execute(
        select(Proposal.id, Proposal.status).where(Proposal.id.in_(ids), Proposal.status.in_(("closed", "withdrawn"))))}
    still = [pid for pid in ids if pid not in why]
    if still:
        why.update({pid: "voted" for pid in db.session.scalars(select(Participation.proposal_id).where(
            Participation.user_id == user_id, Participation.proposal_id.in_(still)))})
    return why


def _swaps_settled(user_id: int, ids: list[int]) -> dict[int, str]:
    return dict(db.session.execute(select(Swap.id, Swap.status).where(Swap.id.in_(ids), Swap.status != "open")).all())


def _actions_settled(user_id: int, ids: list[int]) -> dict[int, str]:
    return {aid: "done" for aid in db.session.scalars(select(Action.id).where(Action.id.in_(ids),
                                                                              Action.done_at.is_not(None)))}


# ---------------------------------------------------------------- the kinds


def _week(iso: str) -> str:
    try:
        return day(date.fromisoformat(iso))
    except (TypeError, ValueError):
        return iso


def _thanks(w: Words) -> str:
    if w.title:
        return _("%(actor)s thanked you: “%(title)s”", actor=w.actor, title=w.title)
    return _("%(actor)s thanked you for your care work.", actor=w.actor)


def _objected(w: Words) -> str:
    if w.choice == "block":
        return _("%(actor)s blocked your proposal “%(title)s”.", actor=w.actor, title=w.title)
    return _("%(actor)s objected to your proposal “%(title)s”.", actor=w.actor, title=w.title)


# In the order the settings page shows them.
KINDS: dict[str, Kind] = {
    "mention": Kind(
        "email", _l("Someone mentions me"),
        lambda w: _("%(actor)s mentioned you in “%(title)s”.", actor=w.actor, title=w.title),
        on=("mentioned",),
        tell=lambda what: [Notice(what.extra["people"], what.subject, dict(what.payload))]),
    "reply": Kind(
        "app", _l("Someone replies to me"),
        lambda w: _("%(actor)s replied to you in “%(title)s”.", actor=w.actor, title=w.title),
        on=("comment.added",), tell=_reply),
    "comment": Kind(
        "app", _l("New comments in threads I follow"),
        lambda w: _("%(actor)s commented in “%(title)s”, a thread you follow.", actor=w.actor, title=w.title),
        on=("comment.added",), tell=_comment),
    "proposal": Kind(
        "app", _l("A new proposal in the group"),
        lambda w: _("%(actor)s proposed “%(title)s”. Your vote is needed.", actor=w.actor, title=w.title),
        on=("proposal.opened",),
        tell=lambda what: [Notice(group_queries.member_ids(what.group.id), what.subject,
                                  {"title": what.payload["title"]})],
        settled=_proposals_settled,
        said=lambda w: _("%(actor)s proposed “%(title)s”.", actor=w.actor, title=w.title)),
    "closing": Kind(
        "email", _l("A proposal closes within 24 hours and I haven't voted"),
        lambda w: _("“%(title)s” closes within 24 hours and you haven't voted yet.", title=w.title),
        settled=_proposals_settled,
        said=lambda w: _("“%(title)s” was about to close.", title=w.title)),
    "objection": Kind(
        "app", _l("Someone objects to my proposal"),
        _objected, on=("proposal.objected",), tell=_objection),
    "amended": Kind(
        "app", _l("A proposal I voted on is amended"),
        lambda w: _("%(actor)s amended “%(title)s”, which you voted on.", actor=w.actor, title=w.title),
        on=("proposal.amended",),
        tell=lambda what: [Notice(_voters(what.subject), what.subject, dict(what.payload))]),
    "outcome": Kind(
        "app", _l("An outcome is recorded"),
        lambda w: _("The outcome of “%(title)s” is recorded.", title=w.title),
        on=("outcome.recorded",),
        tell=lambda what: [Notice(group_queries.member_ids(what.group.id), what.subject.proposal,
                                  {"title": what.payload["title"], "result": what.payload["result"]})]),
    "action": Kind(
        "email", _l("An action is given to me"),
        lambda w: _("%(actor)s gave you an action: %(title)s.", actor=w.actor, title=w.title),
        on=("outcome.recorded",), tell=_actions, settled=_actions_settled),
    "action_due": Kind(
        "app", _l("An action of mine is due"),
        lambda w: _("Your action is due: %(title)s.", title=w.title),
        settled=_actions_settled, said=lambda w: _("Your action was due: %(title)s.", title=w.title)),
    "review_due": Kind(
        "app", _l("A decision is due for review (facilitators)"),
        lambda w: _("The decision “%(title)s” is due for review.", title=w.title)),
    "care_assigned": Kind(
        "email", _l("A care task is given to me"),
        lambda w: _("You hold “%(title)s” in the care rota, the week of %(week)s.", title=w.title, week=w.week),
        on=("care.override",), tell=_care_assigned),
    "care_reminder": Kind(
        "email", _l("My care task starts tomorrow"),
        lambda w: _("Reminder: your care task “%(title)s” starts tomorrow.", title=w.title)),
    "swap": Kind(
        "email", _l("Someone asks me to take over their care task"),
        lambda w: _("%(actor)s asked you to take over “%(title)s”.", actor=w.actor, title=w.title),
        on=("care.swap_requested",),
        tell=lambda what: [Notice([what.subject.to_user_id], what.subject, {"title": what.payload["task"]})],
        settled=_swaps_settled),
    "swap_accepted": Kind(
        "app", _l("Someone takes over my care task"),
        lambda w: _("%(actor)s took over “%(title)s” from you.", actor=w.actor, title=w.title),
        on=("care.swap_accepted",), tell=_swap_accepted),
    "swap_cancelled": Kind(
        "app", _l("A swap request about a care task is cancelled"),
        lambda w: _("The request to take over “%(title)s”, the week of %(week)s, is cancelled: the rota changed "
                    "since it was made.", title=w.title, week=w.week),
        on=("care.swap_cancelled",),
        tell=lambda what: [Notice([what.subject.from_user_id, what.subject.to_user_id], what.subject,
                                  dict(what.payload))]),
    "thanks": Kind(
        "app", _l("Someone thanks me for care work"), _thanks,
        on=("care.thanked",),
        tell=lambda what: [Notice([what.subject.to_user_id], what.subject, {"title": what.payload["message"]})]),
    "invitation_accepted": Kind(
        "app", _l("Someone joins by invitation (admins)"),
        lambda w: _("%(actor)s joined %(group)s by invitation.", actor=w.actor, group=w.group),
        on=("invitation.accepted",),
        tell=lambda what: [Notice(group_queries.role_holders(what.group.id, ("admin",)), None,
                                  dict(what.payload))]),
}
DEFAULTS = {name: kind.channel for name, kind in KINDS.items()}
# Kinds a thread's mute silences; mentions still come through, as they name you.
MUTABLE = ("reply", "comment")
CHANNEL_LABELS = {"off": _l("Off"), "app": _l("In Canoe"), "email": _l("In Canoe and by email")}
# {event kind: the names of the kinds that react to it, in the order above}
REACTIONS: dict[str, list[str]] = {}
for _name, _kind in KINDS.items():
    for _event in _kind.on:
        REACTIONS.setdefault(_event, []).append(_name)


def label(kind: str) -> str:
    return str(KINDS[kind].label) if kind in KINDS else kind


def describe(note, settled: str | None = None) -> str:
    """One sentence for the inbox and the email, in the current language; `settled`: the call to
    action has passed (see `Kind.settled`), so the sentence no longer makes it."""
    payload = note.payload or {}
    words = Words(
        actor=note.actor.display_name if note.actor is not None else _("Someone"),
        title=payload.get("title", ""),
        week=_week(payload.get("week", "")),
        group=note.group.name if note.group is not None else "",
        choice=payload.get("choice", ""),
    )
    if note.kind in KINDS:
        kind = KINDS[note.kind]
        return (kind.said or kind.says)(words) if settled else kind.says(words)
    return _("%(actor)s: something new in %(group)s.", actor=words.actor, group=words.group)
