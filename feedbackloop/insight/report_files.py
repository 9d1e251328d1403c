"""The periodic report as downloadable files (issue 13): PDF (WeasyPrint over the report's HTML, CJK through
the Noto Sans CJK fonts the HTML names) and XLSX with the tables behind it."""

from __future__ import annotations

import io
from typing import Any

from feedbackloop.insight.kpis import human, human_change
from feedbackloop.insight.periodic import PeriodReport
from feedbackloop.insight.render import TREND, as_html
from feedbackloop.lib.spreadsheet import text_cells

PDF_CSS = "@page { size: A4; margin: 14mm 12mm; } body { margin: 0 !important; max-width: none !important; }"
FORMATS = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def as_pdf(report: PeriodReport) -> bytes:
    """The report's HTML printed to an A4 PDF."""
    from weasyprint import CSS, HTML

    return bytes(HTML(string=as_html(report)).write_pdf(stylesheets=[CSS(string=PDF_CSS)]))


UNITS = {"percent": "%", "nps": "NPS（−100 至 +100）", "score": "分（满分 7）", "minutes": "分钟"}


def _number(value: float | None) -> float | str:
    return "" if value is None else value


def _sheets(report: PeriodReport) -> dict[str, list[list[Any]]]:
    first, last, previous_first, previous_last = report.days()
    return {
        "概况": [["指标", "本期", "上期"],
                 ["开始日期", first, previous_first],
                 ["结束日期（含）", last, previous_last],
                 ["反馈总量", report.total, report.previous_total], ["已分析", report.analysed, ""],
                 ["已处理", report.handled, ""], ["未结", report.open, ""], ["重复", report.duplicates, ""]],
        "指标": [["指标", "本期", "样本数", "目标", "是否达标", "上期", "变化", "本期数值", "上期数值", "单位"]]
                + [[k["name"], human(k["value"], k["unit"]), k["n"],
                    f"{'≥' if k['direction'] == 'higher' else '≤'} {human(k['target'], k['unit'])}" if k["target"] is not None else "",
                    {True: "达标", False: "未达标", None: ""}[k["met"]], human(k["previous"], k["unit"]),
                    human_change(k["change"], k["unit"]), _number(k["value"]), _number(k["previous"]), UNITS.get(k["unit"], "")]
                   for k in report.kpis.values()],
        "渠道": [["渠道", "条数", "占比", "上期条数", "上期占比"]]
                + [[c.label, c.count, c.share, c.previous_count, c.previous_share] for c in report.channels],
        "情感": [["情感", "条数", "占比", "上期条数", "上期占比"]]
                + [[s.label, s.count, s.share, s.previous_count, s.previous_share] for s in report.sentiment],
        "TOP问题": [["排名", "问题", "条数", "占比", "上期条数", "趋势", "新出现", "原话"]]
                  + [[n, i.label, i.count, i.share, i.previous_count, TREND.get(i.trend, i.trend), "是" if i.emerging else "",
                      "\n".join(i.examples)] for n, i in enumerate(report.top_issues, 1)],
        "改进建议": [["建议", "趋势"]] + [[g.get("text", ""), TREND.get(g.get("trend", ""), "")] for g in report.suggestions],
        "改进计划": [["计划", "负责部门", "截止日期", "状态", "已逾期", "效果"]]
                   + [[p["title"], p["department"] or "", p["due_date"] or "", p["status_label"], "是" if p["overdue"] else "",
                       p["effect"]] for p in report.plans],
    }  # fmt: skip


def as_xlsx(report: PeriodReport) -> bytes:
    """One sheet per table of the report (shares as fractions, formatted as percentages)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)  # a new workbook comes with one empty sheet
    for title, rows in _sheets(report).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(text_cells(sheet, row))  # text as string cells: never a formula, no quote
        for col, header in enumerate(rows[0], 1):
            if "占比" in str(header):
                for cell in sheet.iter_cols(min_col=col, max_col=col, min_row=2):
                    for c in cell:
                        c.number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
