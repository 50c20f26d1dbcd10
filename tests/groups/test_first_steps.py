"""A new group's "Get started" list: invite, first thread, first proposal, first care task.
Each step goes once done, the list with the last one; only people who can take a step see it."""
import re

import pytest

from app.accounts.models import User
from app.archive.threads import start_thread
from app.core.extensions import db
from app.groups import services
from tests.groups.helpers import invite
from tests.sql import counting_queries

STEPS = {
    "invite": "Invite people: make an invitation link",
    "thread": "Start the first thread",
    "proposal": "Make the first proposal",
    "care_task": "Share the care work: start the rota and its first tasks",
}


def shown(page: str) -> list[str]:
    return [step for step, words in STEPS.items() if words in page]


@pytest.mark.parametrize("role, steps", [
    ("admin", ["invite", "thread", "proposal", "care_task"]),
    ("facilitator", ["thread", "proposal", "care_task"]),
    ("member", ["thread", "proposal"]),
    ("outsider", []),
    ("anonymous", []),
])
def test_each_person_sees_the_steps_they_can_take(app, client, auth, make_cast, role, steps):
    cast = make_cast("coop", "public")  # public: the outsider and the anonymous visitor can read it
    if role != "anonymous":
        auth.login(cast.person(role))
    page = client.get("/g/coop").get_data(as_text=True)
    # The cast's facilitator and member joined by invitation, so "invite" is already done for it.
    assert shown(page) == [step for step in steps if step != "invite"]
    assert ("Get started" in page) is bool([step for step in steps if step != "invite"])


def test_the_list_shrinks_as_the_group_gets_going_and_then_goes(app, client, auth, make_user):
    founder, friend = make_user("founder"), make_user("friend")
    auth.login(founder)
    client.post("/groups/new", data={"name": "Bakery", "slug": "", "visibility": "private"})
    assert shown(client.get("/g/bakery").get_data(as_text=True)) == list(STEPS)
    with app.test_request_context():
        bakery = services.group_for(founder, "bakery")
        invite(founder, bakery, friend)
    assert shown(client.get("/g/bakery").get_data(as_text=True)) == ["thread", "proposal", "care_task"]
    client.post("/g/bakery/threads/new", data={"title": "Hello", "body": "First words"})
    assert shown(client.get("/g/bakery").get_data(as_text=True)) == ["proposal", "care_task"]
    client.post("/g/bakery/decisions/new", data={"title": "Buy an oven", "body": "Ours broke.",
                                                 "kind": "consent", "days": "7"})
    assert shown(client.get("/g/bakery").get_data(as_text=True)) == ["care_task"]
    made = client.post("/g/bakery/care/setup", data={"weekday": "0", "periods_ahead": "4", "starter": "y"})
    assert made.status_code == 302, made.get_data(as_text=True)[-3000:]
    page = client.get("/g/bakery").get_data(as_text=True)
    assert shown(page) == [] and "Get started" not in page


def test_the_steps_link_where_they_are_taken(client, auth, make_user):
    auth.login(make_user("founder"))
    client.post("/groups/new", data={"name": "Bakery", "slug": "bakery", "visibility": "private"})
    page = client.get("/g/bakery").get_data(as_text=True)
    links = re.findall(r'<li><a href="([^"]+)">', page.split('id="first-steps"')[1].split("</section>")[0])
    assert links == ["/g/bakery/invitations", "/g/bakery/threads/new", "/g/bakery/decisions/new",
                     "/g/bakery/care"]
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_creation_flash_points_at_what_the_page_offers(client, auth, make_user):
    auth.login(make_user("founder"))
    response = client.post("/groups/new", data={"name": "Bakery", "slug": "", "visibility": "private"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "start by inviting people" in page
    assert "Invite people: make an invitation link" in page


def test_a_working_group_adds_members_from_the_co_op_instead_of_inviting(app, client, auth, make_cast):
    cast = make_cast("coop", "private")
    auth.login(cast.facilitator)
    client.post("/g/coop/working-groups/new", data={"name": "Kitchen", "slug": "kitchen", "visibility": "public"})
    page = client.get("/g/kitchen").get_data(as_text=True)
    assert '<a href="/g/kitchen/members">Add members from the co-op</a>' in page
    assert STEPS["invite"] not in page


def test_the_list_costs_one_query_however_much_the_group_has_done(app, client, auth, make_cast):
    cast = make_cast("coop", "private")
    auth.login(cast.admin)
    client.get("/g/coop")

    def first_steps_queries() -> int:
        with counting_queries(app) as statements:
            client.get("/g/coop")
        return len([s for s in statements if "FROM events" in s and "DISTINCT" in s.upper()])

    assert first_steps_queries() == 1
    with app.test_request_context():
        admin = db.session.get(User, cast.admin.id)
        for n in range(5):
            start_thread(admin, services.group_for(admin, "coop"), f"Thread {n}", "Words")
    assert first_steps_queries() == 1
