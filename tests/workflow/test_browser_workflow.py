"""The workflow in a real browser: an agent works an item with a template, a supervisor adds a rule,
and a customer answers 不满意 on the status page."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"]


def _signed_in(browser, base, username="admin", password=ADMIN_PASSWORD):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def test_an_agent_moves_the_item_and_replies_from_a_template(
    browser, live_server, staff, team, make_feedback, mailbox
):
    record = make_feedback(
        content="洗衣机漏水, 地板都泡了",
        contact="wash@example.com",
        customer_name="陈女士",
        product="滚筒洗衣机 X9",
        rating=1,
    )
    context, page = _signed_in(browser, live_server)
    page.goto(f"{live_server}/workflow/items/{record.id}")
    panel = page.locator("#wf-actions")
    expect(panel.locator("[data-wf=status_label]")).to_have_text("已分配")
    assert (
        "投诉" in panel.locator("[data-wf=reasons]").inner_text()
        or panel.locator("[data-wf=priority_label]").inner_text() == "高"
    )
    panel.locator("[data-wf=reason]").fill("上门检修")
    panel.locator("button[data-to=in_progress]").click()
    expect(panel.locator("[data-wf=status_label]")).to_have_text("处理中")
    expect(panel.locator("[data-wf=template] option")).to_have_count(5)
    panel.locator("[data-wf=template]").select_option(label="投诉回复")
    expect(panel.locator("[data-wf=body]")).to_have_value(re.compile("陈女士"))
    assert "滚筒洗衣机 X9" in panel.locator("[data-wf=body]").input_value()
    panel.locator("button[data-wf-action=reply]").click()
    expect(panel.locator("[data-wf=replies]")).to_contain_text("已发送")
    assert len(mailbox.to("wash@example.com")) == 1
    history = panel.locator("[data-wf=history]").inner_text()
    assert "上门检修" in history
    # Times read as on the server-rendered pages (2024-03-01 09:30), whatever the browser's locale.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d · ", history, re.MULTILINE), history
    bad = panel.locator("[data-wf=error]")
    panel.locator("button[data-to=waiting_customer]").wait_for()
    assert bad.is_hidden()
    context.close()


def test_a_supervisor_adds_a_routing_rule_in_the_admin_page(browser, live_server, staff, team):
    context, page = _signed_in(browser, live_server)
    page.goto(f"{live_server}/workflow/admin")
    form = page.locator("[data-testid=rule-form]")
    expect(form.locator("select[name=team_id] option")).to_have_count(1)
    form.locator("input[name=name]").fill("物流 → 一线")
    form.locator("select[name=problem_type]").select_option("物流")
    form.locator("input[name=keyword]").fill("快递")
    form.locator("button[type=submit]").click()
    expect(page.locator('tbody[data-list="/api/v1/routing-rules"]')).to_contain_text("物流 → 一线")
    sla_form = page.locator("[data-testid=sla-normal]")
    sla_form.locator("input[name=first_response_minutes]").fill("480")
    sla_form.locator("button[type=submit]").click()
    expect(sla_form).to_have_class(re.compile("saved"))
    page.reload()
    assert page.locator("[data-testid=sla-normal] input[name=first_response_minutes]").input_value() == "480"
    context.close()


def test_a_customer_answers_dissatisfied_and_the_item_reopens(
    browser, live_server, client, staff, team, make_feedback, mailbox
):
    record = make_feedback(content="退款一直没到账", contact="refund@example.com")
    sup = staff["sup"][1]
    for to in ("in_progress", "resolved"):
        client.post(
            f"/api/v1/feedback/{record.id}/transition", headers=sup, json={"to": to, "reason": "已原路退款"}
        )
    link = re.search(r"http\S+/s/\S+", mailbox.to("refund@example.com")[0].get_content()).group(0)
    token = link.rsplit("/s/", 1)[1]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/s/{token}")
    assert page.locator("[data-testid=status-label]").inner_text() == "已解决"
    page.click("button[value=dissatisfied]")
    page.wait_for_selector("[data-testid=reopened]")
    assert page.locator("[data-testid=status-label]").inner_text() == "已重开"
    state = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=sup).json()
    assert state["status"] == "reopened" and state["satisfaction"] == "dissatisfied"
    context.close()
