"""Cells and CSV files written for spreadsheet programs, with formula injection neutralised (OWASP).

Excel, WPS and LibreOffice run a cell that starts with = + - @ (or a tab or CR before one) as a formula, in
a CSV too: a review reading `=HYPERLINK("http://x","y")` becomes a live link, `+cmd|' /C calc'!A0` a DDE
command. Every CSV or XLSX the product writes goes through safe_cell, which puts a single quote in front of
such a cell so that it is shown as the text it is.

XLSX needs no quote: a cell typed as a string (`t="s"`/`inlineStr`) is never run, whatever it starts with. The
danger there is openpyxl itself, which stores any text starting with "=" as a formula; `text_cells` types every
text cell as a string, so a customer's "=…" or "+86 …" reads back exactly as written (issue 13).

Numbers stay numbers: an int, float or Decimal we write, and a text cell that is nothing but a plain number
("-3.5", "+1e3"), cannot hold a formula, and a quote would turn a negative score into text that no longer
sums. Anything else that starts like a formula ("-2+3", "-好评", "+86 138…") gets the quote.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["FORMULA_STARTS", "CsvWriter", "DictCsvWriter", "open_for_excel", "safe_cell", "safe_row", "text_cells", "xml_text"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet must get it: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


_FIRST = frozenset(FORMULA_STARTS)


def safe_row(values: Iterable[Any]) -> list[Any]:
    """safe_cell for every cell of a row (checked inline: an export calls it for every cell it writes)."""
    return [safe_cell(v) if v.__class__ is str and v[:1] in _FIRST else v for v in values]


def text_cells(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """One XLSX row for `sheet.append` (normal or write-only sheet): text as string cells, never a formula and
    without the CSV guard's quote; characters XML cannot hold (a pasted review may carry them) dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    out: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = Cell(sheet, row=1, column=1)  # placed by append
            cell._value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out


def xml_text(values: Iterable[Any]) -> list[Any]:
    """A row with the characters XML cannot hold (a pasted review may carry them) dropped from its text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    search, sub = ILLEGAL_CHARACTERS_RE.search, ILLEGAL_CHARACTERS_RE.sub
    return [sub("", v) if v.__class__ is str and search(v) else v for v in values]


def open_for_excel(path: Path) -> IO[str]:
    """A text file for a CSV: UTF-8 with BOM, so that Excel on Windows shows the Chinese, and csv's newlines."""
    return path.open("w", encoding="utf-8-sig", newline="")


class CsvWriter:
    """csv.writer whose every cell goes through safe_cell."""

    def __init__(self, fh: IO[str]) -> None:
        self._writer = csv.writer(fh)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


class DictCsvWriter(csv.DictWriter):
    """csv.DictWriter whose every cell, header included (headers come from customers' files), is safe."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
