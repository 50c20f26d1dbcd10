"""A page runs a fixed number of SQL queries, whatever the number of rows it shows."""
import pytest

from tests.archive.archive_helpers import ArchiveScene, counting_queries
from tests.archive.archive_helpers import private as private  # noqa: F401 (fixture)
from tests.archive.archive_helpers import public as public  # noqa: F401 (fixture)

PEOPLE = ("member", "facilitator", "admin")


def conversation(scene: ArchiveScene, size: int) -> int:
    """A thread with `size` comments: nested, by several people, some edited, reacted to, deleted."""
    thread = scene.thread(author="facilitator", tags=["rota", "kitchen"])
    scene.react("thread", thread, "thanks", by="admin")
    ids: list[int] = []
    for i in range(size):
        parent = ids[i // 2] if i and i % 3 else None  # a mix of top-level comments and nested replies
        who = PEOPLE[i % 3]
        ids.append(scene.comment(thread, who, f"Comment {i} for @coopmember", parent))
        if i % 4 == 0:
            scene.react("comment", ids[-1], "agree", by=PEOPLE[(i + 1) % 3])
        if i % 5 == 0:
            scene.edit_comment(ids[-1], f"Comment {i}, edited", author=who)
    scene.delete_comment(ids[1], author=PEOPLE[1])
    return thread


def queries(app, client, url) -> int:
    with counting_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_the_thread_page_runs_as_many_queries_for_sixty_comments_as_for_five(private):
    small, large = conversation(private, 5), conversation(private, 60)
    counts = {}
    for who in ("member", "admin"):
        client = private.client(who)
        for thread in (small, large):
            client.get(f"/t/{thread}")  # first visits write read state; count a later visit
        counts[who] = [queries(private.app, client, f"/t/{thread}") for thread in (small, large)]
    assert counts["member"][0] == counts["member"][1], counts
    assert counts["admin"][0] == counts["admin"][1], counts


def test_a_thread_page_with_unread_comments_costs_the_same_whatever_their_number(private):
    small, large = conversation(private, 5), conversation(private, 60)
    client = private.client("member")
    client.get(f"/t/{small}")
    client.get(f"/t/{large}")
    for thread, extra in ((small, 2), (large, 20)):
        for i in range(extra):
            private.comment(thread, "admin", f"late {i}")
    assert queries(private.app, client, f"/t/{small}") == queries(private.app, client, f"/t/{large}")


def test_a_public_thread_page_for_a_visitor_costs_the_same_whatever_its_length(public):
    def chat(size):
        thread = public.thread(author="member")
        for i in range(size):
            public.comment(thread, PEOPLE[i % 3], f"c{i}")
        return thread

    small, large = chat(5), chat(60)
    for who in ("anonymous", "outsider"):
        client = public.client(who)
        assert queries(public.app, client, f"/t/{small}") == queries(public.app, client, f"/t/{large}"), who


@pytest.mark.parametrize("who", ["member", "admin"])
def test_the_thread_list_runs_as_many_queries_for_thirty_threads_as_for_three(app, make_cast, who):
    few, many = ArchiveScene(app, make_cast("few", "private")), ArchiveScene(app, make_cast("many", "private"))
    for scene, size in ((few, 3), (many, 30)):
        for i in range(size):
            thread = scene.thread(author=PEOPLE[i % 3], title=f"T{i}", tags=[f"tag{i % 4}", "all"])
            scene.comment(thread, PEOPLE[(i + 1) % 3], "hi")
            if i % 2:
                scene.pin(thread)
    counts = [queries(scene.app, scene.client(who), f"/g/{scene.slug}/threads") for scene in (few, many)]
    assert counts[0] == counts[1], counts


def test_the_documents_list_runs_as_many_queries_for_thirty_documents_as_for_three(app, make_cast):
    few, many = ArchiveScene(app, make_cast("few", "private")), ArchiveScene(app, make_cast("many", "private"))
    for scene, size in ((few, 3), (many, 30)):
        for i in range(size):
            document = scene.document(author=PEOPLE[i % 3], title=f"D{i}", folder=f"F{i % 4}", tags=[f"t{i % 3}"])
            scene.edit_document(document, f"edited {i}", author=PEOPLE[(i + 1) % 3])
    counts = [queries(scene.app, scene.client("member"), f"/g/{scene.slug}/docs") for scene in (few, many)]
    assert counts[0] == counts[1], counts


def test_the_timeline_runs_as_many_queries_for_many_events_as_for_few(app, make_cast):
    few, many = ArchiveScene(app, make_cast("few", "private")), ArchiveScene(app, make_cast("many", "private"))
    for scene, size in ((few, 2), (many, 20)):
        for i in range(size):
            thread = scene.thread(author=PEOPLE[i % 3], title=f"T{i}")
            scene.comment(thread, PEOPLE[(i + 1) % 3], "hi")
            scene.document(author=PEOPLE[(i + 2) % 3], title=f"D{i}")
    counts = [queries(scene.app, scene.client("member"), f"/g/{scene.slug}/timeline") for scene in (few, many)]
    assert counts[0] == counts[1], counts


def test_the_inbox_runs_as_many_queries_for_many_notifications_as_for_few(app, make_cast):
    few, many = ArchiveScene(app, make_cast("few", "private")), ArchiveScene(app, make_cast("many", "private"))
    for scene, size in ((few, 2), (many, 25)):
        thread = scene.thread(author="member")
        for i in range(size):
            scene.comment(thread, PEOPLE[1 + i % 2], f"reply {i}")
    counts = [queries(scene.app, scene.client("member"), "/notifications") for scene in (few, many)]
    assert counts[0] == counts[1], counts
