"""`feedbackloop import FILE` through click's CliRunner: exit codes, summary, rejected rows."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from feedbackloop.cli import main


def test_import_prints_summary_and_rejected_rows(db, write_csv, tmp_path, stored):
    path = write_csv([["评论", "星级"], ["很好", "5"], ["评分错", "六星"], ["一般般吧", "3"]], "gbk")
    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(
        main, ["import", str(path), "--channel", "jd", "--map", "评论=content", "--errors-csv", str(errors)]
    )
    assert result.exit_code == 0, result.output
    assert "编码 gbk" in result.output
    assert "新增 / created" in result.output and "拒绝 / rejected" in result.output
    assert "第 3 行: 星级 '六星'" in result.output
    with errors.open(encoding="utf-8-sig", newline="") as fh:
        written = list(csv.reader(fh))
    assert written[0] == ["line", "reason", "raw"] and written[1][0] == "3" and written[1][2] == "评分错,六星"
    assert [f.channel for f in stored()] == ["jd", "jd"]


def test_second_run_reports_already_present(db, write_csv):
    path = write_csv([["内容"], ["很好"], ["不错"]])
    CliRunner().invoke(main, ["import", str(path)])
    result = CliRunner().invoke(main, ["import", str(path)])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if "已存在" in x)
    assert "2" in line


def test_unusable_file_exits_1_with_advice(db, write_bytes):
    result = CliRunner().invoke(main, ["import", str(write_bytes(b"%PDF-1.4 fake", "report.csv"))])
    assert result.exit_code == 1
    assert "请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX" in result.output


def test_bad_map_option_exits_1(db, write_csv):
    result = CliRunner().invoke(main, ["import", str(write_csv([["内容"], ["x"]])), "--map", "内容"])
    assert result.exit_code == 1 and "列名=字段" in result.output


def test_import_has_help():
    result = CliRunner().invoke(main, ["import", "--help"])
    assert result.exit_code == 0 and "--errors-csv" in result.output
