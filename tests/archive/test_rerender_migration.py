"""The re-rendering migration (a7e1c0de0003) applies today's markdown rules to text stored before.

Posts written under the old renderer kept HTML that loaded images from anywhere; going up,
each stored text is rendered again, and a mention stays a link exactly when it was one.
"""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.core.extensions import db
from tests.archive.archive_helpers import private  # noqa: F401
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="rebuilds the schema; the PostgreSQL run shares one database")

# As the old renderer stored it: an external image that every reader's browser fetched.
OLD_HTML = ('<p>Hi <a href="/u/coopadmin" class="mention" rel="noopener noreferrer nofollow">@coopadmin</a>, '
            '@nobody <img src="https://tracker.example/pixel.png" alt="pixel"></p>')


def test_stored_posts_are_rendered_again_with_images_as_links_and_mentions_kept(app, private):
    body = "Hi @coopadmin, @nobody ![pixel](https://tracker.example/pixel.png)"
    thread_id = private.thread(body=body)
    with app.app_context():
        downgrade(revision="a7e1c0de0002")
        db.session.execute(text("UPDATE threads SET body_html = :h WHERE id = :i"), {"h": OLD_HTML, "i": thread_id})
        db.session.commit()
        upgrade()
        html = db.session.execute(text("SELECT body_html FROM threads WHERE id = :i"), {"i": thread_id}).scalar()
    assert "<img" not in html
    assert 'class="image-link" href="https://tracker.example/pixel.png"' in html
    assert 'href="/u/coopadmin"' in html
    assert "/u/nobody" not in html
