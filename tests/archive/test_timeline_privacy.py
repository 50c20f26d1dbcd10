"""A private working group's name stays out of its co-op's timeline for members outside it."""
from app.core.extensions import db
from app.groups import services as groups


def _private_working_group(app, cast):
    with app.test_request_context():
        admin = db.session.merge(cast.admin)
        coop = groups.group_for(admin, cast.group.slug)
        groups.create_group(admin, "Secret Circle", "secret-circle", "", "private", coop)


def test_private_working_group_start_is_hidden_from_the_coop_timeline(app, client, auth, cast):
    _private_working_group(app, cast)
    auth.login(cast.member)
    page = client.get(f"/g/{cast.group.slug}/timeline").get_data(as_text=True)
    assert "Secret Circle" not in page


def test_private_working_group_start_shows_to_the_coop_admin(app, client, auth, cast):
    _private_working_group(app, cast)
    auth.login(cast.admin)
    page = client.get(f"/g/{cast.group.slug}/timeline").get_data(as_text=True)
    assert "Secret Circle" in page
