"""Refresh the message catalogs: extract every string, update ko and en, and say what is missing.

    .venv/bin/python scripts/catalogs.py          # extract + update; English filled from the source
    .venv/bin/python scripts/catalogs.py --check  # exit 1 if any Korean string is untranslated

English is the source language, so its catalog repeats each msgid; Korean is written by hand
in app/translations/ko/LC_MESSAGES/messages.po.
"""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "app" / "translations"
POT = DIR / "messages.pot"


def run(*args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "pybabel"), *args], check=True, cwd=ROOT, capture_output=True)


def refresh() -> None:
    run("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs=.venv",
        "--no-location", "--sort-output", "-o", str(POT), ".")
    run("update", "-i", str(POT), "-d", str(DIR), "--no-fuzzy-matching", "--ignore-obsolete")
    english = DIR / "en" / "LC_MESSAGES" / "messages.po"
    catalog = read_po(english.open("rb"))
    for message in catalog:
        if message.id:
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
    with english.open("wb") as f:
        write_po(f, catalog, width=100, no_location=True, sort_output=True)


def untranslated() -> list:
    catalog = read_po((DIR / "ko" / "LC_MESSAGES" / "messages.po").open("rb"))
    missing = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and (not all(strings) or message.fuzzy):
            missing.append(message.id)
    return missing


if __name__ == "__main__":
    if "--check" not in sys.argv:
        refresh()
    missing = untranslated()
    for msgid in missing:
        print("untranslated (ko):", msgid)
    sys.exit(1 if missing and "--check" in sys.argv else 0)
