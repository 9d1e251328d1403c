"""The dashboard's data endpoints: real counts, shared filters, and a drill-down link on every chart element
that opens the inbox on exactly the items behind it (the counts match)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from starlette.datastructures import QueryParams

from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.web.filters import InboxQuery

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in China
TEXTS = [
    ("送餐太慢了, 等了两个小时, 饭都凉了", "meituan", 1),
    ("外卖送餐速度太慢, 超时一个多小时", "meituan", 2),
    ("配送太慢了, 骑手迟到一小时, 差评", "meituan", 3),
    ("酒店有24小时送餐服务, 房间也很干净", "dianping", 4),
    ("房间很干净, 服务很好, 下次还来", "dianping", 5),
    ("早餐很差, 品种太少", "dianping", 9),
    ("物流太慢了, 一个星期才到", "jd", 12),
    ("手机屏幕有坏点, 质量太差", "jd", 20),
    ("价格太贵了, 不值这个价", "tmall", 25),
    ("东西不错, 物流很快, 好评", "tmall", 40),
]
ENDPOINTS = ["volume", "volume?granularity=week", "channels", "problem-types", "aspects", "keywords", "mentions",
             "sla", "backlog", "themes", "summary"]  # fmt: skip


@pytest.fixture
def data(db, make_feedback):  # type: ignore[no-untyped-def]
    clock.freeze(NOW)
    for n, (text, channel, days_ago) in enumerate(TEXTS):
        make_feedback(content=text, channel=channel, product="外卖" if channel == "meituan" else None,
                      received_at=NOW - timedelta(days=days_ago, minutes=n))  # fmt: skip
    ids = sorted(db.scalars(select(Feedback.id)))
    db.execute(update(Feedback).where(Feedback.id.in_(ids[:3])).values(first_response_breached_at=NOW,
                                                                       first_response_due=NOW - timedelta(hours=1)))
    db.execute(update(Feedback).where(Feedback.id == ids[4]).values(status="resolved"))
    db.commit()
    return ids


def _inbox_count(db, href: str) -> int:  # type: ignore[no-untyped-def]
    parts = urlsplit(href)
    assert parts.path == "/inbox"
    return services.search(db, InboxQuery.parse(QueryParams(parts.query)).filters, 1, 1)[1]


def _elements(node):  # type: ignore[no-untyped-def]
    """(count, href) of every chart element in a response, wherever it sits."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("href") and value:
                count_key = {"href": "count", "met_href": "met", "breached_href": "breached",
                             "negative_href": "negative"}[key]  # fmt: skip
                yield node.get(count_key, node.get("total")), value
            else:
                yield from _elements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _elements(value)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_chart_element_links_to_exactly_its_items(client, db, data, admin_headers, endpoint):
    sep = "&" if "?" in endpoint else "?"
    r = client.get(f"/api/v1/dashboard/{endpoint}{sep}from=2026-10-01&to=2026-11-30", headers=admin_headers)
    assert r.status_code == 200, r.text
    elements = [(c, h) for c, h in _elements(r.json()) if isinstance(c, int)]
    assert elements, "no chart element with a count and a link"
    assert any(c > 0 for c, _ in elements)
    for count, href in elements:
        assert _inbox_count(db, href) == count, href


def test_the_figures_are_the_items(client, data, admin_headers):
    q = "from=2026-10-01&to=2026-11-30"
    channels = client.get(f"/api/v1/dashboard/channels?{q}", headers=admin_headers).json()
    assert {i["key"]: i["count"] for i in channels["items"]} == {"meituan": 3, "dianping": 3, "jd": 2, "tmall": 2}
    assert channels["total"] == 10
    heat = client.get(f"/api/v1/dashboard/aspects?{q}", headers=admin_headers).json()
    cell = next(c for c in heat["cells"] if c["aspect"] == "送餐速度" and c["sentiment"] == "negative")
    assert cell["count"] >= 3
    sla = client.get(f"/api/v1/dashboard/sla?{q}", headers=admin_headers).json()
    assert sla["breached"] == 3
    summary = client.get(f"/api/v1/dashboard/summary?{q}", headers=admin_headers).json()
    assert summary["total"] == 10 and summary["open"] == 9
    # An open item whose deadlines lie ahead has no outcome yet: only resolved items can have met their SLA.
    assert sla["met"] <= summary["total"] - summary["open"]


def test_filters_are_shared_by_every_chart_and_kept_in_the_links(client, db, data, admin_headers):
    q = "from=2026-10-01&to=2026-11-30&channel=meituan"
    channels = client.get(f"/api/v1/dashboard/channels?{q}", headers=admin_headers).json()
    assert [i["key"] for i in channels["items"]] == ["meituan"]
    volume = client.get(f"/api/v1/dashboard/volume?{q}", headers=admin_headers).json()
    assert sum(b["total"] for b in volume["buckets"]) == 3
    assert all("channel=meituan" in b["href"] for b in volume["buckets"])
    product = client.get("/api/v1/dashboard/keywords?from=2026-10-01&to=2026-11-30&product=外卖",
                         headers=admin_headers).json()  # fmt: skip
    for item in product["items"]:
        assert _inbox_count(db, item["href"]) == item["count"]


def test_the_default_range_is_the_last_30_days(client, data, admin_headers):
    r = client.get("/api/v1/dashboard/summary", headers=admin_headers).json()
    assert (r["from"], r["to"]) == ("2026-11-01", "2026-11-30")
    assert r["total"] == 9  # the item 40 days old is outside


