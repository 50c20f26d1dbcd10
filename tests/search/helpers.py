"""What the search tests share beyond the archive's `Scene`: decisions and care tasks made
through their services, moving an item back in time, and reading the search page."""
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from app.accounts.models import User
from app.decisions import closing, outcomes, proposals, votes
from app.decisions.models import Proposal
from app.core.extensions import db
from app.groups.models import Group
from app.labour import periods, planning, tasks
from app.labour.models import Rota
from app.search import service

HX_RESULTS = {"HX-Request": "true", "HX-Target": "search-results"}


def _user(who) -> User:
    return db.session.get(User, who.id)


def propose(scene, author="member", title="Buy a shared cargo bike", body="For the market runs.", **draft) -> int:
    """A proposal in the scene's group (opened at once unless `draft=True`). Returns its id."""
    with scene.ctx():
        made = proposals.propose(scene.user(author), scene.group(), proposals.Draft(title=title, body=body, **draft))
        return made.id


def vote(scene, proposal_id, who, choice="consent", reason="", options=()) -> None:
    with scene.ctx():
        votes.cast_vote(scene.user(who), db.session.get(Proposal, proposal_id), choice, reason, list(options))


def decide(scene, proposal_id, statement, by="facilitator") -> None:
    """Close the proposal and record its outcome statement."""
    with scene.ctx():
        proposal = db.session.get(Proposal, proposal_id)
        closing.close(scene.user(by), proposal)
    with scene.ctx():
        proposal = db.session.get(Proposal, proposal_id)
        result = outcomes.result_choices(proposal)[0]
        outcomes.record_outcome(scene.user(by), proposal, statement, result, None, [])


def care_task(scene, name, description="", by="facilitator") -> int:
    """A care task in the scene's group (its rota is started, without starter tasks, if need be)."""
    with scene.ctx():
        group = scene.group()
        if db.session.scalar(select(Rota.id).where(Rota.group_id == group.id)) is None:
            today = periods.today_in(group)
            planning.set_up(scene.user(by), group, today - timedelta(days=today.weekday()), 2, starter=False)
    with scene.ctx():
        return tasks.save_task(scene.user(by), scene.group(), tasks.TaskDraft(name=name, description=description)).id


def backdate(scene, model, item_id, when: datetime, kind: str) -> None:
    """Move an item's date back (as if written then) and index it again, as a reindex would."""
    values = {"created_at": when}
    if model is Proposal:
        values["opened_at"] = when
    with scene.ctx():
        db.session.execute(update(model).where(model.id == item_id).values(**values))
        db.session.commit()
        service.write([(kind, item_id)])


def thread_in(app, group_id, author_id, title, body) -> int:
    """A thread in any group (a working group, say), through the archive's service."""
    from app.archive import threads as archive

    with app.test_request_context():
        group = db.session.get(Group, group_id)
        return archive.start_thread(db.session.get(User, author_id), group, title, body, []).id


def row_counts(app) -> dict[str, int]:
    """Rows in every table: a search must leave all of them as they were."""
    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        db.session.remove()
        return counts


def results_block(page: str) -> str:
    """The results region of a full search page, up to its closing tag (or the whole of an
    htmx fragment, which is nothing else)."""
    match = re.search(r'<div\b[^>]*\sid="search-results"[^>]*>', page)
    if match is None:
        return page
    depth = 1
    for tag in re.finditer(r"<(/?)div\b[^>]*>", page[match.end():]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[match.start():match.end() + tag.end()]
    raise AssertionError("#search-results is not closed")


def hit_titles(page: str) -> list[str]:
    """The titles of the hits on a search page, in order, markup removed."""
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'<h2 class="hit-title"><a [^>]*>(.*?)</a></h2>', page, re.S)]


def hit_links(page: str) -> list[str]:
    return re.findall(r'<h2 class="hit-title"><a href="([^"]*)"', page)


def notices(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", n).strip() for n in re.findall(r'<p class="(?:notice|muted)">(.*?)</p>', page, re.S)]


def field_errors(page: str) -> list[str]:
    return [e.strip() for e in re.findall(r'<ul class="errors"[^>]*>\s*(.*?)\s*</ul>', page, re.S)]


__all__ = [
    "HX_RESULTS", "backdate", "care_task", "decide", "field_errors", "hit_links", "hit_titles", "notices", "propose",
    "results_block", "row_counts", "thread_in", "vote",
]
