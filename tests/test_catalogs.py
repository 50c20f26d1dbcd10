"""Every user-facing string is in the Korean and the English catalog."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def _catalog(path: Path) -> dict:
    with path.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f) if m.id}


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def test_every_string_in_the_code_is_translated_in_korean_and_english(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--ignore-dirs=.venv", "-o", str(pot), "."],
        check=True, cwd=ROOT, capture_output=True,
    )
    wanted = set(_catalog(pot))
    assert wanted, "extraction found no strings"
    for lang in ("ko", "en"):
        catalog = _catalog(ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po")
        missing = sorted(msgid for msgid in wanted if msgid not in catalog or not _translated(catalog[msgid]))
        assert not missing, f"{lang} catalog lacks: {missing[:10]}"


def test_korean_pages_are_in_korean(client):
    page = client.get("/login", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<html lang="ko">' in page
    assert "로그인" in page
