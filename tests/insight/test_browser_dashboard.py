"""The dashboard in Chromium: the charts render (a canvas with pixels drawn), clicking a pie slice and a heat
map cell opens the inbox on exactly the items behind them, and the counts match."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"]
ITEMS = [("送餐太慢了, 等了两个小时", "meituan")] * 5 + [("房间很干净, 服务很好", "dianping")] * 3 + [
    ("物流太慢了, 一个星期才到", "jd")] * 2  # fmt: skip

DRAWN_PIXELS = """node => { const c = node.querySelector('canvas'); if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""
PIE_SLICE = """node => { const chart = echarts.getInstanceByDom(node);
  const data = chart.getModel().getSeriesByIndex(0).getData(); const l = data.getItemLayout(0);
  const a = (l.startAngle + l.endAngle) / 2, r = (l.r0 + l.r) / 2;
  return {x: l.cx + r * Math.cos(a), y: l.cy + r * Math.sin(a), value: data.get('value', 0), name: data.getName(0)}; }"""
HEAT_CELL = """(node, aspect) => { const chart = echarts.getInstanceByDom(node);
  const opt = chart.getOption(); const y = opt.yAxis[0].data.indexOf(aspect);
  const cell = opt.series[0].data.find(c => c.value[0] === 0 && c.value[1] === y);
  const [px, py] = chart.convertToPixel({seriesIndex: 0}, [0, y]); return {x: px, y: py, value: cell.value[2]}; }"""


INBOX_MEITUAN = re.compile(r".*/inbox\?.*channel=meituan")


# ECharts animates a pie from its start angle: a click during the animation lands on a later slice.
STILL = """node => { const chart = echarts.getInstanceByDom(node); if (!chart) return false;
  return !chart.getZr().storage.getDisplayList(true).some(el => el.animators && el.animators.length > 0); }"""


def _wait_still(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(f"() => ({STILL})(document.querySelector('{selector}'))", timeout=30_000)


def _inbox_total(page) -> int:  # type: ignore[no-untyped-def]
    text = page.locator("[data-testid=total]").inner_text()
    return int(re.sub(r"\D", "", text))


def test_charts_render_and_a_click_opens_exactly_their_items(browser, live_server, db, make_feedback):
    now = datetime.now(UTC)
    for n, (text, channel) in enumerate(ITEMS):
        make_feedback(content=text, channel=channel, received_at=now - timedelta(days=n % 4, minutes=n))
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/login?next=/dashboard?view=business")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#dashboard[data-ready='1']", timeout=30_000)

    pie = page.locator("[data-testid=chart-channels]")
    expect(pie.locator("canvas")).to_have_count(1)
    assert pie.evaluate(DRAWN_PIXELS) > 2000, "the channel pie drew nothing"
    assert page.locator("[data-testid=chart-aspects]").evaluate(DRAWN_PIXELS) > 2000
    # The alert banner arrives with its own request and pushes the charts down: measure once all have landed.
    page.wait_for_load_state("networkidle")
    for attempt in range(3):  # the layout may still move (banner, fonts): measure again before each click
        _wait_still(page, "[data-testid=chart-channels]")
        slice_ = pie.evaluate(PIE_SLICE)
        assert slice_["value"] == 5 and slice_["name"] == "美团"
        box = pie.bounding_box()
        assert box
        page.mouse.click(box["x"] + slice_["x"], box["y"] + slice_["y"])
        try:  # "commit": the navigation has started; a loaded machine may take long to finish the inbox page
            page.wait_for_url(INBOX_MEITUAN, wait_until="commit", timeout=10_000)
            break
        except PlaywrightTimeout:
            if INBOX_MEITUAN.match(page.url):
                break
            assert attempt < 2, f"clicking the 美团 slice never opened the inbox: {page.url}"
    page.wait_for_selector("[data-testid=total]", timeout=30_000)
    assert _inbox_total(page) == 5

    page.go_back()
    page.wait_for_selector("#dashboard[data-ready='1']", timeout=30_000)
    heat = page.locator("[data-testid=chart-aspects]")
    page.wait_for_load_state("networkidle")
    _wait_still(page, "[data-testid=chart-aspects]")
    cell = heat.evaluate(HEAT_CELL, "送餐速度")
    assert cell["value"] >= 5  # the five delivery complaints, and the analysis may file 物流太慢 there too
    box = heat.bounding_box()
    assert box
    page.mouse.click(box["x"] + cell["x"], box["y"] + cell["y"])
    page.wait_for_url(re.compile(r".*/inbox\?.*aspect="))
    assert "aspect_sentiment=negative" in page.url
    assert _inbox_total(page) == cell["value"]
    expect(page.locator("[data-testid=chip-aspect]")).to_contain_text("送餐速度")

    page.goto(f"{live_server}/dashboard?view=exec")
    page.wait_for_selector("#dashboard[data-ready='1']", timeout=30_000)
    assert page.locator("[data-testid=chart-volume]").evaluate(DRAWN_PIXELS) > 2000
    expect(page.locator("[data-testid=tiles]")).to_contain_text("10")
    assert not errors, errors
    context.close()


def test_figures_refresh_and_a_fired_alert_shows_without_a_reload(browser, live_server, db, make_feedback):
    from feedbackloop.accounts.models import Team
    from feedbackloop.db import begin_write
    from feedbackloop.workflow.models import AlertEvent, AlertRule

    now = datetime.now(UTC)
    ids = [make_feedback(content=text, channel=channel, received_at=now - timedelta(hours=n)).id
           for n, (text, channel) in enumerate(ITEMS)]  # fmt: skip
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login?next=/dashboard?view=exec%26refresh=5")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#dashboard[data-ready='1']", timeout=30_000)
    tiles = page.locator("[data-testid=tiles] .dash-tile-value").first
    expect(tiles).to_have_text("10")
    # (these items are all new, so their themes show as emerging already; no threshold alert yet)
    expect(page.locator("[data-testid=alerts]")).not_to_contain_text("物流投诉激增")

    make_feedback(content="物流太慢了, 等了十天", channel="jd", received_at=now)
    begin_write(db)
    team = Team(name="物流组")
    db.add(team)
    db.flush()
    rule = AlertRule(name="物流投诉激增", problem_type="物流", team_id=team.id, threshold_pct=5.0)
    db.add(rule)
    db.flush()
    db.add(AlertEvent(rule_id=rule.id, window_start=now - timedelta(hours=24), window_end=now, matched=3, total=11,
                      share_pct=27.3, feedback_ids=ids[-2:], created_at=now))  # fmt: skip
    db.commit()

    expect(tiles).to_have_text("11", timeout=15_000)  # the next poll, no reload
    banner = page.locator("[data-testid=alerts]")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("物流投诉激增")
    expect(banner).to_have_class(re.compile(r"is-new"))
    banner.locator("a", has_text="物流投诉激增").click()
    page.wait_for_url(re.compile(r".*/inbox\?ids="))
    assert _inbox_total(page) == 2
    context.close()
