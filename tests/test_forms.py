"""Forms read posted fields only: a JSON body or odd values never reach a validator as a 500."""
import pytest

URLS = ["/groups/new", "/register", "/login", "/g/coop/threads/new", "/g/coop/decisions/new", "/g/coop/docs/new"]


@pytest.mark.parametrize("url", URLS)
def test_a_json_body_is_refused_cleanly(client, auth, cast, url):
    auth.login(cast.member)
    response = client.post(url, json={"name": ["x"], "title": 5, "body": {"a": 1}, "email": 3})
    assert response.status_code < 500
