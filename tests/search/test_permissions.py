"""Permissions inside the query: a private group's content never reaches outsiders or visitors,
not in results, not in counts, not on the page (docs/SEARCH.md, "Privacy")."""
import re

import pytest

from app.core.extensions import db
from app.groups import services as groups
from app.groups.models import Group
from app.search.entries import KINDS
from tests.archive.archive_helpers import ArchiveScene
from tests.conftest import ROLES
from tests.scene import without_csrf_tokens
from tests.search.helpers import care_task, field_errors, hit_titles, propose, results_block, thread_in

READERS = {"private": {"member", "facilitator", "admin"}, "public": set(ROLES)}


@pytest.fixture
def town(app, make_cast):
    """A public group next to the private `cast` group, with people of its own."""
    return ArchiveScene(app, make_cast("town", "public"))


# ---------------------------------------------------------------- results and counts


def test_outsider_and_visitor_count_only_the_public_group(scene, town, finder, cast):
    private = scene.thread(title="협동조합 Capybara", body="비밀 예산")
    public = town.thread(title="협동조합 Capybara", body="공개 예산")
    for who in (cast.outsider, None):
        assert finder.keys(who, "Capybara") == {("thread", public)}
        assert finder.total(who, "Capybara") == 1
        assert finder.total(who, "예산") == 1
        assert finder.total(who, "비밀") == 0
    assert finder.keys(cast.member, "Capybara") == {("thread", private), ("thread", public)}
    assert finder.total(cast.member, "Capybara") == 2


def test_every_kind_in_a_private_group_is_hidden_from_outsiders(scene, finder, cast):
    tid = scene.thread(title="Tapir 회의", body="Tapir")
    scene.comment(tid, body="Tapir 답글")
    scene.document(title="Tapir 안내서", body="Tapir")
    propose(scene, title="Tapir 구매", body="Tapir 제안")
    care_task(scene, "Tapir 돌보기", "Tapir 먹이 주기")
    assert {kind for kind, _ in finder.keys(cast.member, "Tapir")} == set(KINDS)
    for who in (cast.outsider, None):
        assert finder.total(who, "Tapir") == 0
        for kind in KINDS:
            assert finder.total(who, "Tapir", kinds=(kind,)) == 0


def test_asking_for_a_private_group_by_id_gives_an_outsider_nothing(scene, finder, cast):
    scene.thread(title="Capybara", body="비밀")
    assert finder.total(cast.member, "Capybara", group_ids=[cast.group.id]) == 1
    assert finder.total(cast.outsider, "Capybara", group_ids=[cast.group.id]) == 0
    assert finder.total(None, "Capybara", group_ids=[cast.group.id]) == 0


def test_the_filter_is_applied_before_paging(scene, town, finder, cast):
    """Were the private hits removed after paging, an outsider's pages would come up short."""
    for i in range(5):
        scene.thread(title=f"Jackal {i}", body="private words")
    public = {town.thread(title=f"Jackal public {i}", body="public words") for i in range(3)}
    first = finder.page(cast.outsider, "Jackal", per_page=2, page=1)
    second = finder.page(cast.outsider, "Jackal", per_page=2, page=2)
    assert (first.total, second.total) == (3, 3)
    assert len(first.hits) == 2 and len(second.hits) == 1
    assert {h.item_id for h in first.hits + second.hits} == public


def test_a_member_who_left_no_longer_finds_private_content(app, scene, finder, cast):
    scene.thread(title="Quetzal 안건", body="조합원만 보는 글")
    assert finder.total(cast.member, "Quetzal") == 1
    with app.test_request_context():
        groups.leave(scene.user("member"), scene.group())
    assert finder.total(cast.member, "Quetzal") == 0
    assert finder.total(cast.member, "조합원만") == 0


def test_a_member_who_left_a_public_group_still_finds_it(app, town, finder):
    town.thread(title="Quetzal", body="public")
    with app.test_request_context():
        groups.leave(town.user("member"), town.group())
    assert finder.total(town.cast.member, "Quetzal") == 1


def _working_group(app, cast, slug, visibility, by="facilitator") -> int:
    with app.test_request_context():
        creator = db.session.get(type(cast.admin), cast.person(by).id)
        parent = db.session.get(Group, cast.group.id)
        return groups.create_group(creator, f"{slug.title()} Circle", slug, "", visibility, parent).id


