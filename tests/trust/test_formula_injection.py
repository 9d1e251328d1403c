"""CSV formula injection: every CSV the product writes keeps a customer's "=…" as text (issue 17, defect 8)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from feedbackloop.cli import main
from feedbackloop.lib.spreadsheet import FORMULA_STARTS, DictCsvWriter, safe_cell

PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1", "\r=1", "-好评"]


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _assert_inert(cells: list[list[str]]) -> None:
    """No cell a spreadsheet would run: each starts with neither a formula character nor a tab or CR."""
    live = [c for row in cells for c in row if c.startswith(FORMULA_STARTS) and c not in ("-3.5",)]
    assert not live, live


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-好评", "'-好评"),
        ("+86 138 0000 0000", "'+86 138 0000 0000"),
        ("好评 =1", "好评 =1"),
        ("-3.5", "-3.5"),  # a plain number cannot hold a formula and stays a number in Excel
        ("+1e3", "+1e3"),
        (-3.5, -3.5),
        (Decimal("-2"), Decimal("-2")),
        (None, None),
    ],
)
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_dict_writer_neutralises_headers_and_every_write_path():
    out = io.StringIO()
    writer = DictCsvWriter(out, fieldnames=["=列", "b"])
    writer.writeheader()
    writer.writerows([{"=列": "@x", "b": -1.5}])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=列", "b"], ["'@x", "-1.5"]]


def test_analyze_output_keeps_formulas_as_text(tmp_path):
    source = tmp_path / "reviews.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["review", "=备注", "金额"])
        writer.writerows([p, p, "-3.5"] for p in PAYLOADS)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["analyze", str(source), "--text-column", "review", "-o", str(out)])
    assert result.exit_code == 0, result.output
    cells = _cells(out)
    _assert_inert(cells)
    assert cells[0][:3] == ["review", "'=备注", "金额"]
    # The analysis reads the text stripped, as stored; the file shows it with just the quote in front.
    assert [row[0] for row in cells[1:]] == ["'" + p.strip() for p in PAYLOADS]
    assert {row[2] for row in cells[1:]} == {"-3.5"}


def _payload_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["评论内容", "星级"])
    for n, payload in enumerate(PAYLOADS, start=2):
        ws.cell(n, 1).value = payload
        ws.cell(n, 1).data_type = "s"  # the export's text, not a formula openpyxl would write as one
        ws.cell(n, 2).value = "六星"
    wb.save(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_errors_csv_keeps_formulas_as_text(db, tmp_path, kind):
    if kind == "csv":
        # Unquoted as a platform export writes them, so that each raw line starts with the payload.
        path = tmp_path / "export.csv"
        path.write_text(
            "评论内容,星级\n" + "".join(f"{p.replace(chr(13), '')},六星\n" for p in PAYLOADS[1:]),
            encoding="utf-8",
        )
    else:
        path = _payload_workbook(tmp_path / "export.xlsx")
    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(main, ["import", str(path), "--errors-csv", str(errors)])
    assert result.exit_code == 0, result.output
    cells = _cells(errors)
    assert len(cells) == 1 + len(PAYLOADS) - (kind == "csv") and all("六星" in row[2] for row in cells[1:])
    _assert_inert(cells)


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_text_cells_read_back_as_written_and_never_as_formulas(tmp_path, write_only):
    """XLSX (issue 13): a string cell is never run, so no quote is added; openpyxl alone would write "=…" as a
    formula. Read back with openpyxl: the same text, typed "s"."""
    from feedbackloop.lib.spreadsheet import text_cells

    book = openpyxl.Workbook(write_only=write_only)
    sheet = book.create_sheet("t")
    payloads = [*PAYLOADS, "+86 138 0000 0000", "=1+1"]
    sheet.append(text_cells(sheet, ["=表头", -3.5, 7]))
    for payload in payloads:
        sheet.append(text_cells(sheet, [payload, "a\x01b"]))
    book.save(tmp_path / "t.xlsx")
    back = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    assert [(c.value, c.data_type) for c in back[1]] == [("=表头", "s"), (-3.5, "n"), (7, "n")]
    rows = list(back.iter_rows(min_row=2))
    # The CR of "\r=1" is a line break in XML and comes back as a newline: still text, still no formula.
    assert [r[0].value for r in rows] == [p.replace("\r", "\n") for p in payloads]
    assert {r[0].data_type for r in rows} == {"s"} and {r[1].value for r in rows} == {"ab"}
