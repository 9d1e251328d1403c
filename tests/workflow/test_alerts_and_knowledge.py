"""Threshold alerts once per window; templates with placeholders; KB search; suggested replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedbackloop.lib.clock import clock
from feedbackloop.workflow.tasks import threshold_alerts


def test_a_complaint_share_over_the_threshold_alerts_the_team_once_per_window(
    client, staff, team, make_feedback
):
    sup = staff["sup"][1]
    r = client.post(
        "/api/v1/alert-rules",
        headers=sup,
        json={
            "name": "食品安全投诉",
            "keyword": "食品安全",
            "threshold_pct": 5,
            "window_hours": 24,
            "min_items": 2,
            "team_id": team["id"],
        },
    )
    assert r.status_code == 201, r.text
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    bad = [make_feedback(content=f"外卖有异味, 食品安全堪忧 {i}", rating=1) for i in range(2)]
    for i in range(20):
        make_feedback(content=f"送餐很快, 味道不错 {i}", rating=5)
    assert threshold_alerts.call_local() == 1
    events = client.get("/api/v1/alert-events", headers=sup).json()
    assert len(events) == 1 and sorted(events[0]["feedback_ids"]) == sorted(b.id for b in bad)
    assert events[0]["share_pct"] == round(100 * 2 / 22, 2)
    notes = client.get("/api/v1/notifications", headers=staff["a1"][1]).json()
    assert any(n["kind"] == "alert" and "食品安全投诉" in n["title"] for n in notes)
    make_feedback(content="食品安全问题又出现了", rating=1)
    assert threshold_alerts.call_local() == 0  # same window: no second alert
    clock.advance(timedelta(hours=25))
    assert threshold_alerts.call_local() == 0  # new window, but the old items have left it


def test_below_the_threshold_nothing_fires(client, staff, team, make_feedback):
    client.post(
        "/api/v1/alert-rules",
        headers=staff["sup"][1],
        json={
            "name": "物流",
            "problem_type": "物流",
            "threshold_pct": 50,
            "min_items": 1,
            "team_id": team["id"],
        },
    )
    make_feedback(content="快递慢", problem_type="物流", rating=1)
    make_feedback(content="很好", rating=5)
    make_feedback(content="不错", rating=5)
    assert threshold_alerts.call_local() == 0


def test_templates_fill_placeholders(client, staff, team, make_feedback):
    record = make_feedback(content="耳机左边没声音", customer_name="韩梅梅", product="降噪耳机 Pro", rating=1)
    templates = client.get("/api/v1/templates", headers=staff["a1"][1]).json()
    assert {t["kind"] for t in templates} == {"complaint", "suggestion", "praise", "neutral"}
    complaint = next(t for t in templates if t["kind"] == "complaint")
    r = client.post(
        f"/api/v1/feedback/{record.id}/render-template",
        headers=staff["a1"][1],
        json={"template_id": complaint["id"], "next_step": "顺丰上门取件检测"},
    )
    body = r.json()["body"]
    assert "韩梅梅" in body and "降噪耳机 Pro" in body and "顺丰上门取件检测" in body and record.id in body
    assert "/s/" in body and "{" not in body
    r = client.post(
        "/api/v1/templates",
        headers=staff["sup"][1],
        json={
            "name": "物流致歉",
            "kind": "complaint",
            "subject": "抱歉 {customer_name}",
            "body": "{unknown} 您好",
        },
    )
    assert r.status_code == 201
    assert (
        client.post(
            "/api/v1/templates",
            headers=staff["a1"][1],
            json={"name": "x", "kind": "praise", "subject": "s", "body": "b"},
        ).status_code
        == 403
    )


def test_knowledge_base_search_tags_and_review_date(client, staff):
    h = staff["a1"][1]
    r = client.post(
        "/api/v1/kb",
        headers=h,
        json={
            "title": "耳机单边无声",
            "problem": "蓝牙耳机一侧没有声音",
            "root_cause": "固件 1.2 配对缺陷",
            "steps": "1. 升级固件到 1.3\n2. 重新配对",
            "outcome": "98% 解决",
            "tags": ["耳机", "固件"],
            "review_date": "2026-01-01",
        },
    )
    assert r.status_code == 201, r.text
    client.post("/api/v1/kb", headers=h, json={"title": "退款流程", "problem": "如何退款", "tags": ["退款"]})
    assert [a["title"] for a in client.get("/api/v1/kb?q=固件", headers=h).json()] == ["耳机单边无声"]
    assert [a["title"] for a in client.get("/api/v1/kb?tag=退款", headers=h).json()] == ["退款流程"]
    assert [a["title"] for a in client.get("/api/v1/kb?due_review=true", headers=h).json()] == [
        "耳机单边无声"
    ]


def test_suggested_reply_uses_the_knowledge_base_and_similar_resolved_cases(
    client, staff, team, make_feedback
):
    h = staff["sup"][1]
    client.post(
        "/api/v1/kb",
        headers=h,
        json={
            "title": "蓝牙耳机一侧没有声音",
            "problem": "蓝牙耳机左边没有声音",
            "steps": "请将固件升级到 1.3 后重新配对",
        },
    )
    old = make_feedback(content="蓝牙耳机左边突然没有声音了", contact="o@example.com", rating=1)
    client.post(f"/api/v1/feedback/{old.id}/replies", headers=h, json={"body": "升级固件即可解决"})
    for to in ("in_progress", "resolved"):
        client.post(f"/api/v1/feedback/{old.id}/transition", headers=h, json={"to": to})
    new = make_feedback(content="蓝牙耳机左边没有声音", customer_name="小王", rating=1)
    s = client.get(f"/api/v1/feedback/{new.id}/suggested-reply", headers=h).json()
    assert s["kind"] == "complaint"
    assert "请将固件升级到 1.3 后重新配对" in s["body"] and "小王" in s["body"]
    assert s["knowledge"]["title"] == "蓝牙耳机一侧没有声音"
    assert s["similar_cases"][0]["id"] == old.id and "升级固件" in s["similar_cases"][0]["reply"]
