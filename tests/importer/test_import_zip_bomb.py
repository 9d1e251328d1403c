"""XLSX zip bombs: refused from the zip directory, before openpyxl unpacks anything (issue 17, defect 3)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from feedbackloop.cli import main
from feedbackloop.config import Settings, get_settings
from feedbackloop.errors import PayloadTooLarge
from feedbackloop.feedback.import_files import check_archive
from feedbackloop.feedback.importer import import_file

BOMB_MB = 256  # unpacks to 256 MB, packs to about 0.25 MB: the shape of the attack report's 1.65 MB → 648 MB

_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main"><sheets><sheet name="s" sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"/></sheets></workbook>',
    "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>',
}


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook whose one shared string is BOMB_MB of 'A', written in chunks (never held in memory)."""
    path = tmp_path_factory.mktemp("bomb") / "评论导出.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(
                b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            fh.write(b"<si><t>")
            chunk = b"A" * (1 << 20)
            for _ in range(BOMB_MB):
                fh.write(chunk)
            fh.write(b"</t></si></sst>")
    assert path.stat().st_size < 1 << 20
    return path


@pytest.fixture
def parser_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if openpyxl is asked to open the workbook: the bomb must be refused before that."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl.load_workbook was called on a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.mark.parametrize("background", [None, "true"])
def test_api_refuses_a_zip_bomb_with_413(client, admin_headers, bomb, parser_must_not_run, count, background):
    data = {"background": background} if background else {}
    started = time.monotonic()
    r = client.post(
        "/api/v1/imports", files={"file": (bomb.name, bomb.read_bytes())}, data=data, headers=admin_headers
    )
    assert r.status_code == 413, r.text
    message = r.json()["error"]["message"]
    assert "压缩比" in message and "100:1" in message and "另存为 CSV" in message
    assert time.monotonic() - started < 10 and count() == 0


def test_cli_refuses_a_zip_bomb_with_the_limit_and_advice(db, bomb, parser_must_not_run, count):
    result = CliRunner().invoke(main, ["import", str(bomb)])
    assert result.exit_code == 1, result.output
    assert "xl/sharedStrings.xml" in result.output and "100:1" in result.output
    assert "请另存为 CSV" in result.output and count() == 0


def test_workbook_over_the_unpacked_limit_is_refused(db, tmp_path, monkeypatch, count):
    wb = openpyxl.Workbook()
    wb.active.append(["评论内容"])
    wb.active.append(["很好"])
    path = tmp_path / "ok.xlsx"
    wb.save(path)
    monkeypatch.setattr(get_settings(), "xlsx_max_unpacked_bytes", 1000)
    with pytest.raises(PayloadTooLarge) as exc:
        import_file(db, path)
    assert "超过 1 KB 的上限" in exc.value.message and "拆分成多个文件" in exc.value.message
    assert count() == 0


def test_large_repetitive_workbook_passes_the_checks(tmp_path):
    # Even a sheet of one repeated sentence packs only about 15:1 (cell references differ on every row).
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["评论内容", "星级"])
    for n in range(20000):
        ws.append([f"第 {n} 条: 物流很快，包装完好，客服态度也好", 5])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    assert (
        zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size
        > get_settings().xlsx_ratio_min_bytes
    )
    check_archive(path)


@pytest.mark.parametrize(
    ("upload", "unpacked"), [(50 << 20, 500 << 20), (100 << 20, 512 << 20), (1 << 20, 10 << 20)]
)
def test_unpacked_limit_defaults_to_ten_times_the_upload_limit_capped(upload, unpacked):
    assert Settings(max_upload_bytes=upload).xlsx_unpacked_limit() == unpacked


def _shared_strings_workbook(path: Path, count: int, prefix: str = "") -> Path:
    """A workbook whose sharedStrings.xml holds `count` distinct short strings (tiny per string, so the file
    passes the size and ratio checks, yet openpyxl would hold each one as a Python object)."""
    tag = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"' if prefix else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        body = "".join(f"<{tag}si><{tag}t>评论{n}</{tag}t></{tag}si>" for n in range(count))
        zf.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><{tag}sst{ns}>{body}</{tag}sst>')
    return path


@pytest.mark.parametrize("prefix", ["", "x"])
def test_too_many_shared_strings_are_refused_before_openpyxl(
    db, tmp_path, monkeypatch, parser_must_not_run, count, prefix
):
    # 80,000 strings make a sharedStrings.xml of over 1 MiB: the count crosses the streaming chunks.
    path = _shared_strings_workbook(tmp_path / "many.xlsx", 80_000, prefix)
    assert zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size > 1 << 20
    monkeypatch.setattr(get_settings(), "xlsx_max_shared_strings", 79_999)
    with pytest.raises(PayloadTooLarge) as exc:
        import_file(db, path)
    assert "79,999" in exc.value.message and "另存为 CSV" in exc.value.message
    assert count() == 0


def test_shared_strings_at_the_limit_pass_the_check(tmp_path, monkeypatch):
    path = _shared_strings_workbook(tmp_path / "at-limit.xlsx", 80_000)
    monkeypatch.setattr(get_settings(), "xlsx_max_shared_strings", 80_000)
    check_archive(path)


def test_api_refuses_too_many_shared_strings_with_413(client, admin_headers, tmp_path, monkeypatch, count):
    path = _shared_strings_workbook(tmp_path / "many.xlsx", 3000)
    monkeypatch.setattr(get_settings(), "xlsx_max_shared_strings", 2000)
    r = client.post("/api/v1/imports", files={"file": (path.name, path.read_bytes())}, headers=admin_headers)
    assert r.status_code == 413, r.text
    assert "2,000" in r.json()["error"]["message"] and count() == 0
