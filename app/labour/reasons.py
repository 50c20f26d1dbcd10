"""Why a slot went to someone, and where someone stands, as plain sentences in the viewer's language.

The rota stores the reason as data (assignment.reason: the ranked candidates with their exact
balances); these functions turn it into words when it is read, so a Korean reader and an English
reader each get a whole sentence in their own language (never fragments glued together).
"""
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import ngettext

MINUS = "\u2212"
NEVER = 10**9  # as app.labour.rota.NEVER: "never did it"


def points(value, signed: bool = False) -> str:
    """A balance to one decimal for display (the ledger itself stays exact): 2.4, −1.9, +0.5."""
    tenths = round(Fraction(value) * 10)
    if tenths == 0:
        return "0.0"
    sign = MINUS if tenths < 0 else ("+" if signed else "")
    whole, rest = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{rest}"


def effort_label(effort: int) -> str:
    return ngettext("%(num)d pt", "%(num)d pts", effort)


@dataclass
class Ranked:
    """One candidate as they stood when the slot was filled."""

    member_id: int
    name: str
    balance: Fraction
    rather_not: bool
    since: int  # periods since they last did this category (a huge number: never)
    since_task: int = NEVER  # periods since they last did this very task


def ranked(reason: dict | None, names: dict[int, str]) -> list[Ranked]:
    return [
        Ranked(c["member_id"], names.get(c["member_id"]) or _("a former member"), Fraction(c["balance"]),
               bool(c.get("rather_not")), int(c.get("since", 0)), int(c.get("since_task", NEVER)))
        for c in (reason or {}).get("ranked", [])
    ]


def member_ids(reason: dict | None) -> set[int]:
    """Everyone a reason mentions, so a page can fetch all their names in one query."""
    reason = reason or {}
    ids = {c["member_id"] for c in reason.get("ranked", [])}
    if reason.get("behind"):
        ids.add(reason["behind"]["member_id"])
    if reason.get("override", {}).get("by"):
        ids.add(reason["override"]["by"])
    return ids


def reason_sentence(assignment, names: dict[int, str]) -> str:
    """Why the viewer holds this slot, addressed to them ("you")."""
    reason = assignment.reason or {}
    task, pts = assignment.task.name, effort_label(assignment.effort)
    if reason.get("override"):
        return _("A facilitator gave you %(task)s (%(pts)s): “%(reason)s”",
                 task=task, pts=pts, reason=reason["override"].get("reason", ""))
    if reason.get("reoffered_from"):
        return _("%(task)s (%(pts)s) was missed and offered to anyone; you took it.", task=task, pts=pts)
    people = ranked(reason, names)
    if not people:
        return _("Assigned %(task)s (%(pts)s).", task=task, pts=pts)
    chosen = people[0]
    if assignment.user_id is not None and chosen.member_id != assignment.user_id:
        return _("You took over %(task)s (%(pts)s) from %(name)s.", task=task, pts=pts, name=chosen.name)
    behind = _furthest_behind(reason, names, people)
    if behind.balance < chosen.balance:  # a close candidate chosen for variety (docs/ROTA.md, "Variety")
        sentence, extra = _variety_clause(task, pts, chosen, behind), []
    else:
        sentence = _balance_clause(task, pts, chosen, people, reason.get("available", len(people)))
        extra = _tie_clause(chosen, people)
    if chosen.rather_not:
        extra.append(_("You said you'd rather not, but nobody else who could do it was further behind."))
    return " ".join([sentence, *extra])


