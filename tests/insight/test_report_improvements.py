"""The periodic report's improvement sections (SPEC §8): suggestions for top issues no open plan covers, naming
the department routing sends them to, and the open plans with due date, overdue flag and effect so far."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from feedbackloop.accounts import services as accounts
from feedbackloop.cli import main
from feedbackloop.feedback.analyzing import analyze_stored
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight import improvements
from feedbackloop.lib.clock import clock
from feedbackloop.workflow import routing

NOW = datetime(2026, 3, 15, 4, 0, tzinfo=UTC)
SLOW = ["外卖送餐太慢了, 等了两个小时才送到, 饭菜都凉了", "送餐速度太慢, 超时一个多小时, 再也不点了",
        "配送太慢了, 骑手迟到一小时", "等了一个半小时外卖才到, 送餐实在太慢"]  # fmt: skip


@pytest.fixture
def slow_week(make_feedback, db):  # type: ignore[no-untyped-def]
    clock.freeze(NOW)
    for i, text in enumerate(SLOW):
        make_feedback(content=text, channel="meituan", received_at=NOW - timedelta(days=2, minutes=i))
    analyze_stored(db, list(db.scalars(select(Feedback.id))))
    team = accounts.create_team(db, None, "配送团队", "")
    routing.save_rule(db, {"name": "物流 → 配送", "problem_type": "物流", "team_id": team.id})
    return team


def _report(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["report", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_top_issue_without_a_plan_becomes_a_suggestion_for_its_department(slow_week):
    data = _report()
    top = data["top_issues"][0]
    suggestion = next(g for g in data["suggestions"] if g["key"] == top["key"])
    assert suggestion["department"] == "配送团队" and suggestion["count"] == 4
    assert "建议由「配送团队」制定改进计划" in suggestion["text"] and top["label"] in suggestion["text"]
    assert data["plans"] == []


def test_the_suggested_department_is_the_one_routing_would_pick(slow_week, db):
    # A rule earlier in the order that catches everything wins in routing, so it wins here too; a rule
    # that needs a keyword the theme does not carry does not.
    catch_all = accounts.create_team(db, None, "一线客服组", "")
    keyword_team = accounts.create_team(db, None, "关键词组", "")
    routing.save_rule(db, {"name": "关键词", "keyword": "骑手", "position": 1, "team_id": keyword_team.id})
    routing.save_rule(db, {"name": "兜底", "position": 2, "team_id": catch_all.id})
    suggestion = _report()["suggestions"][0]
    assert suggestion["department"] == "一线客服组"


def test_an_open_plan_takes_its_theme_out_of_the_suggestions_and_is_listed(slow_week, db):
    key = _report()["top_issues"][0]["key"]
    plan = improvements.create_plan(db, {"title": "骑手调度优化", "team_id": slow_week.id, "theme_keys": [key],
                                         "due_date": date(2026, 3, 10)})  # fmt: skip
    improvements.update_plan(db, plan.id, {"status": "in_progress"})
    data = _report()
    assert key not in [g["key"] for g in data["suggestions"]]
    [listed] = data["plans"]
    assert listed["title"] == "骑手调度优化" and listed["department"] == "配送团队" and listed["overdue"]
    assert listed["status_label"] == "进行中" and "近 30 天关联反馈 4 条" in listed["effect"]


def test_text_and_html_carry_both_sections(slow_week, db, tmp_path):
    plan = improvements.create_plan(db, {"title": "<b>包装</b>改进", "team_id": slow_week.id})
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    text = CliRunner().invoke(main, ["report"]).output
    assert "改进建议 / improvement suggestions:" in text and "建议由「配送团队」" in text
    assert "未完成的改进计划 / open improvement plans (1):" in text and "[已上线]" in text
    out = tmp_path / "r.html"
    CliRunner().invoke(main, ["report", "--format", "html", "-o", str(out)])
    html = out.read_text(encoding="utf-8")
    assert "<h2>改进建议</h2>" in html and "<h2>未完成的改进计划</h2>" in html
    assert "&lt;b&gt;包装&lt;/b&gt;改进" in html and "未关联主题" in html
