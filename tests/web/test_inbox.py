"""The inbox: the list, its filters, Chinese substring search and paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from web_fixtures import *  # noqa: F403  (fixtures: admin_client, live_server, browser)

from feedbackloop.feedback.models import Feedback


def ids_on(html: str) -> set[str]:
    return set(re.findall(r'href="/feedback/(FB\d+)" class="mono"', html))


def test_inbox_lists_records_with_count_and_masked_contact(admin_client, make_feedback):
    a = make_feedback(content="酒店前台服务态度很差", customer_name="王先生", contact="13812345678")
    b = make_feedback(content="物流太慢了, 等了一周", contact="zhang@example.com")
    html = admin_client.get("/inbox").text
    assert ids_on(html) == {a.id, b.id}
    assert "共 2 条" in html
    assert "138****5678" in html and "z***@example.com" in html
    assert "13812345678" not in html and "zhang@example.com" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=前台服务", {"hotel"}),
        ("q=一周", {"slow"}),
        ("channel=email", {"slow"}),
        ("problem_type=物流", {"slow"}),
        ("customer_type=high_value", {"hotel"}),
        ("sentiment=negative", {"hotel"}),
        ("urgency=紧急", {"hotel"}),
        ("status=resolved", {"slow"}),
        ("q=不存在的内容", set()),
    ],
)
def test_filters_narrow_the_list(admin_client, make_feedback, db, query, expected):
    records = {
        "hotel": make_feedback(content="酒店前台服务态度很差", customer_type="high_value"),
        "slow": make_feedback(content="物流太慢了, 等了一周", channel="email", problem_type="物流"),
    }
    db.execute(
        update(Feedback)
        .where(Feedback.id == records["hotel"].id)
        .values(sentiment="negative", urgency="紧急")
    )
    # Set every field the filters look at, whatever intake (analysis, routing) filled in.
    db.execute(
        update(Feedback)
        .where(Feedback.id == records["slow"].id)
        .values(status="resolved", sentiment="positive", urgency="建议")
    )
    db.execute(update(Feedback).where(Feedback.id == records["hotel"].id).values(status="new"))
    db.commit()
    html = admin_client.get(f"/inbox?{query}").text
    assert ids_on(html) == {records[k].id for k in expected}


def test_date_range_uses_china_dates(admin_client, make_feedback):
    # 2024-03-01 17:00 UTC is already 2024-03-02 01:00 in Shanghai.
    late = make_feedback(content="晚上下的单", received_at=datetime(2024, 3, 1, 17, 0, tzinfo=UTC))
    early = make_feedback(content="早上下的单", received_at=datetime(2024, 3, 1, 1, 0, tzinfo=UTC))
    assert ids_on(admin_client.get("/inbox?from=2024-03-02&to=2024-03-02").text) == {late.id}
    assert ids_on(admin_client.get("/inbox?from=2024-03-01&to=2024-03-01").text) == {early.id}


def test_bad_date_is_reported_not_crashing(admin_client, make_feedback):
    make_feedback()
    r = admin_client.get("/inbox?from=yesterday")
    assert r.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in r.text


def test_paging_keeps_filters(admin_client, make_feedback):
    for n in range(25):
        make_feedback(content=f"第{n}号房间空调坏了, 请尽快修理")
    first = admin_client.get("/inbox?q=空调&per_page=20").text
    assert len(ids_on(first)) == 20 and "第 1 / 2 页" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "q=" in next_link and "per_page=20" in next_link
    second = admin_client.get(next_link).text
    assert len(ids_on(second)) == 5
    assert not ids_on(first) & ids_on(second)


def test_flags_duplicate_and_vague(admin_client, make_feedback):
    original = make_feedback(content="房间的空调一直漏水, 晚上根本睡不着觉")
    make_feedback(content="房间的空调一直漏水, 晚上根本睡不着觉", channel="email")
    make_feedback(content="不好用")
    html = admin_client.get("/inbox").text
    assert f"与 {original.id} 重复" in html
    assert "内容模糊" in html


def test_empty_inbox_says_so(admin_client):
    assert "没有符合条件的反馈" in admin_client.get("/inbox?q=什么都没有").text


def test_search_term_is_highlighted_and_still_escaped(admin_client, make_feedback):
    make_feedback(content="<b>前面很长的一段铺垫文字" * 5 + "空调漏水</b>")
    html = admin_client.get("/inbox?q=空调漏水").text
    assert "<mark>空调漏水</mark>" in html
    assert "&lt;b&gt;" in html and "<b>前面" not in html


def test_html_in_the_search_term_is_escaped(admin_client, make_feedback):
    make_feedback(content="价格<i>太贵</i>了")
    html = admin_client.get("/inbox", params={"q": "<i>太贵"}).text
    assert "<mark>&lt;i&gt;太贵</mark>" in html


def test_times_are_shown_in_china_time(admin_client, make_feedback):
    f = make_feedback(content="凌晨下单", received_at=datetime(2024, 3, 1, 17, 5, tzinfo=UTC))
    assert "03-02 01:05" in admin_client.get("/inbox").text
    assert "2024-03-02 01:05" in admin_client.get(f"/feedback/{f.id}").text



def test_the_inbox_counts_up_to_its_limit_and_still_pages_on(admin_client, make_feedback, monkeypatch):
    from feedbackloop.feedback import services

    monkeypatch.setattr(services, "COUNT_LIMIT", 3)
    for n in range(21):
        make_feedback(content=f"第{n}条: 空调太吵")
    first = admin_client.get("/inbox?q=空调&per_page=20").text
    assert "共 20+ 条" in first and "第 1 / 2+ 页" in first and 'rel="next"' in first
    assert len(ids_on(first)) == 20
    second = admin_client.get("/inbox?q=空调&per_page=20&page=2").text  # counted as far as this page: exact
    assert "共 21 条" in second and len(ids_on(second)) == 1 and 'rel="next"' not in second
    small = admin_client.get("/inbox?q=空调&status=closed").text
    assert "共 0 条" in small
