import pytest

from tests.groups.helpers import attached


@pytest.fixture
def ctx(app):
    """A request context for tests that call services directly (not for client requests).

    Services run inside requests: a refusal's message is translated for the person asking.
    """
    with app.test_request_context():
        yield


@pytest.fixture
def coop(make_cast, ctx):
    """A private co-op with an admin, a facilitator, a member and an outsider, in this session."""
    return attached(make_cast("coop", "private"))
