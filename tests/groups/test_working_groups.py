"""Working groups through their pages: starting one, adding and joining, leaving with the co-op."""
import pytest

from app.accounts.models import User
from app.core.extensions import db
from app.groups import policy, services
from tests.groups.helpers import count, group, kinds


def in_group(app, person, slug) -> bool:
    with app.app_context():
        return policy.membership(db.session.get(User, person.id), group(slug)) is not None


@pytest.fixture
def kitchen(app, cast):
    """A public working group the co-op's facilitator started; nobody else is in it yet."""
    with app.test_request_context():
        services.create_group(db.session.get(User, cast.facilitator.id), "Kitchen", "kitchen", "", "public", group("coop"))
    return cast


def test_facilitator_starts_a_working_group_from_the_co_op(app, client, auth, cast):
    auth.login(cast.facilitator)
    assert "Start a working group" in client.get("/g/coop").get_data(as_text=True)
    data = {"name": "Kitchen", "slug": "kitchen", "description": "We cook.", "visibility": "public"}
    response = client.post("/g/coop/working-groups/new", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/g/kitchen")
    page = client.get("/g/kitchen").get_data(as_text=True)
    assert "Coop Co-op" in page and "working group" in page
    assert "Kitchen" in client.get("/g/coop").get_data(as_text=True)


def test_member_is_not_offered_to_start_a_working_group(client, auth, cast):
    auth.login(cast.member)
    assert "Start a working group" not in client.get("/g/coop").get_data(as_text=True)


def test_no_working_group_inside_a_working_group_by_the_page(app, client, auth, kitchen):
    auth.login(kitchen.facilitator)
    assert client.get("/g/kitchen/working-groups/new").status_code == 403
    data = {"name": "Inner", "slug": "inner", "visibility": "public"}
    assert client.post("/g/kitchen/working-groups/new", data=data).status_code == 403
    with app.app_context():
        assert group("inner") is None


def test_co_op_member_joins_a_public_working_group_by_the_page(app, client, auth, kitchen):
    auth.login(kitchen.member)
    assert "Join this working group" in client.get("/g/kitchen").get_data(as_text=True)
    assert client.post("/g/kitchen/join").status_code == 302
    assert in_group(app, kitchen.member, "kitchen")


def test_joining_a_working_group_twice_is_refused_with_a_message(app, client, auth, kitchen):
    auth.login(kitchen.member)
    client.post("/g/kitchen/join")
    response = client.post("/g/kitchen/join", follow_redirects=True)
    assert "already a member" in response.get_data(as_text=True)
    with app.app_context():
        assert len([k for k in kinds(group("kitchen")) if k == "member.joined"]) == 1


def test_outsider_cannot_join_a_working_group_of_a_public_co_op(app, client, auth, make_cast):
    cast = make_cast("open", "public")
    with app.test_request_context():
        services.create_group(db.session.get(User, cast.admin.id), "Garden", "garden", "", "public", group("open"))
    auth.login(cast.outsider)
    assert client.get("/g/garden").status_code == 200  # readable: public inside public
    response = client.post("/g/garden/join", follow_redirects=True)
    assert "Join Open Co-op first" in response.get_data(as_text=True)
    assert not in_group(app, cast.outsider, "garden")


def test_working_group_admin_adds_a_co_op_member_by_the_page(app, client, auth, kitchen):
    auth.login(kitchen.facilitator)
    page = client.get("/g/kitchen/members").get_data(as_text=True)
    assert "Add someone from Coop Co-op" in page and "@coopmember" in page and "@coopout" not in page
    response = client.post("/g/kitchen/members/add", data={"user_id": str(kitchen.member.id)})
    assert response.status_code == 302
    assert in_group(app, kitchen.member, "kitchen")


@pytest.mark.parametrize("user_id, message", [("outsider", "Join Coop Co-op first"), ("999999", "Choose someone from the list"),
                                              ("abc", "Choose someone from the list"), ("", "Choose someone from the list")])
def test_adding_someone_outside_the_co_op_is_refused_with_a_message(app, client, auth, kitchen, user_id, message):
    if user_id == "outsider":
        user_id = str(kitchen.outsider.id)
    auth.login(kitchen.facilitator)
    with app.app_context():
        before = count(User), len(kinds(group("kitchen")))
    response = client.post("/g/kitchen/members/add", data={"user_id": user_id}, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert (count(User), len(kinds(group("kitchen")))) == before


def test_member_of_the_working_group_cannot_add_others(app, client, auth, kitchen):
    auth.login(kitchen.member)
    client.post("/g/kitchen/join")
    assert client.post("/g/kitchen/members/add", data={"user_id": str(kitchen.admin.id)}).status_code == 403
    assert not in_group(app, kitchen.admin, "kitchen")


def test_leaving_the_co_op_by_the_page_ends_the_working_group_membership(app, client, auth, kitchen):
    auth.login(kitchen.member)
    client.post("/g/kitchen/join")
    assert client.post("/g/coop/leave").status_code == 302
    assert not in_group(app, kitchen.member, "kitchen")
    assert client.get("/g/kitchen").status_code == 404  # public, but inside a private co-op they left
