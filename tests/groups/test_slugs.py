"""A group's web address from any name: Hangul romanised (Revised Romanization), Latin plain,
other scripts a short made-up one; always free, and the same for the same name."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.groups import services
from app.groups.slugs import romanise_word, slugify
from tests.groups.helpers import group

ADDRESS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.mark.parametrize("name, slug", [
    ("마포 돌봄 협동조합", "mapo-dolbom-hyeopdongjohap"),
    ("부산", "busan"),
    ("광화문", "gwanghwamun"),
    ("대구 빵집", "daegu-ppangjip"),
    ("Mapo Care Co-op", "mapo-care-co-op"),
    ("Café Ünion", "cafe-union"),
    ("서울 Café 2026", "seoul-cafe-2026"),
    ("  협동조합!!  ", "hyeopdongjohap"),
    ("ＡＢＣ", "abc"),
])
def test_a_name_suggests_its_address(name, slug):
    assert slugify(name) == slug


@pytest.mark.parametrize("word, spelled", [
    ("한국어", "hangugeo"),  # a final carried over to a silent ㅇ
    ("밝아", "balga"),
    ("좋아", "joa"),  # ㅎ goes silent
    ("설날", "seollal"),  # ㄹ by ㄹ
    ("신라", "silla"),
    ("종로", "jongno"),  # ㄹ after another final is "n"
    ("합니다", "hamnida"),  # nasalisation
    ("독립문", "dongnimmun"),
    ("왕십리", "wangsimni"),
    ("압구정", "apgujeong"),
    ("의자", "uija"),
    ("꽃", "kkot"),
])
def test_hangul_follows_the_revised_romanization(word, spelled):
    assert romanise_word(word) == spelled


@pytest.mark.parametrize("name", ["東京の会", "🌱🌱", "Ψυχή", "ㅋㅋ", "!!", ""])
def test_a_name_with_nothing_to_spell_suggests_no_address_of_its_own(name):
    assert slugify(name) == ""


def test_a_long_name_is_cut_at_a_word():
    slug = slugify("협동조합 " * 20)
    assert len(slug) <= 50 and not slug.endswith("-") and ADDRESS.fullmatch(slug)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_name_gives_an_address_or_nothing(name):
    slug = slugify(name)
    assert slug == "" or (ADDRESS.fullmatch(slug) and len(slug) <= 50)


def test_a_suggestion_is_free_and_numbered_when_taken(coop):
    assert services.suggest_slug("Coop") == "coop-2"  # the cast's group is "coop"
    services.create_group(coop.admin, "Coop again", "coop-2", "", "private")
    assert services.suggest_slug("Coop") == "coop-3"
    assert services.suggest_slug("Cooperative") == "cooperative"


def test_another_script_gets_a_short_made_up_address_the_same_each_time(coop):
    first = services.suggest_slug("東京の会")
    assert re.fullmatch(r"group-[a-z2-9]{6}", first)
    assert services.suggest_slug("東京の会") == first
    assert services.suggest_slug("大阪の会") != first
    made = services.create_group(coop.admin, "東京の会", "", "", "private")
    assert made.slug == first
    assert services.suggest_slug("東京の会") == first + "-2"


def test_a_refused_address_falls_back_to_the_name(coop):
    assert services.suggest_slug("마포", "Bakery") == "mapo"
    assert services.suggest_slug("!!", "Bakery") == "bakery"


# ---------------------------------------------------------------- the form


def test_a_korean_name_without_an_address_makes_the_group(app, client, auth, cast):
    auth.login(cast.outsider)
    response = client.post("/groups/new", data={"name": "마포 돌봄 협동조합", "slug": "", "visibility": "private"})
    assert response.status_code == 302 and response.location == "/g/mapo-dolbom-hyeopdongjohap"
    with app.app_context():
        assert group("mapo-dolbom-hyeopdongjohap").name == "마포 돌봄 협동조합"


@pytest.mark.parametrize("typed, filled", [("마포돌봄", "mapodolbom"), ("Hello World", "hello-world"), ("coop", "coop-2")])
def test_a_refused_address_is_replaced_by_a_free_one_to_keep_or_change(app, client, auth, cast, typed, filled):
    auth.login(cast.outsider)
    response = client.post("/groups/new", data={"name": "Bakery", "slug": typed, "visibility": "private"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{filled}"' in page
    assert "We put a free address in the field instead" in page
    with app.app_context():
        assert group(filled) is None


def test_the_form_says_which_address_an_empty_field_will_give(client, auth, cast):
    auth.login(cast.outsider)
    page = client.post("/groups/new", data={"name": "마포 돌봄", "slug": "", "visibility": "nope"}).get_data(as_text=True)
    assert "<code>/g/mapo-dolbom</code>" in page
    blank = client.get("/groups/new").get_data(as_text=True)
    assert "we&#39;ll make one from the name" in blank or "we'll make one from the name" in blank
    assert 'data-hx-get="/groups/new/address"' in blank


def test_with_htmx_the_hint_follows_the_name(client, auth, cast):
    auth.login(cast.outsider)
    response = client.get("/groups/new/address?name=마포 돌봄", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.strip().startswith('<p class="hint" id="slug-hint">')
    assert "/g/mapo-dolbom" in body and "<html" not in body
    assert client.get("/groups/new/address?name=x").location == "/groups/new"  # without htmx: the form


def test_in_korean_the_address_help_is_korean(client, auth, make_user):
    auth.login(make_user("minji", "ko"))
    page = client.post("/groups/new", data={"name": "돌봄", "slug": "돌봄", "visibility": "private"}).get_data(as_text=True)
    assert "비워 두면 이 주소를 씁니다" in page and "영문 소문자(a–z)" in page
    assert "Latin letters" not in page
