"""CSV files with UTF-8 and GBK lines pasted together: every row stored right, or rejected with its line,
never stored as mojibake (issue 17, defect 9)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from feedbackloop.cli import main
from feedbackloop.errors import ImportFailed
from feedbackloop.feedback.import_encoding import decode_line
from feedbackloop.feedback.importer import import_file

# (content, encoding of its line): the attack report's row, short GBK cells that are also valid UTF-8
# (之前 reads as two Hebrew/Latin letters), a middle dot and an emoji in UTF-8, full-width punctuation.
ROWS = [
    ("质量很好，物流快", "utf-8"),
    ("房间很干净，服务周到", "gbk"),
    ("早餐太差了", "utf-8"),
    ("之前", "gbk"),
    ("说说", "gbk"),
    ("迈克尔·杰克逊来过这家店", "utf-8"),
    ("物流很快包装完好", "gbk"),
    ("点赞👍", "utf-8"),
    ("客服态度差（等了两天）！", "gbk"),
]


def _mixed_csv(rows: list[tuple[str, str]], header: str = "评论内容,星级") -> bytes:
    lines = [f"{header}\r\n".encode()]
    lines += [f"{text},{n % 5 + 1}\r\n".encode(encoding) for n, (text, encoding) in enumerate(rows)]
    return b"".join(lines)


def test_cli_import_stores_every_row_of_a_mixed_file_correctly(db, write_bytes, stored):
    result = CliRunner().invoke(main, ["import", str(write_bytes(_mixed_csv(ROWS)))])
    assert result.exit_code == 0, result.output
    assert [f.content for f in stored()] == [text for text, _ in ROWS]
    assert "编码 utf-8+gb18030" in result.output


def test_api_import_stores_every_row_of_a_mixed_file_correctly(client, admin_headers, stored):
    r = client.post("/api/v1/imports", files={"file": ("混合.csv", _mixed_csv(ROWS))}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["rejected"], r.json()["encoding"]) == (
        len(ROWS),
        [],
        "utf-8+gb18030",
    )
    assert [f.content for f in stored()] == [text for text, _ in ROWS]


def test_attack_report_file_is_not_stored_as_mojibake(db, write_bytes, stored):
    # As a whole this is valid GB18030: it was stored as 璐ㄩ噺寰堝ソ锛岀墿娴佸揩 with no row rejected.
    rows = [("质量很好，物流快", "utf-8"), ("房间很干净，服务周到", "gbk"), ("物流很快包装完好", "utf-8")]
    report = import_file(db, write_bytes(_mixed_csv(rows, header="review,rating")))
    assert (report.encoding, report.rejected) == ("utf-8+gb18030", [])
    assert [f.content for f in stored()] == [text for text, _ in rows]


def test_a_line_that_is_neither_is_rejected_with_its_number(db, write_bytes, stored):
    data = _mixed_csv(ROWS[:2]) + b"\xff\xfe broken,5\r\n" + _mixed_csv(ROWS[2:3]).split(b"\r\n", 1)[1]
    report = import_file(db, write_bytes(data))
    assert [r.line for r in report.rejected] == [4]
    assert "第 4 行" in report.rejected[0].reason and "既不是 UTF-8 也不是 GBK" in report.rejected[0].reason
    assert [f.content for f in stored()] == ["质量很好，物流快", "房间很干净，服务周到", "早餐太差了"]


def test_utf8_file_with_a_cut_character_is_not_read_as_gbk(db, write_bytes, count):
    # As a whole this decodes as GB18030 (into mojibake); the cut line says where the file is broken.
    data = "评论内容,星级\r\n质量很好，物流快,5\r\n".encode() + "房间很干净".encode()[:-1] + b",4\r\n"
    with pytest.raises(ImportFailed, match="第 3 行不是 UTF-8"):
        import_file(db, write_bytes(data))
    assert count() == 0


@pytest.mark.parametrize(
    "text", ["质量很好，物流快", "之前", "好", "赞", "迈克尔·杰克逊", "点赞👍", "𠮷野家"]
)
def test_each_line_is_read_in_its_own_encoding(text):
    assert decode_line(text.encode("utf-8"))[1] == text
    assert decode_line(text.encode("gb18030"))[1] == text
