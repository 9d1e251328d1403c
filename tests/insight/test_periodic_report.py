"""`feedbackloop report`: volume and channel share, sentiment against the previous period, top issues with
quotes; text, JSON and HTML; clear errors for a bad range."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from feedbackloop.cli import main
from feedbackloop.feedback.analyzing import analyze_stored
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock

NOW = datetime(2026, 3, 15, 4, 0, tzinfo=UTC)  # 12:00 in China
SLOW = ["外卖送餐太慢了, 等了两个小时才送到, 饭菜都凉了", "送餐速度太慢, 超时一个多小时, 再也不点了",
        "配送太慢了, 骑手迟到一小时", "等了一个半小时外卖才到, 送餐实在太慢"]  # fmt: skip
PRAISE = ["味道很好, 分量足, 包装也很用心, 下次还点", "很好吃, 送得也快, 五星好评"]


def _analyse_all(db) -> None:  # type: ignore[no-untyped-def]
    """Analyse every stored item now (intake queues it; this test must not depend on which hooks are loaded)."""
    analyze_stored(db, list(db.scalars(select(Feedback.id))))


@pytest.fixture
def period_data(make_feedback, db):  # type: ignore[no-untyped-def]
    clock.freeze(NOW)
    this_week = NOW - timedelta(days=2)
    last_week = NOW - timedelta(days=9)
    for i, text in enumerate(SLOW):
        make_feedback(content=text, channel="meituan", received_at=this_week + timedelta(minutes=i))
    for text in PRAISE:
        make_feedback(content=text, channel="web_form", received_at=this_week)
    make_feedback(content=SLOW[0], channel="email", received_at=this_week + timedelta(hours=1))  # an exact duplicate
    make_feedback(content=PRAISE[0] + "!", channel="meituan", received_at=last_week)
    make_feedback(content="送餐太慢, 等了两个小时", channel="meituan", received_at=last_week)
    make_feedback(content="很久以前的反馈", channel="api", received_at=NOW - timedelta(days=40))
    _analyse_all(db)


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_week_in_numbers(period_data):
    data = json.loads(_run("--format", "json"))
    assert data["total"] == 7 and data["previous_total"] == 2
    channels = {c["key"]: (c["count"], c["previous_count"]) for c in data["channels"]}
    assert channels == {"meituan": (4, 2), "web_form": (2, 0), "email": (1, 0)}
    assert data["duplicates"] == 1 and data["open"] == 6
    sentiment = {s["key"]: s["count"] for s in data["sentiment"]}
    assert sentiment.get("negative") == 4 and sentiment.get("positive") == 2
    top = data["top_issues"][0]
    assert top["count"] == 4 and top["previous_count"] == 1
    assert top["examples"] and all(any(e in text for text in SLOW) for e in top["examples"])


def test_text_and_html(period_data, tmp_path):
    text = _run()
    assert "反馈总量 7 条 (上一周期 2 条)" in text and "美团" in text and "TOP" in text
    out = tmp_path / "report.html"
    assert "报告已写入" in _run("--format", "html", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "反馈周期报告" in html and "美团" in html


def test_custom_range_covers_whole_days(period_data):
    # 2026-03-04 .. 2026-03-06 in China time holds the two items of "last week" (received 03-06 12:00).
    data = json.loads(_run("--from", "2026-03-04", "--to", "2026-03-06", "--format", "json"))
    assert data["total"] == 2 and data["start"].startswith("2026-03-04T00:00:00+08:00")
    assert data["end"].startswith("2026-03-07T00:00:00+08:00")


def test_quotes_are_escaped_in_html(make_feedback, db, tmp_path):
    clock.freeze(NOW)
    texts = ["<script>alert(1)</script> 送餐太慢, 等了两个小时才到", "<b>配送太慢</b>, 骑手迟到一小时, 饭都凉了"]
    for minute, text in enumerate(texts):
        make_feedback(content=text, channel="meituan", received_at=NOW - timedelta(hours=1, minutes=minute))
    _analyse_all(db)
    out = tmp_path / "r.html"
    _run("--format", "html", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    assert "TOP0" not in html
    assert "<script>alert" not in html and "<b>配送" not in html
    assert "&lt;script&gt;alert" in html and "&lt;b&gt;配送" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--from", "2026-03-01"], "同时给出开始和结束日期"), (["--from", "2026-03-05", "--to", "2026-03-01"], "早于开始日期")],
)
def test_a_bad_range_says_what_to_fix(args, message, db):
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code != 0 and message in result.output


def test_top_issues_are_the_same_from_the_daily_rows_and_from_the_raw_rows(period_data, db, monkeypatch):
    """The report's themes come from the dashboard's counts: the daily rows where they are current, SQL over
    the raw rows otherwise (an item changed since the last count). Both give the same issues, duplicates
    left out, and match find_themes over the analysed originals."""
    from feedbackloop.analysis import find_themes
    from feedbackloop.insight import build_report, daily, period_bounds
    from feedbackloop.insight.themes import analysed_items

    lo, hi = period_bounds("week")

    def issues() -> list[tuple[str, int, int, str]]:
        return [(i.key, i.count, i.previous_count, i.trend) for i in build_report(db, lo, hi).top_issues]

    from_rows = issues()
    assert db.info.get(daily._PINNED) is True  # the daily rows answered
    monkeypatch.setattr(daily, "sync_and_pin", lambda session: session.info.__setitem__(daily._PINNED, False))
    assert issues() == from_rows
    themes = find_themes(analysed_items(db, lo - (hi - lo), hi), now=hi, period=hi - lo, history_periods=1)
    expected = [(t.key, t.count, t.previous_count, t.trend) for t in themes
                if t.count >= 2 and (t.kind in ("problem_type", "risk") or t.key.endswith(":negative"))]
    assert from_rows == expected[: len(from_rows)] and from_rows
