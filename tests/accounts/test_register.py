import io

import pytest

from tests.accounts.helpers import is_logged_in, registration, stored_user, text, user_count


def test_registering_logs_you_in(client, app):
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    assert response.location == "/groups"
    assert is_logged_in(client)
    assert user_count(app) == 1


def test_registering_follows_a_local_next(client):
    response = client.post("/register?next=/groups/new", data=registration())
    assert response.location == "/groups/new"


def test_email_is_stored_lower_case(client, app):
    client.post("/register", data=registration(email="  Minji@Example.ORG "))
    assert stored_user(app, "minji").email == "minji@example.org"


def test_the_same_email_in_another_case_is_refused(client, app, make_user):
    make_user("minji")
    response = client.post("/register", data=registration(email="MINJI@example.org", handle="minji2"))
    assert response.status_code == 422
    assert "An account with this email already exists" in text(response)
    assert user_count(app) == 1


def test_a_taken_handle_is_refused_whatever_its_case(client, app, make_user):
    make_user("sam2")
    response = client.post("/register", data=registration(handle="SAM2"))
    assert response.status_code == 422
    assert "That handle is taken" in text(response)
    assert user_count(app) == 1


def test_handle_is_stored_lower_case(client, app):
    client.post("/register", data=registration(handle="Sam2"))
    assert stored_user(app, "sam2") is not None


@pytest.mark.parametrize("handle", ["민지", "sam2", "Jiho", "협동조합2", "ab", "a" * 30])
def test_handles_of_letters_digits_or_hangul_are_taken(client, app, handle):
    response = client.post("/register", data=registration(handle=handle))
    assert response.status_code == 302, text(response)
    assert stored_user(app, handle.lower()) is not None


@pytest.mark.parametrize(
    "handle, message",
    [
        ("a b", "Use only letters, digits or Hangul"),
        ("x!", "Use only letters, digits or Hangul"),
        ("@sam", "Use only letters, digits or Hangul"),
        ("ab\n", "Use only letters, digits or Hangul"),
        ("a", "A handle is 2–30 characters."),
        ("a" * 31, "A handle is 2–30 characters."),
    ],
)
def test_handles_with_other_characters_or_lengths_are_refused(client, app, handle, message):
    response = client.post("/register", data=registration(handle=handle))
    assert response.status_code == 422
    assert message in text(response)
    assert user_count(app) == 0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "", "Enter your email address."),
        ("email", "not-an-email", "That doesn't look like an email address."),
        ("email", "a" * 243 + "@example.org", "That email address is too long."),
        ("display_name", "", "Tell us your name."),
        ("display_name", "   ", "Tell us your name."),
        ("display_name", "n" * 81, "A name is at most 80 characters."),
        ("handle", "", "Choose a handle."),
        ("password", "", "Choose a password."),
        ("password", "short", "A password is 8–200 characters."),
        ("password", "p" * 201, "A password is 8–200 characters."),
        ("confirm", "something else", "The two passwords differ."),
    ],
)
def test_bad_fields_get_a_message_and_save_nothing(client, app, field, value, message):
    form = registration(**{field: value})
    if field == "password":
        form["confirm"] = value
    response = client.post("/register", data=form)
    assert response.status_code == 422
    assert message in text(response)
    assert user_count(app) == 0
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "body",
    [
        {"email": 123, "display_name": "A", "handle": "abc", "password": 12345678, "confirm": 12345678},
        {"email": ["a@example.org"], "display_name": {"x": 1}, "handle": True, "password": None, "confirm": None},
        [1, 2, 3],
        "minji@example.org",
        None,
    ],
)
def test_a_json_body_of_any_shape_is_refused_not_a_500(client, app, body):
    response = client.post("/register", json=body)
    assert response.status_code == 422
    assert "Enter your email address." in text(response)
    assert user_count(app) == 0


def test_a_file_in_place_of_a_field_is_refused_not_a_500(client, app):
    form = registration(email=(io.BytesIO(b"minji@example.org"), "email.txt"))
    response = client.post("/register", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Enter your email address." in text(response)
    assert user_count(app) == 0


def test_a_logged_in_person_is_sent_home_from_register(client, auth, make_user):
    auth.login(make_user("minji"))
    response = client.get("/register")
    assert response.status_code == 302
    assert response.location == "/groups"
