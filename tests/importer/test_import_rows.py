"""Per-row validation: each bad row is reported with its line and a readable reason; good rows land."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedbackloop.errors import ImportFailed
from feedbackloop.feedback.importer import import_file

HEADER = ["评论内容", "星级", "昵称", "平台"]


def _reasons(report) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {r.line: r.reason for r in report.rejected}


def test_bad_rows_are_listed_and_good_rows_land(db, write_csv, stored):
    rows = [
        HEADER,
        ["好评, 下次还来", "5", "a", "天猫"],  # line 2
        ["评分写错了", "六星", "b", "天猫"],  # line 3
        ["", "4", "c", "天猫"],  # line 4: empty content
        ["长" * 10_001, "4", "d", "天猫"],  # line 5: too long
        ["渠道不对", "4", "e", "拼多多"],  # line 6
        ["列太多", "4", "f", "天猫", "多余"],  # line 7
        ["送货上门很准时", "3", "g", "京东"],  # line 8
    ]
    report = import_file(db, write_csv(rows))
    assert report.total_rows == 7 and report.created == 2
    reasons = _reasons(report)
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3].startswith("第 3 行: 星级 '六星'") and "1–5" in reasons[3]
    assert "评论内容 为空" in reasons[4]
    assert "超过 10,000 字" in reasons[5] and "10,001" in reasons[5]
    assert "未知渠道 '拼多多'" in reasons[6]
    assert "列数不符" in reasons[7]
    assert next(r for r in report.rejected if r.line == 7).raw == "列太多,4,f,天猫,多余"
    assert [f.channel for f in stored()] == ["tmall", "jd"]


def test_unclosed_quote_costs_only_its_own_row(db, write_bytes, stored):
    data = (
        '评论内容,星级\n第一条很好,5\n"引号没有闭合,3\n第三条也好,4\n"第四条, 带逗号",2\n第五条,1\n'
    ).encode()
    report = import_file(db, write_bytes(data))
    assert [r.line for r in report.rejected] == [3]
    assert "CSV 格式错误" in report.rejected[0].reason
    assert sorted(f.content for f in stored()) == sorted(
        ["第一条很好", "第三条也好", "第四条, 带逗号", "第五条"]
    )


def test_unclosed_quote_on_the_last_row(db, write_bytes, stored):
    report = import_file(db, write_bytes('内容\n好\n"坏\n'.encode()))
    assert [r.line for r in report.rejected] == [3] and report.created == 1


def test_multiline_quoted_review_is_one_row_and_lines_stay_right(db, write_csv, stored):
    rows = [["内容", "星级"], ["第一行\n第二行\n第三行", "5"], ["下一条", "七星"]]
    report = import_file(db, write_csv(rows))
    assert stored()[0].content == "第一行\n第二行\n第三行"
    # The bad row starts on physical line 5 (header 1, the three-line review 2–4).
    assert [r.line for r in report.rejected] == [5]


def test_html_and_sql_are_stored_as_plain_text(db, write_csv, stored, count):
    evil = ["<script>alert('x')</script>很差", "'); DROP TABLE feedback; --", '=HYPERLINK("http://x")']
    report = import_file(db, write_csv([["内容"], *([e] for e in evil)]))
    assert report.created == 3
    assert sorted(f.content for f in stored()) == sorted(evil)
    assert count() == 3


@pytest.mark.parametrize(
    ("given", "rating"),
    [
        ("5", 5),
        ("5星", 5),
        ("五星", 5),
        ("★★★☆☆", 3),
        ("8", 8),
        ("10分", 10),
        ("0", 0),
        ("4.5", 5),
        ("3.0", 3),
    ],
)
def test_rating_forms(db, write_csv, stored, given, rating):
    import_file(db, write_csv([["内容", "评分"], ["测试评分", given]]))
    assert stored()[0].rating == rating


@pytest.mark.parametrize("given", ["六星", "11", "-1", "很好", "0星"])
def test_rating_out_of_range_is_a_row_error(db, write_csv, given):
    report = import_file(db, write_csv([["内容", "评分"], ["测试评分", given]]))
    assert report.created == 0 and f"评分 '{given}'" in report.rejected[0].reason


@pytest.mark.parametrize(
    ("given", "utc"),
    [
        ("2024-03-01 12:00:00", datetime(2024, 3, 1, 4, 0, tzinfo=UTC)),
        ("2024-03-01 12:00", datetime(2024, 3, 1, 4, 0, tzinfo=UTC)),
        ("2024/3/1", datetime(2024, 2, 29, 16, 0, tzinfo=UTC)),
        ("2024年3月1日", datetime(2024, 2, 29, 16, 0, tzinfo=UTC)),
        ("2024年3月1日 8:05", datetime(2024, 3, 1, 0, 5, tzinfo=UTC)),
        ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, 0, tzinfo=UTC)),
        ("2024-03-01T12:00:00+09:00", datetime(2024, 3, 1, 3, 0, tzinfo=UTC)),
        ("20240301", datetime(2024, 2, 29, 16, 0, tzinfo=UTC)),
        ("1709265600", datetime(2024, 3, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_date_formats(db, write_csv, stored, given, utc):
    import_file(db, write_csv([["内容", "时间"], ["测试时间", given]]))
    assert stored()[0].received_at == utc


@pytest.mark.parametrize("given", ["昨天", "2024-13-01", "2024-02-30"])
def test_bad_date_is_a_row_error(db, write_csv, given):
    report = import_file(db, write_csv([["内容", "时间"], ["测试时间", given]]))
    assert report.created == 0 and "时间" in report.rejected[0].reason


def test_default_channel_and_file_channel_column(db, write_csv, stored):
    rows = [["内容", "渠道"], ["来自京东", "京东"], ["没写渠道", ""], ["来自点评", "点评"]]
    import_file(db, write_csv(rows), channel="tmall")
    assert {f.content: f.channel for f in stored()} == {
        "来自京东": "jd",
        "没写渠道": "tmall",
        "来自点评": "dianping",
    }


def test_unknown_default_channel_is_a_whole_file_error(db, write_csv):
    with pytest.raises(ImportFailed, match="未知渠道"):
        import_file(db, write_csv([["内容"], ["x"]]), channel="taobao")


def test_stray_nul_rejects_only_its_row(db, write_bytes, stored):
    report = import_file(db, write_bytes("内容\n好评\n坏\x00字节\n也是好评\n".encode()))
    assert [r.line for r in report.rejected] == [3] and "空字符" in report.rejected[0].reason
    assert report.created == 2
