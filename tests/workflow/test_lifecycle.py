"""The status life cycle through the API: allowed moves, a clear 409 otherwise, and history with who/when/why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedbackloop.lib.clock import clock


def _move(client, headers, fid, to, reason=None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/feedback/{fid}/transition", headers=headers, json={"to": to, "reason": reason}
    )


def test_new_feedback_is_triaged_prioritised_and_routed_on_intake(client, staff, team, make_feedback):
    record = make_feedback(content="快递三天都没到, 客服也不回消息, 非常失望", contact="kh@example.com")
    r = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1])
    state = r.json()
    assert state["status"] == "assigned"
    assert state["owner_id"] in (staff["a1"][0].id, staff["a2"][0].id)
    assert state["team"] == "一线客服组"
    assert state["priority"] and state["priority_reasons"]
    assert state["sla"]["state"] == "ok" and state["first_response_due"]
    assert state["status_link"] and "/s/" in state["status_link"]


def test_an_agent_works_an_item_from_new_to_closed_with_history(client, staff, team, make_feedback):
    record = make_feedback(content="希望增加夜间模式", contact="kh@example.com")
    owner = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()["owner_id"]
    agent = staff["a1"] if staff["a1"][0].id == owner else staff["a2"]
    for to, why in [
        ("in_progress", "开始处理"),
        ("waiting_customer", "询问手机型号"),
        ("in_progress", "客户已回复"),
        ("resolved", "已在 3.2 版本上线夜间模式"),
        ("closed", "回访确认"),
    ]:
        r = _move(client, agent[1], record.id, to, why)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == to
    hist = client.get(f"/api/v1/feedback/{record.id}/history", headers=agent[1]).json()
    moves = [
        (h["from_status"], h["to_status"], h["actor"], h["reason"]) for h in hist if h["kind"] == "status"
    ]
    assert moves[0][:2] == ("new", "assigned")
    assert moves[-1] == ("resolved", "closed", agent[0].username, "回访确认")
    assert all(h["at"] for h in hist)


def test_a_forbidden_move_is_a_409_naming_the_allowed_next_states(client, staff, team, make_feedback):
    record = make_feedback(content="门店服务态度很好")
    r = _move(client, staff["sup"][1], record.id, "closed")
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "invalid_transition"
    assert set(err["details"]["allowed"]) == {
        "in_progress",
        "waiting_customer",
        "resolved",
        "triaged",
        "merged",
        "spam",
    }
    assert "允许的下一状态" in err["message"] and "in_progress" in err["message"]


def test_an_agent_cannot_move_another_agents_item(client, staff, team, make_feedback):
    record = make_feedback(content="包装破损")
    owner = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()["owner_id"]
    other = staff["a2"] if staff["a1"][0].id == owner else staff["a1"]
    assert _move(client, other[1], record.id, "in_progress").status_code == 403


def test_merge_as_duplicate_links_the_original(client, staff, team, make_feedback):
    first = make_feedback(content="APP 闪退, 打开就崩溃")
    second = make_feedback(content="应用一打开就闪退了")
    r = client.post(
        f"/api/v1/feedback/{second.id}/transition",
        headers=staff["sup"][1],
        json={"to": "merged", "merged_into": first.id, "reason": "同一问题"},
    )
    assert r.status_code == 200
    item = client.get(f"/api/v1/feedback/{second.id}", headers=staff["sup"][1]).json()
    assert item["status"] == "merged" and item["duplicate_of"] == first.id


def test_waiting_on_the_customer_pauses_the_sla_clock(client, staff, team, make_feedback):
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    record = make_feedback(content="发票开错了, 请帮忙重开", contact="c@example.com")
    sup = staff["sup"][1]
    before = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=sup).json()
    assert before["priority"] == "normal"
    due = datetime.fromisoformat(before["resolution_due"])
    _move(client, sup, record.id, "waiting_customer", "等客户提供订单号")
    clock.advance(timedelta(days=1))  # a full working day passes while paused
    paused = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=sup).json()
    assert paused["sla"]["state"] == "paused"
    _move(client, sup, record.id, "in_progress", "客户已提供")
    after = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=sup).json()
    assert datetime.fromisoformat(after["resolution_due"]) - due == timedelta(days=1)  # 9 working hours later
    assert after["sla"]["state"] == "ok"


def test_reopening_restarts_the_resolution_clock(client, staff, team, make_feedback):
    record = make_feedback(content="退款还没到账")
    sup = staff["sup"][1]
    for to in ("in_progress", "resolved", "reopened"):
        assert _move(client, sup, record.id, to, "x").status_code == 200
    state = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=sup).json()
    assert state["reopen_count"] == 1 and state["resolved_at"] is None
    assert "reopened" not in state["allowed_next"] and "resolved" in state["allowed_next"]
