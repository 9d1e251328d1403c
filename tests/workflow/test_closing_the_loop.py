"""Closing the loop: status link, resolution mail with the satisfaction question, 不满意 reopens, follow-up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from feedbackloop.lib.clock import clock
from feedbackloop.workflow.models import Notification, Reply
from feedbackloop.workflow.tasks import run_sweep


def _resolve(client, headers, fid, why="已补发商品"):  # type: ignore[no-untyped-def]
    for to in ("in_progress", "resolved"):
        r = client.post(f"/api/v1/feedback/{fid}/transition", headers=headers, json={"to": to, "reason": why})
        assert r.status_code == 200, r.text


def _token(client, headers, fid):  # type: ignore[no-untyped-def]
    return (
        client.get(f"/api/v1/feedback/{fid}/workflow", headers=headers).json()["status_link"].split("/s/")[1]
    )


def test_the_status_page_shows_only_this_item_without_login(client, staff, team, make_feedback):
    mine = make_feedback(content="我的问题: 屏幕有坏点", contact="me@example.com", customer_name="张三")
    other = make_feedback(content="别人的秘密问题", contact="other@example.com")
    token = _token(client, staff["sup"][1], mine.id)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    assert mine.id in page.text and "已分配" in page.text
    assert other.id not in page.text and "me@example.com" not in page.text
    assert client.get("/s/not-a-real-token").status_code == 404
    assert client.get(f"/api/v1/public/status/{token}").json()["id"] == mine.id


def test_resolution_mails_the_customer_and_satisfied_closes(client, staff, team, make_feedback, mailbox):
    record = make_feedback(content="收到的商品少了一件", contact="c1@example.com")
    _resolve(client, staff["sup"][1], record.id)
    notice = mailbox.to("c1@example.com")
    assert len(notice) == 1
    body = notice[0].get_content()
    assert "已补发商品" in body and "满意" in body and "/s/" in body
    token = body.split("/s/")[1].split()[0]
    page = client.get(f"/s/{token}")
    assert 'data-testid="rate-form"' in page.text
    r = client.post(f"/s/{token}/satisfaction", data={"answer": "satisfied"}, follow_redirects=False)
    assert r.status_code == 303
    state = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()
    assert state["status"] == "closed" and state["satisfaction"] == "satisfied"
    again = client.get(f"/s/{token}").text
    assert 'data-testid="rate-form"' not in again and "您的评价: 满意" in again


def test_dissatisfied_reopens_raises_priority_and_escalates_a_vip(
    client, staff, team, make_feedback, admin_headers, db
):
    client.post(
        "/api/v1/workflow/teams",
        headers=admin_headers,
        json={"name": "专家组", "kind": "专家团队", "member_ids": [staff["sup"][0].id]},
    )
    record = make_feedback(
        content="维修后还是不能开机", contact="vip@example.com", customer_type="high_value"
    )
    before = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()
    _resolve(client, staff["sup"][1], record.id, "已更换主板")
    token = _token(client, staff["sup"][1], record.id)
    r = client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": False})
    assert r.json()["status"] == "reopened"
    after = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()
    assert after["status"] == "reopened" and after["reopen_count"] == 1
    assert after["priority_score"] > before["priority_score"]
    assert after["priority_reasons"][0]["code"] == "dissatisfied"
    assert after["escalation_level"] == before["escalation_level"] + 1
    notes = client.get("/api/v1/notifications", headers=staff["sup"][1]).json()
    assert any(n["kind"] == "escalation" and n["feedback_id"] == record.id for n in notes)


def test_rating_before_resolution_is_refused(client, staff, team, make_feedback):
    record = make_feedback(content="还在处理中")
    token = _token(client, staff["sup"][1], record.id)
    r = client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": False})
    assert r.status_code == 409 and "解决后" in r.json()["error"]["message"]


def test_a_follow_up_check_is_scheduled_after_resolution(client, staff, team, make_feedback, db, mailbox):
    record = make_feedback(content="客服答应回电但没有回", contact="f@example.com")
    owner = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()["owner_id"]
    _resolve(client, staff["sup"][1], record.id)
    assert client.post("/api/v1/workflow/sla-sweep", headers=staff["sup"][1]).json()["followups"] == 0
    clock.advance(
        timedelta(days=2, minutes=1)
    )  # (login tokens have expired by now: the periodic task runs it)
    assert run_sweep()["followups"] == 1
    db.rollback()  # a fresh snapshot: the listener wrote in another connection
    notes = db.scalars(
        select(Notification).where(Notification.user_id == owner, Notification.kind == "followup")
    ).all()
    assert len(notes) == 1 and record.id in notes[0].title
    mails = mailbox.to("f@example.com")
    assert [m["Subject"] for m in mails] == [f"[{record.id}] 您的反馈已处理完成",
                                             f"[{record.id}] 回访：问题是否已彻底解决？"]  # fmt: skip
    body = mails[1].get_content()
    assert "彻底解决" in body and "不满意" in body and "/s/" in body
    conversation = db.scalars(select(Reply).where(Reply.feedback_id == record.id).order_by(Reply.id)).all()
    assert [(r.kind, r.state) for r in conversation] == [("notice", "sent"), ("notice", "sent")]
    assert run_sweep()["followups"] == 0
    assert len(mailbox.to("f@example.com")) == 2  # one follow-up check, not one per sweep


def _state(client, headers, fid):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/feedback/{fid}/workflow", headers=headers).json()


def test_a_second_answer_for_the_same_resolution_is_refused_on_the_api(client, staff, team, make_feedback):
    record = make_feedback(content="发票开错了", contact="s2@example.com")
    _resolve(client, staff["sup"][1], record.id)
    token = _token(client, staff["sup"][1], record.id)
    assert client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": True}).status_code == 200
    closed = _state(client, staff["sup"][1], record.id)
    r = client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": False})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_answered"
    assert "已评价" in r.json()["error"]["message"]
    after = _state(client, staff["sup"][1], record.id)
    assert after["status"] == "closed" and after["satisfaction"] == "satisfied"
    assert (after["priority"], after["reopen_count"]) == (closed["priority"], closed["reopen_count"])
    assert client.get(f"/api/v1/public/status/{token}").json()["can_rate"] is False


def test_a_second_answer_on_the_status_page_shows_it_was_already_recorded(client, staff, team, make_feedback):
    record = make_feedback(content="快递员态度不好", contact="s3@example.com")
    _resolve(client, staff["sup"][1], record.id)
    token = _token(client, staff["sup"][1], record.id)
    client.post(f"/s/{token}/satisfaction", data={"answer": "satisfied"})
    page = client.post(f"/s/{token}/satisfaction", data={"answer": "dissatisfied"})
    assert page.status_code == 200 and 'data-testid="already-rated"' in page.text and "评价已记录" in page.text
    assert 'data-testid="reopened"' not in page.text
    assert _state(client, staff["sup"][1], record.id)["status"] == "closed"


def test_a_new_resolution_may_be_rated_again(client, staff, team, make_feedback):
    record = make_feedback(content="退款一直没到账", contact="s4@example.com")
    _resolve(client, staff["sup"][1], record.id)
    token = _token(client, staff["sup"][1], record.id)
    r = client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": False})
    assert r.json()["status"] == "reopened"
    clock.advance(timedelta(minutes=5))
    _resolve(client, staff["sup"][1], record.id, "已重新退款")
    assert client.get(f"/api/v1/public/status/{token}").json()["can_rate"] is True
    r = client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": True})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    again = client.post(f"/api/v1/public/status/{token}/satisfaction", json={"satisfied": False})
    assert again.status_code == 409
