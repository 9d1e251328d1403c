"""Improvement plans in a real browser: a plan is created against a current theme, shipped, and its effect
review shows the drop in linked feedback with a before/after chart."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from improvement_helpers import analysed
from playwright.sync_api import expect
from sqlalchemy import update

from feedbackloop.insight.models import ImprovementPlan

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"]


def test_a_plan_is_created_shipped_and_reviewed(browser, live_server, client, admin_headers, db, make_feedback):
    r = client.post("/api/v1/workflow/teams", headers=admin_headers, json={"name": "配送团队", "kind": "其他"})
    assert r.status_code == 201, r.text
    now = datetime.now(UTC)
    shipped = now - timedelta(days=10)
    for i in range(10):
        analysed(db, make_feedback, shipped - timedelta(days=i, hours=12))
    for i in range(3):
        analysed(db, make_feedback, now - timedelta(days=3 * i + 1))

    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login?next=/workflow/improvements")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/workflow/improvements$"))
    expect(page.locator("nav")).to_contain_text("改进计划")

    form = page.locator("[data-testid=create-form]")
    form.locator("input[name=title]").fill("高峰期骑手调度优化")
    form.locator("select[name=team_id]").select_option(label="配送团队")
    form.locator("select[name=problem_type]").select_option("物流")
    form.locator("input[name=due_date]").fill("2026-12-31")
    form.locator("textarea[name=measures]").fill("午晚高峰增加骑手, 超 40 分钟自动补偿")
    form.locator("label", has_text="送餐速度慢 (13)").locator("input").check()
    form.locator("button[type=submit]").click()

    detail = page.locator("[data-testid=plan-detail]")
    expect(detail).to_contain_text("计划中")
    expect(page.locator("[data-testid=effect-summary]")).to_contain_text("尚未上线; 近 30 天关联反馈 13 条")
    detail.locator("button[data-to=shipped]").click()
    expect(detail.locator(".card-title")).to_contain_text("已上线")

    db.execute(update(ImprovementPlan).values(shipped_at=shipped))  # as if it shipped ten days ago
    db.commit()
    page.reload()
    expect(page.locator("[data-testid=effect]")).to_contain_text("−70%")
    expect(page.locator("[data-testid=effect-summary]")).to_contain_text("关联反馈 10 → 3 条")
    expect(page.locator("[data-testid=effect-chart] rect")).to_have_count(20)
    expect(page.locator("[data-testid=plans]")).to_contain_text("配送团队")
    if os.environ.get("FL_SCREENSHOT"):
        page.screenshot(path=os.environ["FL_SCREENSHOT"], full_page=True)
    context.close()