def test_a_private_working_group_is_found_only_by_its_members_and_the_coops_admins(app, scene, finder, cast):
    wg = _working_group(app, cast, "kitchen", "private")
    tid = thread_in(app, wg, cast.facilitator.id, "Okapi 식단", "부엌 모임")
    assert finder.keys(cast.facilitator, "Okapi") == {("thread", tid)}, "its own member"
    assert finder.keys(cast.admin, "Okapi") == {("thread", tid)}, "the co-op's admin"
    for who in (cast.member, cast.outsider, None):
        assert finder.total(who, "Okapi") == 0
        assert finder.total(who, "식단") == 0


def test_a_public_working_group_of_a_private_coop_is_for_the_coops_members(app, scene, finder, cast):
    wg = _working_group(app, cast, "garden", "public")
    tid = thread_in(app, wg, cast.facilitator.id, "Okapi 텃밭", "모종")
    assert finder.keys(cast.member, "Okapi") == {("thread", tid)}
    for who in (cast.outsider, None):
        assert finder.total(who, "Okapi") == 0


def test_a_public_working_group_of_a_public_coop_is_for_everyone(app, town, finder):
    wg = _working_group(app, town.cast, "garden", "public")
    tid = thread_in(app, wg, town.cast.facilitator.id, "Okapi 텃밭", "모종")
    for who in (town.cast.outsider, None):
        assert finder.keys(who, "Okapi") == {("thread", tid)}


# ---------------------------------------------------------------- the page


SECRET_TITLE = "비밀 안건 Ocelot"
SECRET_BODY = "Ocelot 예산은 삼백만원입니다"


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("role", ROLES)
def test_search_page_shows_a_group_only_to_its_readers(app, make_cast, role, visibility):
    group = ArchiveScene(app, make_cast("coop", visibility))
    group.thread(title=SECRET_TITLE, body=SECRET_BODY)
    client = group.client(role)
    response = client.get("/search?q=Ocelot")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    if role in READERS[visibility]:
        assert hit_titles(page) == [SECRET_TITLE]
        assert "<mark>Ocelot</mark>" in page
        assert "1 result" in page
        assert "Coop Co-op" in results_block(page)
    else:
        assert hit_titles(page) == []
        for leak in ("비밀 안건", "예산은", "삼백만원", "Coop Co-op", "<mark>", "1 result"):
            assert leak not in page, f"{leak!r} leaked to {role}"
        # Exactly what a word nobody ever wrote gives: not even a hint that something was hidden.
        nothing = client.get("/search?q=Xylograph").get_data(as_text=True)
        assert results_block(page).replace("Ocelot", "Q") == results_block(nothing).replace("Xylograph", "Q")


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
def test_a_private_groups_slug_is_answered_like_a_group_that_does_not_exist(app, scene, role):
    scene.thread(title=SECRET_TITLE, body=SECRET_BODY)
    client = scene.client(role)
    private = client.get(f"/search?q=Ocelot&group={scene.slug}")
    missing = client.get("/search?q=Ocelot&group=no-such-group")
    assert private.status_code == missing.status_code == 422
    private_page, missing_page = private.get_data(as_text=True), missing.get_data(as_text=True)
    assert field_errors(private_page) == field_errors(missing_page) != []
    private_page, missing_page = without_csrf_tokens(private_page), without_csrf_tokens(missing_page)
    # The slug the visitor typed comes back in the page (also URL-encoded, in the login link's next=).
    assert re.sub(rf"(?<![a-z0-9-]){scene.slug}\b", "SLUG", private_page) == missing_page.replace("no-such-group", "SLUG")
    for leak in ("비밀 안건", "Coop Co-op", "<mark>"):
        assert leak not in private_page


def test_a_member_may_filter_by_their_private_group(app, scene, town):
    scene.thread(title=SECRET_TITLE, body=SECRET_BODY)
    town.thread(title="Ocelot in town", body="public")
    client = scene.client("member")
    mine = client.get(f"/search?q=Ocelot&group={scene.slug}")
    assert mine.status_code == 200
    assert hit_titles(mine.get_data(as_text=True)) == [SECRET_TITLE]
    everywhere = client.get("/search?q=Ocelot").get_data(as_text=True)
    assert sorted(hit_titles(everywhere)) == sorted([SECRET_TITLE, "Ocelot in town"])


def test_the_group_choices_list_only_the_viewers_own_groups(app, scene, town):
    page = town.client("member").get("/search?q=Ocelot").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([^"]*)"', page)
    assert "town" in options
    assert scene.slug not in options
    assert "Coop Co-op" not in page