def _balance_clause(task, pts, chosen: Ranked, people: list[Ranked], available: int) -> str:
    gap, n = points(abs(chosen.balance)), available
    if len(people) == 1:
        if chosen.balance < 0:
            return _("Assigned %(task)s (%(pts)s): you were %(gap)s pts below your fair share, and the only one "
                     "of %(n)s available members who could take it.", task=task, pts=pts, gap=gap, n=n)
        if chosen.balance > 0:
            return _("Assigned %(task)s (%(pts)s): you were %(gap)s pts above your fair share, but the only one "
                     "of %(n)s available members who could take it.", task=task, pts=pts, gap=gap, n=n)
        return _("Assigned %(task)s (%(pts)s): you were even with your fair share, and the only one of %(n)s "
                 "available members who could take it.", task=task, pts=pts, n=n)
    after = people[1]
    nxt, nb = after.name, points(after.balance)
    if chosen.balance < 0:
        return _("Assigned %(task)s (%(pts)s): you were %(gap)s pts below your fair share, furthest behind of "
                 "%(n)s available members (next: %(next)s, %(next_balance)s).",
                 task=task, pts=pts, gap=gap, n=n, next=nxt, next_balance=nb)
    if chosen.balance > 0:
        return _("Assigned %(task)s (%(pts)s): you were %(gap)s pts above your fair share, but the least ahead "
                 "of %(n)s available members (next: %(next)s, %(next_balance)s).",
                 task=task, pts=pts, gap=gap, n=n, next=nxt, next_balance=nb)
    return _("Assigned %(task)s (%(pts)s): you were even with your fair share, furthest behind of %(n)s "
             "available members (next: %(next)s, %(next_balance)s).",
             task=task, pts=pts, n=n, next=nxt, next_balance=nb)


def _furthest_behind(reason: dict, names: dict[int, str], people: list[Ranked]) -> Ranked:
    """Who was furthest behind when the slot was filled: recorded since variety (they may be past the
    ranked five); before that, the first of the ranked."""
    if not reason.get("behind"):
        return min(people, key=lambda c: c.balance)
    found = reason["behind"]
    return Ranked(found["member_id"], names.get(found["member_id"]) or _("a former member"),
                  Fraction(found["balance"]), False, 0)


def _variety_clause(task, pts, chosen: Ranked, behind: Ranked) -> str:
    """Someone a little further behind was passed over because the viewer had done this task less recently."""
    if chosen.since_task >= NEVER:
        return _("Assigned %(task)s (%(pts)s): you were close to the furthest behind (%(name)s, %(balance)s) "
                 "and had never done this task, so it went to you for variety.",
                 task=task, pts=pts, name=behind.name, balance=points(behind.balance))
    return ngettext("Assigned %(task)s (%(pts)s): you were close to the furthest behind (%(name)s, "
                    "%(balance)s) and last did this task %(num)d week ago, longest of those close, so it went "
                    "to you for variety.",
                    "Assigned %(task)s (%(pts)s): you were close to the furthest behind (%(name)s, "
                    "%(balance)s) and last did this task %(num)d weeks ago, longest of those close, so it went "
                    "to you for variety.",
                    chosen.since_task, task=task, pts=pts, name=behind.name, balance=points(behind.balance))


def _tie_clause(chosen: Ranked, people: list[Ranked]) -> list[str]:
    if len(people) < 2 or people[1].balance != chosen.balance:
        return []
    after = people[1]
    if after.rather_not and not chosen.rather_not:
        return [_("You and %(name)s were level; %(name)s would rather not do this task.", name=after.name)]
    if chosen.since_task > after.since_task:
        return [_("You and %(name)s were level; you had gone longer without this task.", name=after.name)]
    if chosen.since > after.since:
        return [_("You and %(name)s were level; you had gone longer without this kind of work.", name=after.name)]
    return [_("You and %(name)s were level; a fair draw decided.", name=after.name)]


def balance_sentence(balance: Fraction | None) -> str:
    """Where the viewer stands, in one sentence."""
    if balance is None:
        return ""
    if points(balance) == "0.0":
        return _("You're even with your fair share.")
    if balance > 0:
        return _("You've done %(points)s points more than your fair share.", points=points(balance))
    return _("You're %(points)s points behind your fair share.", points=points(-balance))
