"""Routing rules (UI/API), round robin and least loaded inside a team, claiming with exactly one winner."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from feedbackloop.db import get_sessionmaker
from feedbackloop.errors import Conflict
from feedbackloop.feedback.models import Feedback
from feedbackloop.workflow import services


def _owner(client, headers, fid):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/feedback/{fid}/workflow", headers=headers).json()


def test_rules_send_items_to_the_matching_team(
    client, staff, team, admin_headers, make_feedback, make_user, db
):
    name, _ = make_user("agent")
    from feedbackloop.accounts.models import User

    expert = db.scalar(select(User).where(User.username == name))
    db.commit()
    r = client.post(
        "/api/v1/workflow/teams",
        headers=staff["sup"][1],
        json={"name": "产品团队", "kind": "专家团队", "strategy": "least_loaded", "member_ids": [expert.id]},
    )
    assert r.status_code == 201, r.text
    product_team = r.json()
    r = client.post(
        "/api/v1/routing-rules",
        headers=staff["sup"][1],
        json={
            "name": "产品问题 → 产品团队",
            "problem_type": "产品功能",
            "team_id": product_team["id"],
            "position": 10,
        },
    )
    assert r.status_code == 201, r.text
    rules = client.get("/api/v1/routing-rules", headers=staff["a1"][1]).json()
    assert [x["name"] for x in rules] == ["产品问题 → 产品团队"]
    routed = make_feedback(content="导出按钮点了没反应", problem_type="产品功能")
    other = make_feedback(content="配送员态度不好", problem_type="服务质量")
    assert _owner(client, staff["sup"][1], routed.id)["owner_id"] == expert.id
    assert _owner(client, staff["sup"][1], routed.id)["team"] == "产品团队"
    assert _owner(client, staff["sup"][1], other.id)["team"] == "一线客服组"


def test_keyword_and_channel_rules(client, staff, team, make_feedback):
    client.post(
        "/api/v1/workflow/teams",
        headers=staff["sup"][1],
        json={"name": "客服管理层", "kind": "部门经理", "strategy": "pool"},
    )
    mgmt = next(
        t
        for t in client.get("/api/v1/workflow/teams", headers=staff["sup"][1]).json()
        if t["name"] == "客服管理层"
    )
    client.post(
        "/api/v1/routing-rules",
        headers=staff["sup"][1],
        json={"name": "天猫差评", "channel": "tmall", "keyword": "退款", "team_id": mgmt["id"]},
    )
    hit = make_feedback(content="申请退款一周没人理", channel="tmall")
    miss = make_feedback(content="申请退款一周没人理了", channel="jd")
    assert _owner(client, staff["sup"][1], hit.id)["team"] == "客服管理层"
    assert _owner(client, staff["sup"][1], hit.id)["status"] == "triaged"  # pool: waits to be claimed
    assert _owner(client, staff["sup"][1], miss.id)["team"] == "一线客服组"


def test_bad_rules_are_rejected_with_a_clear_message(client, staff, team):
    r = client.post(
        "/api/v1/routing-rules",
        headers=staff["sup"][1],
        json={"name": "x", "problem_type": "不存在", "team_id": team["id"]},
    )
    assert r.status_code == 422 and "problem_type" in r.json()["error"]["message"]
    assert (
        client.post(
            "/api/v1/routing-rules", headers=staff["a1"][1], json={"name": "x", "team_id": team["id"]}
        ).status_code
        == 403
    )


def test_round_robin_takes_turns_and_least_loaded_fills_the_emptiest(client, staff, team, make_feedback):
    a1, a2 = staff["a1"][0].id, staff["a2"][0].id
    owners = [
        _owner(client, staff["sup"][1], make_feedback(content=f"问题 {i} 描述").id)["owner_id"]
        for i in range(4)
    ]
    assert sorted(owners) == sorted([a1, a2, a1, a2]) and owners[0] != owners[1] and owners[1] != owners[2]
    client.put(
        f"/api/v1/workflow/teams/{team['id']}", headers=staff["sup"][1], json={"strategy": "least_loaded"}
    )
    r = client.post(
        f"/api/v1/feedback/{make_feedback(content='x1 问题').id}/transition",
        headers=staff["sup"][1],
        json={"to": "spam"},
    )
    assert r.status_code == 200
    # one of the two agents now has one open item fewer: the next item goes to them
    loads = {a1: 0, a2: 0}
    for row in client.get("/api/v1/feedback?status=assigned&per_page=100", headers=staff["sup"][1]).json()[
        "items"
    ]:
        loads[_owner(client, staff["sup"][1], row["id"])["owner_id"]] += 1
    emptiest = min(loads, key=lambda u: (loads[u], u))
    assert _owner(client, staff["sup"][1], make_feedback(content="新的问题描述").id)["owner_id"] == emptiest


def test_every_item_has_one_owner_and_supervisors_reassign(client, staff, team, make_feedback):
    record = make_feedback(content="账单金额不对")
    state = _owner(client, staff["sup"][1], record.id)
    other = staff["a2"][0] if state["owner_id"] == staff["a1"][0].id else staff["a1"][0]
    r = client.post(
        f"/api/v1/feedback/{record.id}/assign",
        headers=staff["sup"][1],
        json={"owner_id": other.id, "reason": "休假"},
    )
    assert r.json()["owner_id"] == other.id
    hist = client.get(f"/api/v1/feedback/{record.id}/history", headers=staff["sup"][1]).json()
    assert hist[-1]["kind"] == "assign" and hist[-1]["reason"] == "休假"


def _pool_item(make_feedback):  # type: ignore[no-untyped-def]
    # no team configured: the item waits in the pool, unowned
    record = make_feedback(content="需要人工处理的问题")
    assert record.owner_id is None and record.status == "triaged"
    return record


def test_two_agents_claiming_at_once_exactly_one_wins(staff, make_feedback):
    record = _pool_item(make_feedback)
    agents = [staff["a1"][0], staff["a2"][0]] * 4
    barrier = threading.Barrier(len(agents))
    results: list[object] = []

    def attempt(user):  # type: ignore[no-untyped-def]
        session = get_sessionmaker()()
        try:
            barrier.wait()
            services.claim(session, record.id, user)
            results.append(user.id)
        except Conflict as exc:
            results.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == len(agents) - 1
    assert "已被" in losers[0].message and losers[0].code == "already_claimed"
    with get_sessionmaker()() as s:
        assert s.scalar(select(Feedback.owner_id).where(Feedback.id == record.id)) == winners[0]


@pytest.mark.slow
def test_claim_race_over_http_on_a_real_server(live_server, staff, make_feedback):
    import httpx

    record = _pool_item(make_feedback)
    heads = [staff["a1"][1], staff["a2"][1]] * 3
    barrier = threading.Barrier(len(heads))
    codes: list[int] = []

    def attempt(h):  # type: ignore[no-untyped-def]
        barrier.wait()
        codes.append(
            httpx.post(f"{live_server}/api/v1/feedback/{record.id}/claim", headers=h, timeout=30).status_code
        )

    threads = [threading.Thread(target=attempt, args=(h,)) for h in heads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * (len(heads) - 1)


def test_only_handlers_own_items_whatever_the_team_holds(client, staff, team, make_feedback, make_user, db, admin_headers):
    """A product manager or a customer success manager in a team reads its items but is never given one:
    not by round robin, not by a supervisor's assignment (one or in bulk)."""
    from feedbackloop.accounts.models import User

    others = []
    for role in ("product_manager", "csm", "analyst"):
        name, _pw = make_user(role)
        others.append(db.scalar(select(User).where(User.username == name)))
        db.commit()
    ids = [staff["a1"][0].id, staff["a2"][0].id] + [u.id for u in others]
    r = client.put(f"/api/v1/workflow/teams/{team['id']}", headers=admin_headers, json={"member_ids": ids})
    assert r.status_code == 200, r.text
    owners = {_owner(client, staff["sup"][1], make_feedback(content=f"订单问题 {i} 需要处理").id)["owner_id"]
              for i in range(10)}  # fmt: skip
    assert owners == {staff["a1"][0].id, staff["a2"][0].id}
    members = client.get("/api/v1/workflow/teams", headers=staff["sup"][1]).json()[0]["members"]
    assert {m["id"] for m in members if m["can_own"]} == owners

    record = make_feedback(content="发票开错了")
    pm = others[0]
    r = client.post(f"/api/v1/feedback/{record.id}/assign", headers=staff["sup"][1], json={"owner_id": pm.id})
    assert r.status_code == 422 and "不能负责反馈" in r.json()["error"]["message"]
    r = client.post("/api/v1/feedback/bulk", headers=staff["sup"][1],
                    json={"ids": [record.id], "action": "assign", "owner_id": others[1].id})  # fmt: skip
    assert r.status_code in (200, 422)
    db.rollback()
    assert db.get(Feedback, record.id).owner_id in owners
