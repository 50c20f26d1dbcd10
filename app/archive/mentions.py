"""Mentions in threads, comments and documents: each person is told once per post."""
from sqlalchemy import select

from app.accounts.models import User
from app.archive.models import Mention
from app.core.events import happened, type_name
from app.core.extensions import db
from app.groups.models import Group


def mention_once(author, group: Group, target, people: list[User], title: str, thread_id: int) -> None:
    """Tell people mentioned here for the first time ("mentioned"); an edit never tells anyone twice."""
    kind = type_name(target)
    already = set(
        db.session.scalars(select(Mention.user_id).where(Mention.target_type == kind, Mention.target_id == target.id))
    )
    new = [p for p in people if p.id not in already and p.id != author.id]
    for person in new:
        db.session.add(Mention(target_type=kind, target_id=target.id, user_id=person.id))
    happened("mentioned", group, author, target, record=False, extra={"people": [p.id for p in new]},
             title=title, thread_id=thread_id)
