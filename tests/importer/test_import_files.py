"""Reading export files: encodings, XLSX, and whole-file errors that tell the user what to do."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest

from feedbackloop.errors import ImportFailed
from feedbackloop.feedback.importer import import_file

HEADER = ["评论内容", "星级", "昵称", "评论时间"]
ROWS = [
    ["房间很干净, 服务周到", "5星", "小王", "2024-03-01 12:00:00"],
    ["早餐太差了, 品种少", "二星", "李女士", "2024/3/2"],
    ["物流很快, 包装完好", "4", "张先生", "2024年3月3日"],
]


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gb18030")],
)
def test_it_reads_chinese_headers_in_each_encoding(db, write_csv, stored, encoding, reported):
    rows = [HEADER, *ROWS]
    if encoding == "gb18030":
        # 𠮷 exists only in GB18030 (four bytes), so a GBK decoder cannot read this file.
        rows.append(["吉野家的𠮷字写法不对", "3", "𠮷田", "2024-03-04"])
    report = import_file(db, write_csv(rows, encoding))
    assert report.encoding == reported
    assert report.created == len(rows) - 1 and not report.rejected
    first = stored(content="房间很干净, 服务周到")[0]
    assert (first.rating, first.customer_name, first.channel) == (5, "小王", "import")
    # Times without a zone are China time.
    assert first.received_at == datetime(2024, 3, 1, 4, 0, tzinfo=UTC)
    assert stored(content="早餐太差了, 品种少")[0].rating == 2


def test_gbk_detected_even_when_the_first_64k_are_ascii(db, write_csv, stored):
    rows = [["content", "rating"]] + [[f"ascii review number {n}", "3"] for n in range(3000)]
    rows.append(["最后一行是中文的差评", "1"])
    report = import_file(db, write_csv(rows, "gbk"))
    assert report.encoding == "gbk"
    assert report.created == 3001
    assert stored(content="最后一行是中文的差评")[0].rating == 1


def test_xlsx_with_dates_numbers_and_phone_cells(db, tmp_path, stored):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["评价内容", "评分", "用户名", "评价时间", "手机号", "平台", "备注"])
    ws.append(
        [
            "外卖送得很快, 味道不错",
            5,
            "吃货小美",
            datetime(2024, 5, 6, 18, 30),
            13812345678,
            "美团",
            "x",
            "无表头的列",
        ]
    )
    ws.append(["汤洒了一半", "1星", "老赵", "2024-05-07 12:00", None, "大众点评", None])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    report = import_file(db, path)
    assert report.file_format == "xlsx" and report.created == 2 and not report.rejected
    assert report.ignored_columns == ["备注"]
    first = stored(customer_name="吃货小美")[0]
    assert first.contact == "13812345678"
    assert first.channel == "meituan" and first.rating == 5
    assert first.received_at == datetime(2024, 5, 6, 10, 30, tzinfo=UTC)
    assert stored(customer_name="老赵")[0].channel == "dianping"


def test_excel_serial_dates_are_understood(db, write_csv, stored):
    import_file(db, write_csv([["内容", "日期"], ["准时送达", "45352"]]))
    # Serial day 45352 is 2024-03-01, midnight China time.
    assert stored()[0].received_at == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)


BAD_FILES = {
    "pdf_renamed.csv": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
    "utf16.csv": "评论内容,星级\n很好,5\n".encode("utf-16"),
    "utf16_nobom.csv": "content,rating\ngood,5\n".encode("utf-16-le"),
    "random.bin": bytes(range(256)) * 20,
    "legacy.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_files_fail_whole_with_advice(db, write_bytes, count, name):
    with pytest.raises(ImportFailed) as exc:
        import_file(db, write_bytes(BAD_FILES[name], name))
    assert "请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX" in exc.value.message
    assert count() == 0


def test_zip_that_is_not_a_workbook(db, tmp_path, count):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    with pytest.raises(ImportFailed, match="不是有效的 XLSX"):
        import_file(db, path)
    assert count() == 0


def test_undecodable_bytes_fail_whole(db, write_bytes):
    # Valid neither as UTF-8 nor as GB18030 (0xFF never starts a GB18030 character).
    data = "内容\n".encode() + b"\xff\xfe\xff abc\n"
    with pytest.raises(ImportFailed, match="无法识别文件编码"):
        import_file(db, write_bytes(data.replace(b"\xff\xfe", b"\xff\x30"), "x.csv"))


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n"])
def test_empty_file(db, write_bytes, data):
    with pytest.raises(ImportFailed, match="文件是空的"):
        import_file(db, write_bytes(data))


def test_header_only(db, write_csv):
    with pytest.raises(ImportFailed, match="只有表头"):
        import_file(db, write_csv([HEADER]))


def test_missing_content_column_lists_headers_and_how_to_map(db, write_csv, count):
    with pytest.raises(ImportFailed) as exc:
        import_file(db, write_csv([["星级", "昵称", "说明"], ["5", "小王", "很好"]]))
    assert "星级, 昵称, 说明" in exc.value.message and "--map" in exc.value.message
    assert count() == 0
