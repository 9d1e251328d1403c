"""End-to-end in Debian's Chromium: a customer on a phone, an agent at a desk, and hostile input."""

from __future__ import annotations

import re

import pytest
from web_fixtures import *  # noqa: F403  (fixtures: admin_client, live_server, browser)
from web_helpers import ADMIN_PASSWORD, XSS

from feedbackloop.feedback import touchpoints

pytestmark = pytest.mark.browser


@pytest.fixture
def store(db):
    return touchpoints.create_touchpoint(db, "上海南京西路店", "store", "sh-njxl")


def phone(browser):  # type: ignore[no-untyped-def]
    return browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )


def desk_as_admin(browser, base):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/inbox")
    assert "/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inbox$"))
    return context, page


def submit_on_phone(browser, base, content):  # type: ignore[no-untyped-def]
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{base}/f/sh-njxl")
    assert page.locator("[data-testid=touchpoint]").inner_text() == "上海南京西路店"
    # The form fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#content", content)
    assert page.locator("#content-count .n").inner_text() == str(len(content))
    page.click("label.chip:has-text('服务质量')")
    page.click("label[for=rating-4]")
    page.fill("#contact", "13912345678")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/f/thanks$"))
    fid = page.locator("[data-testid=feedback-id]").inner_text()
    context.close()
    return fid


def test_phone_submission_is_found_in_the_inbox(browser, live_server, store):
    fid = submit_on_phone(browser, live_server, "南京西路店排队结账等了二十分钟, 收银台只开了一个")
    assert re.fullmatch(r"FB\d{11,}", fid)

    context, page = desk_as_admin(browser, live_server)
    page.fill("input[name=q]", "收银台只开了一个")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*q=.*"))
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    rows.first.locator("td.col-content").click()  # the whole row opens the record
    page.wait_for_url(re.compile(rf".*/feedback/{fid}$"))
    assert page.locator("h1.detail-id").inner_text() == fid
    side = page.locator(".detail-side").inner_text()
    assert "上海南京西路店" in side and "二维码" in side and "139****5678" in side
    assert "13912345678" not in page.content()
    context.close()


def test_script_in_feedback_stays_inert(browser, live_server, store):
    fid = submit_on_phone(browser, live_server, XSS + "屏幕有划痕")
    context, page = desk_as_admin(browser, live_server)
    page.goto(f"{live_server}/inbox")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__xss") == "undefined"
    row = page.locator(f"tr[data-href='/feedback/{fid}']")
    assert "<script>window.__xss=1</script>" in row.inner_text()
    assert row.locator("script, img").count() == 0
    page.goto(f"{live_server}/feedback/{fid}")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("[data-testid=content]").inner_text() == XSS + "屏幕有划痕"
    assert page.locator("[data-testid=content] img").count() == 0
    context.close()


def test_import_page_shows_progress_then_the_rejected_lines(browser, live_server, db, tmp_path):
    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text("评论内容,昵称\n房间很干净,小王\n,小李\n早餐不错,老张\n", encoding="utf-8")
    context, page = desk_as_admin(browser, live_server)
    page.goto(f"{live_server}/import")
    page.set_input_files("input[type=file]", str(csv_file))
    page.select_option("select[name=channel]", "meituan")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result:not([hidden])")
    assert page.locator("[data-k=total_rows]").inner_text() == "3"
    assert page.locator("[data-k=created]").inner_text() == "2"
    assert page.locator("[data-k=rejected]").inner_text() == "1"
    rejected = page.locator("#import-rejected tbody tr")
    assert rejected.count() == 1 and rejected.first.locator("td").first.inner_text() == "3"
    context.close()


def test_import_page_follows_a_background_job(browser, live_server, db, tmp_path, monkeypatch):
    import_jobs = pytest.importorskip("feedbackloop.feedback.import_jobs")
    # Any file counts as large: the API answers 202 with a job, which the page follows to its report.
    monkeypatch.setattr(import_jobs, "BACKGROUND_BYTES", 10)
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("评论内容\n物流很快\n包装破损\n\n", encoding="utf-8")
    context, page = desk_as_admin(browser, live_server)
    page.goto(f"{live_server}/import")
    page.set_input_files("input[type=file]", str(csv_file))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/imports")) as answer:
        page.click("#import-form button[type=submit]")
    assert answer.value.status == 202
    page.wait_for_selector("#import-result:not([hidden])")
    assert page.locator("[data-k=created]").inner_text() == "2"
    context.close()
