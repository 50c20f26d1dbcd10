"""What every form does to the text it is given, whatever the form."""
from sqlalchemy import select

from app.archive.models import Thread
from app.core.extensions import db
from app.groups.models import Group
from tests.archive.archive_helpers import private  # noqa: F401 (fixture)


def test_a_nul_in_posted_text_is_dropped_before_it_is_checked_or_stored(private):
    """PostgreSQL can't store a NUL (it was a 500 there); nobody means one."""
    client = private.client("member")
    response = client.post(f"/g/{private.slug}/threads/new",
                           data={"title": "Kitchen\x00 rota", "body": "Who\x00 cleans?", "tags": "k\x00itchen"})
    assert response.status_code == 302
    with private.ctx():
        thread = db.session.scalar(select(Thread).order_by(Thread.id.desc()))
        assert (thread.title, thread.body_md, [t.name for t in thread.tags]) == ("Kitchen rota", "Who cleans?",
                                                                              ["kitchen"])


def test_a_text_of_nothing_but_nul_is_empty(private):
    response = private.client("admin").post("/groups/new", data={
        "name": "\x00\x00", "slug": "nul-group", "description": "", "visibility": "private"})
    assert response.status_code == 422
    with private.ctx():
        assert db.session.scalar(select(Group).where(Group.slug == "nul-group")) is None
