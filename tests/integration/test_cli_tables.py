"""CLI tables line up by display width: a Chinese character is two terminal cells (issue 13, probe defect 3)."""

from __future__ import annotations

from click.testing import CliRunner
from rich.cells import cell_len

from feedbackloop.cli import main
from feedbackloop.lib.columns import pad, table


def test_table_pads_by_display_width():
    lines = table([["净推荐值 NPS", "+40.0", "n=5"], ["CSAT", "85.5%", "n=120"], ["处理率", "—", "n=0"]], "<>")
    assert lines == ["  净推荐值 NPS  +40.0  n=5", "  CSAT          85.5%  n=120", "  处理率            —  n=0"]
    assert len({cell_len(line[: line.index("n=")]) for line in lines}) == 1
    assert pad("中文", 6) == "中文  " and pad("中文", 6, ">") == "  中文" and pad("太长的文字", 2) == "太长的文字"


def test_sla_policies_and_audit_log_line_up(db):
    from feedbackloop.audit import record
    from feedbackloop.db import begin_write

    runner = CliRunner()
    out = runner.invoke(main, ["sla", "policies"])
    assert out.exit_code == 0, out.output
    rows = out.output.splitlines()
    assert len(rows) == 4 and len({cell_len(r[: r.index("解决")]) for r in rows}) == 1, rows
    begin_write(db)
    record(db, "张三丰", "feedback.export", "feedback", "export", None, {})
    record(db, "admin", "feedback.export", "feedback", "export", None, {})
    db.commit()
    log = runner.invoke(main, ["audit", "log", "--limit", "5"])
    assert log.exit_code == 0, log.output
    lines = [line for line in log.output.splitlines() if "feedback.export" in line]
    assert len(lines) == 2 and len({cell_len(r[: r.index("feedback.export")]) for r in lines}) == 1, lines