@pytest.mark.parametrize("query", ["from=2026-13-01", "channel=fax", "from=2026-11-30&to=2026-11-01",
                                   "from=2020-01-01&to=2026-01-01", "granularity=hour",
                                   "from=9999-12-30&to=9999-12-31"])  # fmt: skip
def test_bad_filters_get_a_422_saying_what_to_fix(client, data, admin_headers, query):
    r = client.get(f"/api/v1/dashboard/volume?{query}", headers=admin_headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"]


def test_top_issues_quote_items_that_carry_the_complaint(client, data, admin_headers):
    themes = client.get("/api/v1/dashboard/themes?from=2026-10-01&to=2026-11-30", headers=admin_headers).json()
    slow = next(t for t in themes["top"] if t["key"] == "aspect:送餐速度:negative")
    assert slow["quotes"], slow
    assert all("24小时送餐服务" not in q for q in slow["quotes"])
    assert any("太慢" in q for q in slow["quotes"])


def test_a_theme_that_jumps_this_week_is_emerging(client, db, make_feedback, admin_headers):
    clock.freeze(NOW)
    for n in range(6):  # quiet weeks before: a little praise
        make_feedback(content=f"味道很好, 下次还点 {n}", channel="meituan", received_at=NOW - timedelta(days=10 + 5 * n))
    for n in range(4):
        make_feedback(content=f"吃了以后拉肚子, 食物不新鲜 {n}", channel="meituan",
                      received_at=NOW - timedelta(days=1, hours=n))  # fmt: skip
    themes = client.get("/api/v1/dashboard/themes?from=2026-11-24&to=2026-11-30", headers=admin_headers).json()
    assert themes["emerging"], themes["top"]
    assert all(t["count"] >= 2 for t in themes["emerging"])


def test_the_page_keeps_the_filters_in_its_tabs_and_links_and_says_what_is_wrong(client, data):
    from insight_helpers import login

    login(client)
    page = client.get("/dashboard?view=business&from=2026-10-01&to=2026-11-30&channel=meituan")
    assert page.status_code == 200
    assert 'data-api-query="from=2026-10-01&amp;to=2026-11-30&amp;channel=meituan"' in page.text
    assert "/dashboard?from=2026-10-01&amp;to=2026-11-30&amp;channel=meituan&amp;view=tech" in page.text
    assert 'src="/static/vendor/echarts/echarts.min.js"' in page.text and "<script>" not in page.text
    assert 'data-chart="aspects"' in page.text and 'data-list="churn"' in page.text
    bad = client.get("/dashboard?from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 200 and "早于开始日期" in bad.text
    english = client.get("/dashboard?view=tech&lang=en")
    assert "Product and module mentions" in english.text and "产品与模块提及" not in english.text
    assert client.get("/static/vendor/echarts/LICENSE").status_code == 200


def test_the_product_and_module_an_item_came_with_count_as_mentions(client, db, data, admin_headers, make_feedback):
    """A form or an API client names the product and module; the text need not repeat them (issue 13)."""
    record = make_feedback(content="付款的时候一直转圈, 付不了款", channel="api", product="会员App", module="支付",
                           received_at=NOW - timedelta(days=1))  # fmt: skip
    assert record.analysis is not None
    r = client.get("/api/v1/dashboard/mentions?from=2026-10-01&to=2026-11-30", headers=admin_headers)
    items = {i["name"]: i for i in r.json()["items"]}
    assert items["会员App"]["count"] == 1 and items["支付"]["count"] == 1
    assert items["外卖"]["count"] == 3  # the meituan items' declared product, though not every text names it
    for name in ("会员App", "支付", "外卖"):
        assert _inbox_count(db, items[name]["href"]) == items[name]["count"]


def test_the_dashboard_sla_is_the_kpi_sla_with_late_and_duplicate_items(client, data, db, admin_headers):
    """One definition (feedback.services.sla_parts): an item resolved after its deadline between two sweeps (no
    breach flag) is breached on the dashboard too, and a duplicate counts in neither; the inbox lists the same."""
    db.rollback()
    late = db.get(Feedback, data[5])
    late.first_response_due, late.first_responded_at = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    late.status, late.resolved_at = "resolved", NOW
    dup = db.get(Feedback, data[6])
    dup.duplicate_of, dup.first_response_due, dup.first_response_breached_at = data[0], NOW - timedelta(hours=1), NOW
    db.commit()
    q = "from=2026-10-01&to=2026-11-30"
    sla = client.get(f"/api/v1/dashboard/sla?{q}", headers=admin_headers).json()
    kpi = client.get(f"/api/v1/kpis?{q}", headers=admin_headers).json()["kpis"]["sla_compliance"]
    assert sla["met"] + sla["breached"] == kpi["n"] and sla["breached"] == kpi["missed"] == 4, (sla, kpi)
    summary = client.get(f"/api/v1/dashboard/summary?{q}", headers=admin_headers).json()
    assert abs(summary["sla_compliance"] - kpi["value"]) < 0.05
    assert sum(_inbox_count(db, d["breached_href"]) for d in sla["days"] if d["breached"]) == sla["breached"]
    assert sum(_inbox_count(db, d["met_href"]) for d in sla["days"] if d["met"]) == sla["met"] == 1
