"""Improvement plans (SPEC §6): life cycle, effect review before/after shipping, and the REST API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from improvement_helpers import FAST, SLOW, T0, analysed
from sqlalchemy import select

from feedbackloop.accounts import services as accounts
from feedbackloop.audit.models import AuditEntry
from feedbackloop.errors import Conflict, ValidationFailed
from feedbackloop.insight import improvements
from feedbackloop.lib.clock import clock


@pytest.fixture
def product_team(db):  # type: ignore[no-untyped-def]
    team = accounts.create_team(db, None, "产品团队", "")
    db.commit()
    return team


def _plan(db, team, keys=(SLOW,), **extra):  # type: ignore[no-untyped-def]
    fields = {"title": "骑手调度优化", "team_id": team.id, "theme_keys": list(keys), **extra}
    return improvements.create_plan(db, fields)


# --- Life cycle -----------------------------------------------------------------------------------------------


def test_a_new_plan_is_planned_and_ships_with_a_timestamp(db, product_team):
    clock.freeze(T0)
    plan = _plan(db, product_team)
    assert plan.status == "planned" and plan.shipped_at is None
    improvements.update_plan(db, plan.id, {"status": "in_progress"})
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    assert plan.status == "shipped" and plan.shipped_at == T0
    improvements.update_plan(db, plan.id, {"status": "verified"})
    assert plan.status_label == "已验证"


@pytest.mark.parametrize(("path", "to"), [(["cancelled"], "shipped"), (["shipped", "verified"], "planned"),
                                          (["in_progress"], "planned")])  # fmt: skip
def test_it_refuses_moves_that_make_no_sense(db, product_team, path, to):
    plan = _plan(db, product_team)
    for step in path:
        improvements.update_plan(db, plan.id, {"status": step})
    with pytest.raises(Conflict) as err:
        improvements.update_plan(db, plan.id, {"status": to})
    assert "可改为" in err.value.message and err.value.details["allowed"] == list(
        improvements.PLAN_TRANSITIONS[path[-1]]
    )


def test_back_to_work_clears_the_shipping_date(db, product_team):
    plan = _plan(db, product_team)
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    improvements.update_plan(db, plan.id, {"status": "in_progress"})
    assert plan.shipped_at is None


def test_it_rejects_an_unknown_department(db, product_team):
    with pytest.raises(ValidationFailed, match="负责部门"):
        _plan(db, product_team, team_id=999_999)


def test_overdue_only_while_unfinished(db, product_team):
    clock.freeze(T0)
    plan = _plan(db, product_team, due_date=date(2026, 2, 20))
    assert improvements.is_overdue(plan)
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    assert not improvements.is_overdue(plan)


# --- Effect review --------------------------------------------------------------------------------------------


def test_the_review_compares_linked_volume_and_negative_share_around_shipping(db, make_feedback, product_team):
    clock.freeze(T0)
    plan = _plan(db, product_team, keys=(SLOW, FAST))
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    for i in range(10):  # ten complaints in the ten days before
        analysed(db, make_feedback, T0 - timedelta(days=i, hours=1))
    for i in range(2):  # after: two complaints and one compliment
        analysed(db, make_feedback, T0 + timedelta(days=i + 1))
    analysed(db, make_feedback, T0 + timedelta(days=3), polarity="positive", text="送餐很快")
    analysed(db, make_feedback, T0 + timedelta(days=4), aspect="卫生", problem_type="服务质量")  # not linked
    analysed(db, make_feedback, T0 - timedelta(days=40))  # outside both windows
    clock.freeze(T0 + timedelta(days=10, hours=5))
    r = improvements.review(db, plan)
    assert (r.days, r.before.linked, r.after.linked) == (10, 10, 3)
    assert improvements.percent(r.volume_change) == "−70%"
    assert r.negative_change == pytest.approx(2 / 3 - 1)
    assert (r.before.total, r.after.total) == (10, 4)
    assert "−70%" in r.summary and "负面占比 −33.3 个百分点" in r.summary
    assert sum(d["count"] for d in r.daily) == 13 and len(r.daily) == 20


def test_the_window_is_thirty_days_at_most(db, make_feedback, product_team):
    clock.freeze(T0)
    plan = _plan(db, product_team)
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    analysed(db, make_feedback, T0 - timedelta(days=31))
    clock.freeze(T0 + timedelta(days=90))
    r = improvements.review(db, plan)
    assert r.days == 30 and r.before.linked == 0


def test_no_baseline_is_said_not_divided_by(db, make_feedback, product_team):
    clock.freeze(T0)
    plan = _plan(db, product_team)
    improvements.update_plan(db, plan.id, {"status": "shipped"})
    analysed(db, make_feedback, T0 + timedelta(hours=2))
    clock.freeze(T0 + timedelta(hours=6))
    r = improvements.review(db, plan)
    assert r.volume_change is None and improvements.percent(r.volume_change) == "无基线"
    assert r.days == 1 and r.partial and "无基线" in r.summary and "不足 1 天" in r.summary


def test_before_shipping_only_the_baseline_is_shown(db, make_feedback, product_team):
    clock.freeze(T0)
    for i in range(3):
        analysed(db, make_feedback, T0 - timedelta(days=i + 1))
    r = improvements.review(db, _plan(db, product_team))
    assert r.stage == "baseline" and r.after is None and r.before.linked == 3
    assert r.summary.startswith("尚未上线") and "3 条" in r.summary


# --- REST API -------------------------------------------------------------------------------------------------


@pytest.fixture
def pm_headers(client, make_user):  # type: ignore[no-untyped-def]
    from auth_helpers import token_for

    name, pw = make_user("product_manager")
    return token_for(client, name, pw)


def test_a_product_manager_creates_lists_and_ships_a_plan(client, pm_headers, product_team, db):
    body = {"title": "骑手调度优化", "team_id": product_team.id, "problem_type": "物流",
            "due_date": "2026-04-01", "measures": "高峰期增加骑手", "theme_keys": [SLOW]}  # fmt: skip
    r = client.post("/api/v1/improvements", headers=pm_headers, json=body)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["status"] == "planned" and plan["team"] == "产品团队"
    assert plan["themes"] == [{"key": SLOW, "label": "送餐速度慢"}] and plan["effect"]["stage"] == "baseline"
    r = client.patch(f"/api/v1/improvements/{plan['id']}", headers=pm_headers, json={"status": "shipped"})
    assert r.status_code == 200 and r.json()["shipped_at"] and r.json()["effect"]["stage"] == "review"
    listed = client.get("/api/v1/improvements?status=shipped", headers=pm_headers).json()
    assert [p["id"] for p in listed] == [plan["id"]]
    assert client.get("/api/v1/improvements?status=planned", headers=pm_headers).json() == []
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "wf_improvement_plans").order_by(AuditEntry.seq)).all()
    assert actions == ["wf_improvement_plans.create", "wf_improvement_plans.update"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": ""}, "title"), ({"theme_keys": ["送餐慢"]}, "theme_keys"),
     ({"problem_type": "天气"}, "problem_type"), ({"title": "x" * 201}, "title")],
)  # fmt: skip
def test_it_rejects_bad_fields_with_a_message(client, pm_headers, product_team, body, field):
    r = client.post("/api/v1/improvements", headers=pm_headers,
                    json={"title": "t", "team_id": product_team.id, **body})  # fmt: skip
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["message"].startswith("请求数据有误") and error["details"][0]["field"].startswith(field)


def test_an_unknown_team_is_a_422_that_says_what_to_do(client, pm_headers):
    r = client.post("/api/v1/improvements", headers=pm_headers, json={"title": "t", "team_id": 4242})
    assert r.status_code == 422 and "请先在管理页创建团队" in r.json()["error"]["message"]


def test_a_wrong_move_is_a_409_with_the_allowed_ones(client, pm_headers, product_team):
    plan = client.post("/api/v1/improvements", headers=pm_headers,
                       json={"title": "t", "team_id": product_team.id}).json()  # fmt: skip
    r = client.patch(f"/api/v1/improvements/{plan['id']}", headers=pm_headers, json={"status": "verified"})
    assert r.status_code == 409 and r.json()["error"]["details"]["allowed"] == ["in_progress", "shipped", "cancelled"]


def test_an_agent_reads_but_cannot_create(client, make_user, product_team):
    from auth_helpers import token_for

    name, pw = make_user("agent")
    headers = token_for(client, name, pw)
    assert client.get("/api/v1/improvements", headers=headers).status_code == 200
    r = client.post("/api/v1/improvements", headers=headers, json={"title": "t", "team_id": product_team.id})
    assert r.status_code == 403


def test_a_missing_plan_is_404(client, admin_headers):
    r = client.get("/api/v1/improvements/999999", headers=admin_headers)
    assert r.status_code == 404 and "改进计划 999999 不存在" in r.json()["error"]["message"]
