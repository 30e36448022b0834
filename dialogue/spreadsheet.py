"""
CSV files the portal writes (open data, the moderation audit log), safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by spreadsheet
programs as a formula, and a formula can run commands or send the sheet's data elsewhere
(OWASP, "CSV Injection"). Every such cell is written with a single quote in front, which makes
the spreadsheet show it as text. A cell that already begins with a single quote gets one more,
so the rule to recover the exact text is the same for every cell: if it begins with a single
quote, remove that one character. The JSON export, and every fingerprint, keep the exact text.
"""

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value) -> str:
    """The cell as written: None as empty, a formula-like (or quote-led) text behind a single quote."""
    text = "" if value is None else str(value)
    return QUOTE + text if text.startswith((*FORMULA_STARTS, QUOTE)) else text


def exact_text(cell: str) -> str:
    """The text a cell was written from (what a reader of the CSV does to recover it)."""
    return cell[1:] if cell.startswith(QUOTE) else cell


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable], *, byte_order_mark: bool = False) -> Iterator[str]:
    """The header, then each row with every cell made safe, one line at a time (for a streaming response)."""
    writer = csv.writer(_Echo())
    # A byte-order mark tells spreadsheet programs to read the accents as UTF-8.
    yield ("\ufeff" if byte_order_mark else "") + writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
