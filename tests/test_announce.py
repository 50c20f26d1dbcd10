"""app.core.announce: what a view flashes reaches a person the same way with and without htmx."""
import json

from flask import Response, flash, get_flashed_messages

from app.core.announce import EVENT, add_trigger, send_with_swap
from tests.decisions.helpers import HX, DecisionScene

RECORDED = "Your vote is recorded. You can change it until the proposal closes."


def announced(response) -> list[dict]:
    return json.loads(response.headers.get("HX-Trigger") or "{}").get(EVENT, [])


def test_an_htmx_vote_carries_its_confirmation_with_the_swapped_block_and_leaves_none_behind(app, make_cast):
    scene = DecisionScene(app, make_cast("coop", "private"))
    pid = scene.propose("facilitator")
    member = scene.client("member")
    response = member.post(f"/p/{pid}/vote", data={"choice": "consent"}, headers=HX)
    assert response.status_code == 200 and "<html" not in response.text
    assert announced(response) == [{"category": "success", "text": RECORDED}]
    assert RECORDED not in member.get(f"/p/{pid}").text  # said once: not again on the next page


def test_without_javascript_the_same_words_are_flashed_on_the_page_the_vote_leads_to(app, make_cast):
    scene = DecisionScene(app, make_cast("coop", "private"))
    pid = scene.propose("facilitator")
    member = scene.client("member")
    response = member.post(f"/p/{pid}/vote", data={"choice": "consent"})
    assert response.status_code == 302 and "HX-Trigger" not in response.headers
    assert RECORDED in member.get(f"/p/{pid}").text


def test_the_words_are_in_the_readers_language_and_the_header_stays_ascii(app, make_cast):
    scene = DecisionScene(app, make_cast("coop", "private"))
    pid = scene.propose("facilitator")
    member = scene.client("member")
    member.post("/language", data={"lang": "ko", "next": "/"})
    response = member.post(f"/p/{pid}/vote", data={"choice": "consent"}, headers=HX)
    header = response.headers["HX-Trigger"]
    assert header.isascii()
    said = announced(response)[0]["text"]
    assert said != RECORDED and any("\uac00" <= ch <= "\ud7a3" for ch in said)  # Hangul


def test_a_refused_htmx_answer_422_carries_its_message_too(app):
    with app.test_request_context(headers={"HX-Request": "true"}):
        flash("Choose another member of the group.", "error")
        response = send_with_swap(Response("<div id='mine-region'></div>", status=422))
        assert announced(response) == [{"category": "error", "text": "Choose another member of the group."}]
        assert get_flashed_messages() == []


def test_a_redirect_or_an_error_keeps_the_messages_for_the_page_that_follows(app):
    for response in (Response(status=200, headers={"HX-Redirect": "/login"}), Response(status=303),
                     Response(status=403)):
        with app.test_request_context(headers={"HX-Request": "true"}):
            flash("That was already sent.", "info")
            send_with_swap(response)
            assert "HX-Trigger" not in response.headers
            assert get_flashed_messages() == ["That was already sent."]


def test_a_request_without_htmx_is_left_alone(app):
    with app.test_request_context():
        flash("Saved.", "success")
        response = send_with_swap(Response("<html></html>"))
        assert "HX-Trigger" not in response.headers
        assert get_flashed_messages() == ["Saved."]


def test_other_events_in_the_header_are_kept(app):
    response = Response(headers={"HX-Trigger": '{"bell": 3}'})
    add_trigger(response, {EVENT: [{"category": "success", "text": "Saved."}]})
    assert json.loads(response.headers["HX-Trigger"]) == {"bell": 3, EVENT: [{"category": "success", "text": "Saved."}]}
    plain = Response(headers={"HX-Trigger": "refresh, bell"})
    add_trigger(plain, {EVENT: []})
    assert json.loads(plain.headers["HX-Trigger"]) == {"refresh": None, "bell": None, EVENT: []}
