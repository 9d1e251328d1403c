"""SLA through the database: due dates from the calendar, reminders before a breach, breach → escalation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from feedbackloop.lib.clock import clock
from feedbackloop.workflow.models import HistoryEntry, Notification
from feedbackloop.workflow.tasks import run_sweep

FRIDAY_5PM_SHANGHAI = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


def _state(client, headers, fid):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/feedback/{fid}/workflow", headers=headers).json()


def test_supervisors_change_policies_and_the_48_hour_cap_holds(client, staff):
    sup = staff["sup"][1]
    policies = {p["priority"]: p for p in client.get("/api/v1/sla-policies", headers=sup).json()}
    assert (
        policies["urgent"]["first_response_minutes"] == 60
        and policies["high"]["first_response_minutes"] == 240
    )
    assert policies["normal"]["first_response_minutes"] == 24 * 60
    r = client.put("/api/v1/sla-policies/normal", headers=sup, json={"first_response_minutes": 49 * 60})
    assert r.status_code == 422
    r = client.put("/api/v1/sla-policies/normal", headers=sup, json={"first_response_minutes": 120})
    assert r.status_code == 200 and r.json()["first_response_minutes"] == 120
    assert (
        client.put(
            "/api/v1/sla-policies/normal", headers=staff["a1"][1], json={"first_response_minutes": 60}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"weekdays": [0, 1, 7]}, "0（周一）到 6（周日）"),
        ({"weekdays": [0, 0, 1]}, "不重复"),
        ({"holidays": ["1900-01-01"]}, "2000–2100"),
        ({"holidays": ["2026-10-01"], "extra_workdays": ["2026-10-01"]}, "不能同时是节假日和调休上班日"),
    ],
)
def test_an_impossible_calendar_is_refused_and_nothing_changes(client, staff, change, says):
    sup = staff["sup"][1]
    before = client.get("/api/v1/business-calendar", headers=sup).json()
    r = client.put("/api/v1/business-calendar", headers=sup, json=change)
    assert r.status_code == 422 and says in r.json()["error"]["message"], r.text
    assert client.get("/api/v1/business-calendar", headers=sup).json() == before


def test_due_dates_follow_business_hours_and_holidays(client, staff, team, make_feedback):
    sup = staff["sup"][1]
    r = client.put("/api/v1/business-calendar", headers=sup, json={"holidays": ["2026-03-09"]})
    assert r.status_code == 200 and r.json()["holidays"] == ["2026-03-09"]
    client.put("/api/v1/sla-policies/high", headers=sup, json={"first_response_minutes": 120})
    clock.freeze(FRIDAY_5PM_SHANGHAI)
    record = make_feedback(content="物流太慢了, 很不满意", rating=1)  # a complaint: high priority
    state = _state(client, sup, record.id)
    assert state["priority"] == "high"
    # 1 h on Friday, Monday is a holiday, 1 h on Tuesday → Tue 10:00 Shanghai = 02:00 UTC
    assert datetime.fromisoformat(state["first_response_due"]) == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_owner_is_reminded_before_a_breach_and_a_breach_escalates(
    client, staff, team, admin_headers, make_feedback, db, mailbox
):
    client.post(
        "/api/v1/workflow/teams",
        headers=admin_headers,
        json={"name": "专家组", "kind": "专家团队", "member_ids": [staff["sup"][0].id]},
    )
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 10:00
    record = make_feedback(content="扣款两次了, 请尽快处理", rating=1)
    state = _state(client, staff["sup"][1], record.id)
    owner, due = state["owner_id"], datetime.fromisoformat(state["first_response_due"])
    assert state["escalation_level"] == 1
    clock.freeze(due - timedelta(minutes=40))
    assert run_sweep()["reminded"] == 0
    clock.freeze(due - timedelta(minutes=20))
    assert run_sweep()["reminded"] == 1
    assert run_sweep()["reminded"] == 0  # once
    clock.freeze(due + timedelta(minutes=1))
    result = run_sweep()
    assert result["first_response_breached"] == 1
    db.rollback()
    kinds = {
        (n.user_id, n.kind)
        for n in db.scalars(select(Notification).where(Notification.feedback_id == record.id))
    }
    assert (owner, "sla_reminder") in kinds and (owner, "sla_breach") in kinds
    assert (staff["sup"][0].id, "escalation") in kinds
    history = db.scalars(
        select(HistoryEntry).where(HistoryEntry.feedback_id == record.id, HistoryEntry.kind == "escalation")
    ).all()
    assert len(history) == 1 and "专家团队" in history[0].reason
    assert run_sweep()["first_response_breached"] == 0  # a breach is counted once
    # each level's people are also told by email
    assert any(record.id in str(m["Subject"]) for m in mailbox.to("sup@corp.example"))


def test_notifications_page_lists_and_marks_read(client, staff, team, make_feedback):
    record = make_feedback(content="请帮忙查一下订单")
    owner = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()["owner_id"]
    agent = staff["a1"][0] if staff["a1"][0].id == owner else staff["a2"][0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": agent.username, "password": "password-123", "csrf_token": csrf})
    page = client.get("/workflow/notifications")
    assert page.status_code == 200 and record.id in page.text and "分配" in page.text
    assert f"新反馈 {record.id} 已分配给您" in page.text and "assigned to you" not in page.text
    english = client.get("/workflow/notifications?lang=en").text
    assert f"New item {record.id} was assigned to you" in english and "已分配给您" not in english
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/workflow/notifications/read", data={"csrf_token": csrf}).status_code == 200
    unread = client.get(
        "/api/v1/notifications?unread=true",
        headers=staff["a1"][1] if agent is staff["a1"][0] else staff["a2"][1],
    )
    assert unread.json() == []


def test_paused_and_answered_items_do_not_breach(client, staff, team, make_feedback):
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    waiting = make_feedback(content="请问怎么开发票", contact="w@example.com")
    answered = make_feedback(content="请问怎么退货", contact="r@example.com")
    sup = staff["sup"][1]
    client.post(f"/api/v1/feedback/{waiting.id}/transition", headers=sup, json={"to": "waiting_customer"})
    client.post(f"/api/v1/feedback/{answered.id}/replies", headers=sup, json={"body": "请在 App 中申请退货"})
    clock.freeze(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))  # 3 days later
    result = run_sweep()
    assert result["first_response_breached"] == 0


def test_items_show_time_left(client, staff, team, make_feedback):
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    record = make_feedback(content="APP 登录不上", rating=2)
    sla = _state(client, staff["sup"][1], record.id)["sla"]
    assert sla["state"] == "ok" and sla["target"] == "first_response"
    assert sla["seconds_left"] == 4 * 3600 and "剩余 4 小时" in sla["label"] and sla["label_en"] == "first response due in 4 h"


def test_old_reviews_imported_today_get_no_sla_clock(client, staff, team, make_feedback):
    old = make_feedback(
        content="去年的差评: 房间有异味", received_at=clock.now() - timedelta(days=400), rating=1
    )
    state = _state(client, staff["sup"][1], old.id)
    assert state["priority"] == "high" and state["first_response_due"] is None
    assert state["sla"]["state"] == "none"
