"""`feedbackloop report`: the periodic report from the command line (SPEC §8, §11)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from feedbackloop.cli_support import handle_errors


@click.command("report")
@click.option("--period", type=click.Choice(["week", "month"]), default="week", show_default=True,
              help="最近 7 天或 30 天 / the last 7 or 30 days")  # fmt: skip
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="自定义区间开始日期 / custom range start")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="自定义区间结束日期 (含) / custom range end, inclusive")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件 / write to a file")
@handle_errors
def report_cmd(period: str, start: datetime | None, end: datetime | None, fmt: str, output: Path | None) -> None:
    """周期报告: 总量与渠道占比, 情感对比上期, TOP5 问题及原话 / the periodic report.

    The period is compared with the one of the same length just before it. HTML is a self-contained page
    (print it to PDF from a browser).
    """
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import get_read_sessionmaker
    from feedbackloop.insight import build_report, period_bounds
    from feedbackloop.insight.render import RENDERERS

    prepare_database(get_settings())
    lo, hi = period_bounds(period, start.date() if start else None, end.date() if end else None)
    session = get_read_sessionmaker()()
    try:
        text = RENDERERS[fmt](build_report(session, lo, hi))
    finally:
        session.close()
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"报告已写入 {output} / report written")
    else:
        click.echo(text, nl=False)
