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
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="自定义区间结束日期（含） / custom range end, inclusive")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="写入文件 / write to a file")
@handle_errors
def report_cmd(period: str, start: datetime | None, end: datetime | None, fmt: str, output: Path | None) -> None:
    """周期报告：总量与渠道占比，情感对比上期，TOP5 问题及原话 / the periodic report.

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
    from feedbackloop.insight import kpi_facts

    session = get_read_sessionmaker()()
    try:
        kpi_facts.refresh(session)  # the report's time KPIs read the per-item durations
        text = RENDERERS[fmt](build_report(session, lo, hi))
    finally:
        session.close()
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"报告已写入 {output} / report written")
    else:
        click.echo(text, nl=False)


@click.command("kpi")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="开始日期，默认 30 天前 / range start")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="结束日期（含），默认今天 / range end, inclusive")
@click.option("--channel", help="只看一个渠道 / one channel")
@click.option("--team-id", type=int, help="只看一个团队 / one team")
@click.option("--agent-id", type=int, help="只看一位客服 / one agent")
@click.option("--problem-type", help="只看一种问题类型 / one problem type")
@click.option("--product", help="只看一个产品 / one product")
@click.option("--customer-type", type=click.Choice(["new", "returning", "high_value"]), help="客户类型 / customer type")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（与 GET /api/v1/kpis 相同） / print JSON")
@click.option("--rebuild", is_flag=True, help="先重算全部时长（营业日历改过之后） / recompute every duration first")
@handle_errors
def kpi_cmd(start: datetime | None, end: datetime | None, channel: str | None, team_id: int | None,
            agent_id: int | None, problem_type: str | None, product: str | None, customer_type: str | None,
            as_json: bool, rebuild: bool) -> None:  # fmt: skip
    """指标 KPI: CSAT、NPS、CES、回复率、响应/解决时长、处理率、SLA、一次解决率、重复率… / every KPI.

    Each figure with its n (marked when n < 30), its target and the change against the previous period of
    the same length.
    """
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.cli_support import echo_json
    from feedbackloop.config import get_settings
    from feedbackloop.db import get_read_sessionmaker
    from feedbackloop.insight import kpi_facts, kpis
    from feedbackloop.insight.render import kpi_lines

    prepare_database(get_settings())
    lo, hi = kpis.default_range(start.date() if start else None, end.date() if end else None)
    filters = kpis.Filters(channel, team_id, agent_id, problem_type, product, customer_type)
    session = get_read_sessionmaker()()
    try:
        (kpi_facts.rebuild if rebuild else kpi_facts.refresh)(session)
        data = kpis.overview(session, lo, hi, filters)
    finally:
        session.close()
    if as_json:
        echo_json(data, indent=2)
        return
    click.echo(f"指标 KPI / KPIs  {data['from']} — {data['to']}  (上期 / previous {data['previous_from']} — {data['previous_to']})")
    for line in kpi_lines(data["kpis"]):
        click.echo(line)
