"""Staff: feedback and themes become ideas, duplicates merge with their votes, ideas over the threshold
enter the product manager's queue and feed the plan's priority; every change is audited."""

from __future__ import annotations

import pytest
from idea_helpers import headers_for, new_idea, verified_token
from sqlalchemy import select, update

from feedbackloop.audit.models import AuditEntry
from feedbackloop.config import get_settings
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas.models import IdeaTask, Vote
from feedbackloop.workflow.models import Notification


def _vote(client, mailbox, idea_id: int, who: str) -> int:  # type: ignore[no-untyped-def]
    token = verified_token(client, mailbox, f"{who}@example.com")
    r = client.post(f"/api/v1/public/ideas/{idea_id}/votes", json={"voter_token": token})
    assert r.status_code == 201, r.text
    return int(r.json()["votes"])


def test_merging_a_duplicate_moves_its_votes_once_per_person(client, admin_headers, mailbox, db):
    keep = new_idea(client, admin_headers, "增加夜间模式")
    copy = new_idea(client, admin_headers, "希望有深色模式")
    for who in ("a", "b"):
        _vote(client, mailbox, keep["id"], who)
    for who in ("b", "c", "d"):  # b voted for both
        _vote(client, mailbox, copy["id"], who)
    r = client.post(f"/api/v1/ideas/{copy['id']}/merge", json={"into_id": keep["id"]}, headers=admin_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["votes"] == 4 and body["votes_moved"] == 2
    assert body["source"]["status"] == "duplicate" and body["source"]["merged_into_id"] == keep["id"]
    db.rollback()
    assert db.scalars(select(Vote).where(Vote.idea_id == copy["id"])).all() == []
    public = client.get(f"/api/v1/public/ideas/{copy['id']}").json()
    assert public["status_label"] == "重复" and public["merged_into"]["id"] == keep["id"]
    # The duplicate is off the board's list; a customer who voted for the copy cannot vote again on the target.
    titles = [i["title"] for i in client.get("/api/v1/public/ideas").json()["items"]]
    assert titles == ["增加夜间模式"]
    token = verified_token(client, mailbox, "c@example.com")
    assert client.post(f"/api/v1/public/ideas/{keep['id']}/votes", json={"voter_token": token}).status_code == 409
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.action == "idea.merge")) == "idea.merge"


def test_a_merge_into_itself_or_into_a_merged_idea_is_refused(client, admin_headers):
    a, b, c = (new_idea(client, admin_headers, t) for t in ("想法一号啊", "想法二号啊", "想法三号啊"))
    assert client.post(f"/api/v1/ideas/{a['id']}/merge", json={"into_id": a["id"]}, headers=admin_headers).status_code == 422
    client.post(f"/api/v1/ideas/{b['id']}/merge", json={"into_id": c["id"]}, headers=admin_headers)
    r = client.post(f"/api/v1/ideas/{a['id']}/merge", json={"into_id": b["id"]}, headers=admin_headers)
    assert r.status_code == 409


