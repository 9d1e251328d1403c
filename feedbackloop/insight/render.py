"""The periodic report as text (terminal), JSON or a self-contained HTML page (mail it, print it to PDF)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from feedbackloop.insight.periodic import PeriodReport
from feedbackloop.lib.columns import table

TREND = {"up": "↑", "down": "↓", "flat": "→", "new": "新"}


def _change(now: float, before: float) -> str:
    return f"{_points(now, before)} 个百分点"


def _points(now: float, before: float) -> str:
    return f"{(now - before) * 100:+.1f}"


def as_text(report: PeriodReport) -> str:
    first, last, previous_first, previous_last = report.days()
    lines = [
        f"反馈报告 {first} 至 {last}",
        f"上一周期 {previous_first} 至 {previous_last}",
        "",
        f"反馈总量 {report.total} 条 (上一周期 {report.previous_total} 条), 已分析 {report.analysed} 条, "
        f"重复 {report.duplicates} 条; 已处理 {report.handled} 条, 未结 {report.open} 条",
        "",
        "渠道占比 / channels:",
    ]
    lines += table([[c.label, c.count, f"{c.share:.1%}", f"(上期 {c.previous_share:.1%})"] for c in report.channels],
                   "<>>")
    lines += ["", "情感 / sentiment (不含重复):"]
    lines += table([[s.label, s.count, f"{s.share:.1%}", f"(上期 {s.previous_share:.1%}, {_change(s.share, s.previous_share)})"]
                    for s in report.sentiment], "<>>")  # fmt: skip
    lines += ["", f"TOP{len(report.top_issues)} 问题 / top issues:"]
    for n, issue in enumerate(report.top_issues, 1):
        flag = "  ⚠ 新出现的问题 / emerging" if issue.emerging else ""
        lines.append(
            f"  {n}. {issue.label}  {issue.count} 条 ({issue.share:.1%}), 上期 {issue.previous_count} 条 "
            f"{TREND.get(issue.trend, '')}{flag}"
        )
        lines += [f"       「{e[:80]}」" for e in issue.examples]
    if not report.top_issues:
        lines.append("  (本期没有至少 2 条反馈的负面主题 / no negative theme with 2 or more items)")
    lines += ["", "指标 / KPIs (对比上一周期):"] + kpi_lines(report.kpis)
    return "\n".join(lines + _improvement_lines(report)) + "\n"


def _improvement_lines(report: PeriodReport) -> list[str]:
    lines = ["", "改进建议 / improvement suggestions:"]
    lines += [f"  - {g['text']} {TREND.get(g['trend'], '')}" for g in report.suggestions]
    if not report.suggestions:
        lines.append("  (TOP 问题都已有改进计划，或没有负面主题 / every top issue has a plan)")
    lines += ["", f"未完成的改进计划 / open improvement plans ({len(report.plans)}):"]
    for p in report.plans:
        overdue = "  ⚠ 已逾期 / overdue" if p["overdue"] else ""
        lines.append(f"  - {p['title']}  [{p['status_label']}]  {p['department'] or '未指定部门'}  "
                     f"截止 {p['due_date'] or '—'}{overdue}")  # fmt: skip
        lines.append(f"      效果: {p['effect']}")
    if not report.plans:
        lines.append("  (无 / none)")
    return lines


def kpi_lines(data: dict[str, dict[str, Any]]) -> list[str]:
    """One line per KPI: value, n (marked below 30), target and whether it is met, change against the last period."""
    from feedbackloop.insight.kpis import human, human_change

    rows = []
    for k in data.values():
        target = f"目标 {'≥' if k['direction'] == 'higher' else '≤'} {human(k['target'], k['unit'])}" if k["target"] is not None else ""
        met = {True: "✓ 达标", False: "✗ 未达标", None: ""}[k["met"]]
        change = f"较上期 {human_change(k['change'], k['unit'])}" if k["change"] is not None else ""
        low = " (样本少于 30)" if k["low_n"] and k["value"] is not None else ""
        rows.append([k["name"], human(k["value"], k["unit"]), f"n={k['n']}{low}", target, met, change])
    return table(rows, "<>")


def as_json(report: PeriodReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def as_html(report: PeriodReport, translate: Callable[..., str] | None = None, lang: str = "zh-CN") -> str:
    """The report as one HTML page; `translate` (the web catalogue's `_`) gives it in `lang`, zh-CN by default."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )
    first, last, previous_first, previous_last = report.days()
    context: dict[str, Any] = {"r": report, "first": first, "last": last, "previous_first": previous_first,
                               "previous_last": previous_last, "trend": TREND,
                               "change": _points, "human": _human, "human_change": _human_change, "_": translate or _as_is, "lang": lang}  # fmt: skip
    return env.get_template("period_report.html").render(context)


def _as_is(text: str, **kwargs: object) -> str:
    return text.format(**kwargs) if kwargs else text


def _human(value: float | None, unit: str) -> str:
    from feedbackloop.insight.kpis import human

    return human(value, unit)


def _human_change(change: float | None, unit: str, lang: str) -> str:
    from feedbackloop.insight.kpis import human_change

    return human_change(change, unit, lang)


RENDERERS = {"text": as_text, "json": as_json, "html": as_html}
