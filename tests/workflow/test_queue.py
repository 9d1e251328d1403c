"""The work queue: views 我的 / 未分配 / 即将超时 / 已超时, sort by priority and SLA due (inbox and API), bulk
actions (one audit entry per item, all or nothing), assignment to a person or a team, saved views."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from feedbackloop.audit.models import AuditEntry
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.models import HistoryEntry


def _ids(r) -> list[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def _pool_team(client, admin_headers, staff):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/workflow/teams", headers=admin_headers, json={
        "name": "公共池", "kind": "一线客服", "strategy": "pool", "is_default": True,
        "member_ids": [staff["a1"][0].id, staff["a2"][0].id]})
    assert r.status_code == 201, r.text
    return r.json()


def test_sort_by_sla_lists_the_handled_items_after_every_open_one(client, staff, admin_headers, make_feedback, db):
    """In the 全部 view a resolved or closed item still has its (past) due times: the SLA no longer runs, so it
    sorts after the open items, not before them."""
    _pool_team(client, admin_headers, staff)
    start = clock.now()
    clock.freeze(start - timedelta(days=3))
    old = make_feedback(content="快递太慢了, 三天还没到")
    clock.freeze(start)
    fresh = make_feedback(content="希望增加夜间模式")
    db.rollback()
    closed = db.get(Feedback, old.id)
    assert closed is not None and closed.resolution_due is not None
    closed.status = "closed"
    db.commit()
    by_sla = _ids(client.get("/api/v1/feedback?sort=sla", headers=admin_headers))
    assert by_sla.index(fresh.id) < by_sla.index(old.id), by_sla


def test_views_and_sorting_in_the_api(client, staff, admin_headers, make_feedback, db):
    _pool_team(client, admin_headers, staff)
    start = clock.now()
    clock.freeze(start)
    urgent = make_feedback(content="吃了你们的外卖拉肚子了, 我要投诉到市场监管局")
    normal = make_feedback(content="希望增加夜间模式")
    mine = make_feedback(content="快递太慢了, 三天还没到")
    a1 = staff["a1"]
    assert client.post(f"/api/v1/feedback/{mine.id}/claim", headers=a1[1]).status_code == 200

    assert _ids(client.get("/api/v1/feedback?view=mine", headers=a1[1])) == [mine.id]
    assert set(_ids(client.get("/api/v1/feedback?view=unassigned", headers=a1[1]))) == {urgent.id, normal.id}
    by_prio = _ids(client.get("/api/v1/feedback?sort=priority", headers=a1[1]))
    assert by_prio[0] == urgent.id and by_prio[-1] == normal.id
    db.rollback()
    dues = {f.id: f.first_response_due for f in db.scalars(select(Feedback))}
    by_sla = _ids(client.get("/api/v1/feedback?sort=sla", headers=a1[1]))
    assert sorted(by_sla) == sorted(dues) and [dues[i] for i in by_sla] == sorted(dues.values())
    assert by_sla[0] == urgent.id  # urgent: 1 h to the first response
    assert _ids(client.get("/api/v1/feedback?sort=newest", headers=a1[1]))[0] == mine.id
    bad = client.get("/api/v1/feedback?sort=owner", headers=a1[1])
    assert bad.status_code == 422 and "sla" in bad.text

    # 即将超时: the urgent item's first response is due within 2 hours; later it is 已超时
    assert _ids(client.get("/api/v1/feedback?view=due_soon", headers=a1[1])) == [urgent.id]
    assert _ids(client.get("/api/v1/feedback?view=breached", headers=a1[1])) == []
    clock.freeze(start + timedelta(hours=2))
    assert urgent.id in _ids(client.get("/api/v1/feedback?view=breached", headers=a1[1]))
    assert urgent.id not in _ids(client.get("/api/v1/feedback?view=due_soon", headers=a1[1]))


def _audit_count(db, fid: str, action: str = "feedback.update") -> int:  # type: ignore[no-untyped-def]
    db.rollback()
    return len(list(db.scalars(select(AuditEntry).where(AuditEntry.entity_id == fid, AuditEntry.action == action))))


def test_bulk_assign_to_a_colleague_writes_one_audit_entry_per_item(client, staff, admin_headers, make_feedback, db):
    _pool_team(client, admin_headers, staff)
    items = [make_feedback(content=f"第 {n} 单外卖送错了") for n in range(4)]
    ids = [i.id for i in items[:3]]
    before = {fid: _audit_count(db, fid) for fid in ids}
    colleague = staff["a2"][0]
    r = client.post("/api/v1/feedback/bulk", headers=staff["a1"][1],
                    json={"ids": ids, "action": "assign", "owner_id": colleague.id})
    assert r.status_code == 200, r.text
    assert r.json()["changed"] == ids
    db.rollback()
    for fid in ids:
        item = db.get(Feedback, fid)
        assert item.owner_id == colleague.id and item.status == "assigned"
        assert _audit_count(db, fid) == before[fid] + 1
        entry = db.scalars(select(AuditEntry).where(AuditEntry.entity_id == fid).order_by(AuditEntry.seq.desc())).first()
        assert entry.after["owner_id"] == colleague.id and entry.actor == staff["a1"][0].username
        assert db.scalar(select(HistoryEntry).where(HistoryEntry.feedback_id == fid, HistoryEntry.kind == "assign"))
    assert db.get(Feedback, items[3].id).owner_id is None


def test_a_bulk_action_with_one_bad_item_changes_nothing(client, staff, admin_headers, make_feedback, db):
    _pool_team(client, admin_headers, staff)
    a, b = make_feedback(content="快递太慢"), make_feedback(content="房间太吵")
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": [a.id, "FB20990101999"], "action": "tag", "tag": "加急"})
    assert r.status_code == 404 and "FB20990101999" in r.text
    # b cannot be resolved straight from 已分诊: the whole batch is refused with the item named
    assert client.post(f"/api/v1/feedback/{a.id}/claim", headers=staff["a1"][1]).status_code == 200
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": [a.id, b.id], "action": "status", "to": "resolved"})
    assert r.status_code == 409 and b.id in r.text
    db.rollback()
    assert db.get(Feedback, a.id).status == "assigned" and not db.get(Feedback, a.id).tags
    # an agent cannot hand over a colleague's item
    r = client.post("/api/v1/feedback/bulk", headers=staff["a2"][1],
                    json={"ids": [a.id], "action": "assign", "owner_id": staff["a2"][0].id})
    assert r.status_code == 403
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1], json={"ids": [a.id], "action": "assign"})
    assert r.status_code == 422 and "owner_id" in r.text


def test_bulk_team_assignment_uses_the_teams_strategy_and_the_other_actions(client, staff, admin_headers, make_feedback, db):
    _pool_team(client, admin_headers, staff)
    rr = client.post("/api/v1/workflow/teams", headers=admin_headers, json={
        "name": "物流组", "kind": "专家团队", "strategy": "round_robin",
        "member_ids": [staff["a1"][0].id, staff["a2"][0].id]}).json()
    items = [make_feedback(content=f"快递第 {n} 天还没到") for n in range(4)]
    ids = [i.id for i in items]
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": ids, "action": "assign_team", "team_id": rr["id"]})
    assert r.status_code == 200, r.text
    db.rollback()
    owners = [db.get(Feedback, fid).owner_id for fid in ids]
    assert {db.get(Feedback, fid).team_id for fid in ids} == {rr["id"]}
    assert sorted(owners) == sorted([staff["a1"][0].id, staff["a2"][0].id] * 2)  # round robin: two each

    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": ids[1:3], "action": "merge", "merged_into": ids[0]})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": ids, "action": "tag", "tag": "物流延误"})
    assert r.status_code == 200 and len(r.json()["changed"]) == 4
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": [ids[0], ids[3]], "action": "status", "to": "in_progress"})
    assert r.status_code == 200, r.text
    db.rollback()
    got = {fid: db.get(Feedback, fid) for fid in ids}
    assert got[ids[1]].status == "merged" and got[ids[1]].duplicate_of == ids[0]
    assert all(g.tags == ["物流延误"] for g in got.values())
    assert got[ids[0]].status == got[ids[3]].status == "in_progress"
    # one assign to a team through the single-item route too
    single = make_feedback(content="骑手态度很差")
    r = client.post(f"/api/v1/feedback/{single.id}/assign", headers=staff["sup"][1], json={"team_id": rr["id"]})
    assert r.status_code == 200 and r.json()["team"] == "物流组" and r.json()["owner_id"]
    both = client.post(f"/api/v1/feedback/{single.id}/assign", headers=staff["sup"][1],
                       json={"team_id": rr["id"], "owner_id": staff["a1"][0].id})
    assert both.status_code == 422


def test_saved_views_and_the_queue_columns_in_the_inbox(client, staff, admin_headers, make_feedback, make_user, db):
    _pool_team(client, admin_headers, staff)
    clock.freeze(clock.now())
    record = make_feedback(content="吃了你们的外卖拉肚子了")
    a1, a2 = staff["a1"], staff["a2"]
    client.post(f"/api/v1/feedback/{record.id}/assign", headers=staff["sup"][1], json={"owner_id": a1[0].id})
    r = client.post("/api/v1/saved-views", headers=a1[1], json={"name": "紧急的", "query": "view=mine&sort=sla&page=3&x=1"})
    assert r.status_code == 201 and r.json()["query"] == "view=mine&sort=sla"
    assert [v["name"] for v in client.get("/api/v1/saved-views", headers=a1[1]).json()] == ["紧急的"]
    assert client.get("/api/v1/saved-views", headers=a2[1]).json() == []  # views are per user
    assert client.delete(f"/api/v1/saved-views/{r.json()['id']}", headers=a2[1]).status_code == 404

    name = a1[0].username
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    assert client.post("/login", data={"username": name, "password": "password-123", "csrf_token": token},
                       follow_redirects=False).status_code in (302, 303)
    page = client.get("/inbox?view=mine&sort=sla")
    assert page.status_code == 200
    assert record.id in page.text and "紧急的" in page.text
    row = page.text[page.text.index(f'data-id="{record.id}"'):]
    row = row[: row.index("</tr>")]
    assert (a1[0].display_name or name) in row and "紧急" in row
    assert re.search(r"\d+ 分|\d+ 小时", row), row  # SLA left in human units
    en = client.get("/inbox?view=mine&lang=en")
    assert "Mine" in en.text and "SLA left" in en.text and re.search(r"\d+ (min|h)", en.text)
