import pytest

from tests.notifications.helpers import NotificationScene, SMTPServer


@pytest.fixture
def scene(app, make_cast):
    """A private co-op, "coop", with an admin, a facilitator, a member and an outsider."""
    return NotificationScene(app, make_cast("coop", "private"))


@pytest.fixture
def town(app, make_cast):
    """A public group, "town"."""
    return NotificationScene(app, make_cast("town", "public"))


@pytest.fixture
def smtp():
    """A real SMTP server on loopback, on a free port, for this test."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp):
    """The app, sending for real to the test's SMTP server."""
    return make_app(MAIL_SUPPRESS_SEND=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