def test_feedback_items_become_an_idea_linked_to_them(client, admin_headers, make_feedback):
    items = [make_feedback(content=f"晚上屏幕太亮了 {n}") for n in range(3)]
    r = client.post("/api/v1/ideas/from-feedback", headers=admin_headers,
                    json={"feedback_ids": [i.id for i in items], "title": "增加夜间模式"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["linked_feedback"] == 3 and r.json()["source"] == "feedback"
    bad = client.post("/api/v1/ideas/from-feedback", headers=admin_headers,
                      json={"feedback_ids": ["FB19990101001"], "title": "不存在的反馈"})  # fmt: skip
    assert bad.status_code == 422 and "FB19990101001" in bad.json()["error"]["message"]
    assert len(client.get("/api/v1/ideas", headers=admin_headers).json()) == 1  # nothing half-written


def test_a_theme_becomes_an_idea_with_its_recent_feedback(client, admin_headers, make_feedback, db):
    slow = {"sentiment": {"label": "negative"}, "aspects": [{"aspect": "送餐速度", "sentiment": "negative"}],
            "problem_type": "物流", "urgency": "一般", "urgency_reasons": []}  # fmt: skip
    ids = [make_feedback(content=f"送餐太慢了等了{n}小时").id for n in range(2, 5)]
    other = make_feedback(content="味道不错")
    db.execute(update(Feedback).where(Feedback.id.in_(ids)).values(analysis=slow, duplicate_of=None))
    db.execute(update(Feedback).where(Feedback.id == other.id).values(analysis={"sentiment": {"label": "positive"}}))
    db.commit()
    r = client.post("/api/v1/ideas/from-theme", json={"theme_key": "aspect:送餐速度:negative"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert r.json()["linked_feedback"] == 3 and r.json()["theme_key"] == "aspect:送餐速度:negative"
    assert "送餐" in r.json()["title"]


def test_over_the_threshold_an_idea_becomes_a_product_manager_task(client, admin_headers, mailbox, db, make_user,
                                                                    monkeypatch):  # fmt: skip
    monkeypatch.setattr(get_settings(), "idea_vote_threshold", 3)
    make_user("product_manager")
    idea = new_idea(client, admin_headers, "支持微信支付")
    for who in ("p1", "p2"):
        _vote(client, mailbox, idea["id"], who)
    assert client.get("/api/v1/ideas/queue", headers=admin_headers).json() == []
    _vote(client, mailbox, idea["id"], "p3")
    queue = client.get("/api/v1/ideas/queue", headers=admin_headers).json()
    assert [row["idea_id"] for row in queue] == [idea["id"]]
    assert queue[0]["votes"] == 3 and queue[0]["priority"]["frequency"] == 3
    db.rollback()
    task = db.scalars(select(IdeaTask)).one()
    pm = db.scalar(select(Notification).where(Notification.kind == "idea_queue"))
    assert pm is not None and pm.user_id == task.assignee_id
    _vote(client, mailbox, idea["id"], "p4")  # more votes: still one task
    db.rollback()
    assert len(db.scalars(select(IdeaTask)).all()) == 1


def test_an_idea_already_over_a_lowered_threshold_is_queued_by_the_hourly_sweep(client, admin_headers, mailbox, db,
                                                                                make_user, monkeypatch):  # fmt: skip
    from feedbackloop.ideas import tasks

    make_user("product_manager")
    idea = new_idea(client, admin_headers, "支持数字人民币")
    for who in ("q1", "q2"):
        _vote(client, mailbox, idea["id"], who)
    db.rollback()
    assert db.scalars(select(IdeaTask)).all() == []
    monkeypatch.setattr(get_settings(), "idea_vote_threshold", 2)  # lowered after the votes came in
    assert tasks.refresh_plan_priorities.call_local()["queued"] == 1
    assert tasks.refresh_plan_priorities.call_local()["queued"] == 0  # once
    db.rollback()
    assert [t.idea_id for t in db.scalars(select(IdeaTask))] == [idea["id"]]


def test_a_plan_made_from_the_idea_completes_the_task(client, admin_headers, mailbox, monkeypatch, db):
    monkeypatch.setattr(get_settings(), "idea_vote_threshold", 1)
    team = client.post("/api/v1/teams", json={"name": "产品团队"}, headers=admin_headers).json()
    idea = new_idea(client, admin_headers, "支持微信支付", theme_key="problem_type:价格")
    _vote(client, mailbox, idea["id"], "x")
    r = client.post(f"/api/v1/ideas/{idea['id']}/plan", headers=admin_headers,
                    json={"plan": {"title": "接入微信支付", "team_id": team["id"]}})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "planned" and r.json()["plan_id"]
    plan = client.get(f"/api/v1/improvements/{r.json()['plan_id']}", headers=admin_headers).json()
    assert [t["key"] for t in plan["themes"]] == ["problem_type:价格"]
    assert client.get("/api/v1/ideas/queue", headers=admin_headers).json() == []
    done = client.get("/api/v1/ideas/queue", params={"include_done": True}, headers=admin_headers).json()
    assert done[0]["plan_id"] == r.json()["plan_id"] and done[0]["status"] == "done"


def test_the_queue_orders_by_impact_times_frequency(client, admin_headers, mailbox, make_feedback, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "idea_vote_threshold", 1)
    quiet = new_idea(client, admin_headers, "调整字体大小")
    loud = new_idea(client, admin_headers, "修复闪退问题")
    for who in ("q1", "q2"):
        _vote(client, mailbox, quiet["id"], who)
    _vote(client, mailbox, loud["id"], "l1")
    crashes = [make_feedback(content=f"一打开就闪退 {n}") for n in range(2)]
    db.execute(update(Feedback).where(Feedback.id.in_([c.id for c in crashes])).values(sentiment="negative", urgency="紧急"))
    db.commit()
    client.post(f"/api/v1/ideas/{loud['id']}/feedback", json={"feedback_ids": [c.id for c in crashes]}, headers=admin_headers)
    queue = client.get("/api/v1/ideas/queue", headers=admin_headers).json()
    assert [row["idea_id"] for row in queue] == [loud["id"], quiet["id"]]
    assert queue[0]["priority"]["score"] == 9.0  # (1 vote + 2 items) × (1 + 100% negative + urgent)
    assert "紧急反馈 2 条" in queue[0]["priority"]["reasons"]


@pytest.mark.parametrize("role", ["agent", "analyst", "csm"])
def test_only_planners_change_ideas(client, make_user, role, admin_headers):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    headers = headers_for(client, *make_user(role))
    assert client.get("/api/v1/ideas", headers=headers).status_code == 200
    assert client.put(f"/api/v1/ideas/{idea['id']}", json={"status": "planned"}, headers=headers).status_code == 403


def test_staff_edits_are_audited(client, admin_headers, db):
    idea = new_idea(client, admin_headers, "增加夜间模式")
    assert idea["created_by_id"] is not None  # the signed-in staff member, kept for staff only
    client.put(f"/api/v1/ideas/{idea['id']}", json={"internal_note": "下季度评估"}, headers=admin_headers)
    db.rollback()
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "idea_ideas")).all()
    assert "idea_ideas.create" in actions and "idea_ideas.update" in actions
