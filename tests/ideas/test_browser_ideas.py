"""Done when (issue 15), in Chromium on a phone: a customer finds an idea by a Chinese word, votes once (a
second vote is refused), and after staff ship the linked improvement plan receives the "已上线" mail and sees
the item on /changelog with the measured effect."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from idea_helpers import SLOW, new_idea, slow_delivery, status_token_of
from playwright.sync_api import expect
from sqlalchemy import update

from feedbackloop.insight.models import ImprovementPlan

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _verify(page, mailbox, email: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("[data-testid=contact]", email)
    page.click("[data-testid=send-code]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("验证码已发送到您的邮箱")
    page.fill("[data-testid=code]", mailbox.last_code(email))
    page.click("[data-testid=check-code]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("验证成功")


def test_a_customer_finds_votes_once_and_hears_it_shipped(browser, live_server, client, admin_headers, mailbox, db,
                                                         make_feedback):  # fmt: skip
    team = client.post("/api/v1/teams", json={"name": "配送团队"}, headers=admin_headers).json()
    plan = client.post("/api/v1/improvements", headers=admin_headers,
                       json={"title": "骑手调度优化", "team_id": team["id"], "theme_keys": [SLOW]}).json()  # fmt: skip
    new_idea(client, admin_headers, "支持微信支付", "结账只能用支付宝")
    idea = new_idea(client, admin_headers, "送餐速度太慢", "高峰期经常超过一小时才送到",
                    public_reply="我们优化了骑手调度，高峰期平均送达时间缩短到 28 分钟。")  # fmt: skip
    client.post(f"/api/v1/ideas/{idea['id']}/plan", json={"plan_id": plan["id"]}, headers=admin_headers)

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/ideas")
    page.fill("[data-testid=idea-search]", "送餐")
    page.keyboard.press("Enter")
    cards = page.locator("[data-testid=idea-card]")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("送餐速度太慢")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ideas-search-phone.png"), full_page=True)
    cards.first.locator(".idea-title").click()
    expect(page.locator("[data-testid=idea-title]")).to_have_text("送餐速度太慢")

    _verify(page, mailbox, "xiaoming@example.com")
    page.click("[data-testid=vote-button]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("投票成功")
    expect(page.locator("[data-testid=vote-count]")).to_have_text("1")
    expect(page.locator("[data-testid=already-voted]")).to_be_visible()
    page.screenshot(path=str(SHOTS / "idea-voted-phone.png"), full_page=True)

    # The same person on a second phone tries again with the status link of feedback they once sent: refused.
    token = status_token_of(db, make_feedback(content="外卖太慢了", contact="xiaoming@example.com"))
    other = browser.new_context(**PHONE).new_page()
    other.goto(f"{live_server}/ideas/{idea['id']}")
    other.fill("[data-testid=status-link]", f"{live_server}/s/{token}")
    other.get_by_role("button", name="用进度链接投票").click()
    expect(other.locator("[data-testid=flash]")).to_contain_text("您已为该想法投过票")
    expect(other.locator("[data-testid=vote-count]")).to_have_text("1")
    # ... and with a fresh code for the same address the page says the vote is already in.
    _verify(other, mailbox, "XiaoMing@example.com")
    expect(other.locator("[data-testid=already-voted]")).to_be_visible()
    expect(other.locator("[data-testid=vote-button]")).to_have_count(0)

    # Staff ship the plan; ten days later (as if) it is verified with fewer complaints.
    now = datetime.now(UTC)
    for n in range(4):
        slow_delivery(db, make_feedback, now - timedelta(days=12 + n), None, n)
    mailbox.messages.clear()
    assert client.patch(f"/api/v1/improvements/{plan['id']}", json={"status": "shipped"}, headers=admin_headers).status_code == 200
    mails = mailbox.to("xiaoming@example.com")
    assert len(mails) == 1 and "已上线" in str(mails[0]["Subject"])
    link = re.search(r"(http\S+/changelog#\S+)", mailbox.body(mails[0])).group(1)
    db.execute(update(ImprovementPlan).where(ImprovementPlan.id == plan["id"]).values(shipped_at=now - timedelta(days=10)))
    db.commit()
    slow_delivery(db, make_feedback, now - timedelta(days=5), None, 9)  # 4 before → 1 after
    assert client.patch(f"/api/v1/improvements/{plan['id']}", json={"status": "verified"}, headers=admin_headers).status_code == 200

    page.goto(link.replace("http://localhost:8000", live_server))
    entry = page.locator("[data-testid=changelog-entry]").first
    expect(entry).to_contain_text("送餐速度太慢")
    expect(entry).to_contain_text("高峰期平均送达时间缩短到 28 分钟")
    expect(entry.locator("[data-testid=effect]")).to_have_text("相关投诉下降 75%")
    page.screenshot(path=str(SHOTS / "changelog-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone


def test_the_staff_page_on_a_desktop(browser, live_server, client, admin_headers, mailbox):
    import os

    pending = client.post("/api/v1/public/ideas", json={"title": "希望增加积分兑换", "description": "积分能换优惠券"}).json()
    new_idea(client, admin_headers, "增加夜间模式", internal_note="下季度评估")
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{live_server}/login?next=/workflow/ideas")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/workflow/ideas$"))
    row = page.locator("[data-testid=staff-idea]", has_text="希望增加积分兑换")
    expect(row).to_contain_text("待审核")
    row.get_by_role("button", name="发布").click()
    expect(page.locator("[data-testid=flash]")).to_contain_text("想法已更新")
    expect(page.locator("[data-testid=staff-idea]", has_text="希望增加积分兑换")).to_contain_text("已发布")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ideas-staff-desktop.png"), full_page=True)
    assert client.get(f"/api/v1/public/ideas/{pending['id']}").status_code == 200
