"""The tally in a real browser, in Korean and English: each bar is coloured by what its answer means
(the pixels of the "object" bar are red, not the browser's default green), and "Change my vote"
starts from my answer and my reason, with JavaScript and without."""
import os
import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.core.extensions import db
from app.decisions import proposals, votes
from app.groups.models import Group
from app.accounts.models import User
from tests.browser.journey import JS, MARKER, SAME_PAGE, log_in

REASON = "The Tuesday shift would have nobody on it."
# Screenshots for people to look at: CANOE_SHOTS=/some/folder keeps them; otherwise they stay in tmp.
SHOTS = os.environ.get("CANOE_SHOTS")


@pytest.fixture
def bike(live_server):
    """Olga's co-op decides on a cargo bike: Ana consents, Ben has a concern, Cara objects. Dae (who
    reads Korean) has not voted. Returns the proposal's path."""
    olga = live_server.make_user("olga", name="Olga Berg")
    people = {h: live_server.make_user(h, locale, name) for h, locale, name in (
        ("ana", "en", "Ana Lima"), ("ben", "en", "Ben Okafor"), ("cara", "en", "Cara Diaz"), ("dae", "ko", "김대호"))}
    group = live_server.make_group(olga, "Riverside Food Co-op", "riverside",
                                   members=[(p, "member") for p in people.values()])
    app = live_server.app
    with app.test_request_context():
        group = db.session.get(Group, group.id)
        author = db.session.get(User, olga.id)
        proposal = proposals.propose(author, group, proposals.Draft("Buy a cargo bike", "For the market runs.", 5))
        for handle, choice, reason in (("ana", "consent", ""), ("ben", "concern", "Where will it live?"),
                                       ("cara", "object", REASON)):
            votes.cast_vote(db.session.get(User, people[handle].id), proposal, choice, reason)
        return f"/p/{proposal.id}"


# ---------------------------------------------------------------- pixels


def _png_pixels(png: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data, width = 8, b"", 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunk = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            size = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += chunk
        pos += 12 + length
    raw, stride, rows, previous = zlib.decompress(data), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append([tuple(line[x * size:x * size + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def bar_colour(page, meaning: str) -> tuple[int, int, int]:
    """The colour of the filled part of one tally bar, read from its pixels (its left end, mid-height).
    Look again for a moment if it is still the empty track's colour (a page still settling)."""
    track = None
    for _ in range(20):
        width, height, rows = _png_pixels(page.locator(f".tally-{meaning} .tally-bar").screenshot())
        track, fill = rows[height // 2][width - 3], rows[height // 2][max(2, width // 20)]
        if fill != track:
            return fill
        page.wait_for_timeout(150)
    raise AssertionError(f"the {meaning} bar shows no filled part (track colour {track})")


def is_green(rgb) -> bool:
    r, g, b = rgb
    return g > r + 40 and g > b


def is_red(rgb) -> bool:
    r, g, b = rgb
    return r > g + 60 and r > b + 40


def shoot(page, tmp_path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.locator("#votes").screenshot(path=str(folder / f"{name}.png"))


# ---------------------------------------------------------------- the journeys


@pytest.mark.parametrize("width", [1280, 390])
def test_the_tally_is_coloured_by_meaning_and_said_in_words_in_english_and_korean(
        new_context, live_server, bike, tmp_path, width):
    for email, lang in (("ana@example.org", "en"), ("dae@example.org", "ko")):
        page = new_context(width=width).new_page()
        log_in(page, email)
        page.goto(bike)
        tally = page.locator(".tally")
        expect(tally).to_be_visible()
        shoot(page, tmp_path, f"tally-{lang}-{width}")
        # Colour is never the only signal: each row says its answer and its count in text.
        words = {"en": ("Consent", "Concern", "Object"), "ko": ("동의", "우려", "이의")}[lang]
        for meaning, word in zip(("consent", "concern", "object"), words):
            row = page.locator(f".tally-{meaning}")
            expect(row).to_contain_text(word)
            expect(row.locator(".tally-count")).to_have_text("1")
        object_colour, consent_colour = bar_colour(page, "object"), bar_colour(page, "consent")
        assert not is_green(object_colour) and is_red(object_colour), object_colour
        assert is_green(consent_colour), consent_colour
        concern = bar_colour(page, "concern")
        assert not is_green(concern) and not is_red(concern), concern
        votes = page.locator("#votes").inner_text()
        said = {"en": "members took part", "ko": "명이 참여했습니다"}[lang]
        assert votes.count(said) == 1, votes
        assert {"en": "quorum", "ko": "정족수"}[lang] not in votes
        page.context.close()


@JS
def test_change_my_vote_starts_from_my_answer_and_reason(new_context, live_server, bike, java_script_enabled):
    js = java_script_enabled
    page = new_context(java_script_enabled=js).new_page()
    log_in(page, "ben@example.org")
    page.goto(bike)
    form = page.locator("#votes form.vote-form")
    expect(form.get_by_role("radio", name="Concern")).to_be_checked()
    expect(form.get_by_label("Your reason")).to_have_value("Where will it live?")

    # Ben changes his answer, keeps and adds to his reason; the form then holds the new one.
    if js:
        page.evaluate(MARKER)
    form.get_by_role("radio", name="Object").check()
    form.get_by_label("Your reason").fill("Where will it live? Nowhere dry.")
    form.get_by_role("button", name="Change my vote").click()
    expect(page.locator("#votes .my-vote")).to_contain_text(re.compile(r"You answered: \W*Object"))
    if js:
        assert page.evaluate(SAME_PAGE), "changing a vote with htmx reloaded the page"
    else:
        expect(page).to_have_url(re.compile(r"/p/\d+#votes$"))
    form = page.locator("#votes form.vote-form")
    expect(form.get_by_role("radio", name="Object")).to_be_checked()
    expect(form.get_by_label("Your reason")).to_have_value("Where will it live? Nowhere dry.")
    expect(page.locator(".tally-object .tally-count")).to_have_text("2")
