"""app.core.spreadsheet: a CSV cell a spreadsheet would run as a formula is written as text (OWASP)."""
import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from app.core import spreadsheet

STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def test_formula_cells_get_a_leading_quote():
    assert spreadsheet.safe_cell('=HYPERLINK("https://evil.example","x")') == '\'=HYPERLINK("https://evil.example","x")'
    assert spreadsheet.safe_cell("@SUM(A1:A9)") == "'@SUM(A1:A9)"
    assert spreadsheet.safe_cell("+1") == "'+1"
    assert spreadsheet.safe_cell("-1") == "'-1"
    assert spreadsheet.safe_cell("\t=1") == "'\t=1"
    assert spreadsheet.safe_cell("\r=1") == "'\r=1"


def test_other_cells_are_left_as_they_are():
    for value in ("Buy a cargo bike", "2026-12-03", "협동조합", "", "a=b", " =1", 3, -1, None, "'=x"):
        assert spreadsheet.safe_cell(value) == value


@given(st.text())
def test_no_text_written_through_the_writer_starts_a_formula(value):
    out = io.StringIO()
    spreadsheet.writer(out).writerow([value, 7])
    (cell, number), = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert not cell.startswith(STARTS)
    assert cell == value or (cell == "'" + value and value.startswith(STARTS))
    assert number == "7"


def test_writerows_neutralises_every_row():
    out = io.StringIO()
    spreadsheet.writer(out).writerows([["=1"], ["@x"], ["ok"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1"], ["'@x"], ["ok"]]
