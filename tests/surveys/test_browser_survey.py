"""In Chromium: a resolved item sends an NPS survey, the customer answers it on a phone (390×844), one
question per screen, and the KPI page shows the new NPS."""

from __future__ import annotations

import os
import re

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from feedbackloop.feedback.models import Feedback
from feedbackloop.surveys.models import SurveyInvitation

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"]
SHOTS = os.environ.get("FEEDBACKLOOP_SCREENSHOTS")  # a folder: keep the screens to look at


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _resolved_with_nps_survey(base: str) -> str:
    api = httpx.Client(base_url=base)
    token = api.post("/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    followups = [{"key": "fcr", "kind": "yes_no", "text_zh": "问题一次就解决了吗?", "text_en": "Solved first time?"}]
    assert api.post("/api/v1/surveys", json={"name": "解决后推荐度", "kind": "nps", "on_resolve": True,
                                             "followups": followups}).status_code == 201  # fmt: skip
    target = api.put("/api/v1/kpis/targets/nps", json={"target": 30, "direction": "higher"})
    assert target.status_code == 200
    fid = api.post("/api/v1/feedback", json={"content": "耳机左边没有声音", "contact": "li@example.com"}).json()["id"]
    for to in ("assigned", "resolved"):
        assert api.post(f"/api/v1/feedback/{fid}/transition", json={"to": to}).status_code == 200
    return fid


def test_a_customer_answers_nps_on_a_phone_and_the_kpi_page_shows_it(browser, live_server, db, mailbox):
    fid = _resolved_with_nps_survey(live_server)
    db.commit()
    status_token = db.get(Feedback, fid).status_token
    invitation = db.scalar(select(SurveyInvitation).where(SurveyInvitation.feedback_id == fid))
    assert invitation is not None and any(invitation.token in m.get_content() for m in mailbox.to("li@example.com"))

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{live_server}/s/{status_token}")
    page.get_by_test_id("survey-link").click()
    page.wait_for_url(re.compile(rf".*/survey/{invitation.token}$"))
    progress = page.get_by_test_id("progress")
    expect(progress).to_have_attribute("aria-valuenow", "1")
    expect(page.locator(".sv-step[data-step='2']")).to_be_hidden()  # one question per screen
    _shot(page, "survey-phone-1")
    page.locator(".sv-opt", has_text=re.compile(r"^9$")).click()
    expect(progress).to_have_attribute("aria-valuenow", "2")  # a tap on a score moves on
    page.locator(".sv-opt", has_text="是").click()
    page.locator(".sv-next").click()
    expect(progress).to_have_attribute("aria-valuenow", "3")
    page.fill("#comment", "客服回复很快")
    _shot(page, "survey-phone-3")
    page.get_by_test_id("survey-submit").click()
    expect(page.get_by_test_id("survey-done")).to_contain_text("感谢您的评价", timeout=30_000)  # a loaded CI machine
    _shot(page, "survey-phone-done")
    page.goto(f"{live_server}/survey/{invitation.token}")
    expect(page.get_by_test_id("survey-done")).to_contain_text("您已完成这份调查", timeout=30_000)
    phone.close()

    desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    staff = desk.new_page()
    staff.goto(f"{live_server}/login?next=/kpis")
    staff.fill("input[name=username]", "admin")
    staff.fill("input[name=password]", ADMIN_PASSWORD)
    staff.click("button[type=submit]")
    staff.wait_for_url(re.compile(r".*/kpis$"))
    tile = staff.get_by_test_id("kpi-nps")
    expect(tile).to_have_attribute("data-value", "100.0")
    expect(tile).to_contain_text("+100.0")
    expect(tile).to_contain_text("n = 1")
    expect(tile).to_contain_text("≥ +30.0")
    expect(tile).to_have_class(re.compile("good"))
    _shot(staff, "kpi-page")
    desk.close()


def test_the_survey_works_with_the_keyboard_alone(browser, live_server, db, mailbox):
    fid = _resolved_with_nps_survey(live_server)
    db.commit()
    token = db.scalar(select(SurveyInvitation.token).where(SurveyInvitation.feedback_id == fid))
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/survey/{token}")
    page.locator(".sv-next").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".sv-hint")).to_contain_text("请先选择一个分数")  # no score yet: stays on the question
    page.locator("input[name=score][value='7']").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("progress")).to_have_attribute("aria-valuenow", "2")
    page.keyboard.press("Enter")
    page.fill("#comment", "")
    page.get_by_test_id("survey-submit").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("survey-done")).to_contain_text("感谢您的评价", timeout=30_000)  # a loaded CI machine
    context.close()
