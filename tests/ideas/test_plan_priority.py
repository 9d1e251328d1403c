"""The improvement plan's priority (SPEC §5, impact × frequency) counts the votes of its ideas and the feedback
that asked for it; stored on the plan, shown in the plans API and page, sortable, and recounted when votes
arrive, items are linked, ideas are linked or merged."""

from __future__ import annotations

from idea_helpers import new_idea, verified_token
from sqlalchemy import update

from feedbackloop.feedback.models import Feedback


def _vote(client, mailbox, idea_id: int, who: str) -> None:  # type: ignore[no-untyped-def]
    token = verified_token(client, mailbox, f"{who}@example.com")
    r = client.post(f"/api/v1/public/ideas/{idea_id}/votes", json={"voter_token": token})
    assert r.status_code == 201, r.text


def _plan(client, headers, title: str) -> dict:  # type: ignore[no-untyped-def]
    team = client.post("/api/v1/teams", json={"name": f"团队{title}"}, headers=headers)
    assert team.status_code == 201, team.text
    r = client.post("/api/v1/improvements", json={"title": title, "team_id": team.json()["id"]}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _link(client, headers, idea_id: int, plan_id: int) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/ideas/{idea_id}/plan", json={"plan_id": plan_id}, headers=headers)
    assert r.status_code == 200, r.text


def _priority(client, headers, plan_id: int) -> dict:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/improvements/{plan_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["priority"]


def test_a_new_plan_without_ideas_or_themes_has_priority_zero(client, admin_headers):
    plan = _plan(client, admin_headers, "优化发票开具")
    assert plan["priority"]["score"] == 0 and plan["priority"]["votes"] == 0


def test_votes_for_a_linked_idea_raise_the_plans_priority_as_they_arrive(client, admin_headers, mailbox):
    plan = _plan(client, admin_headers, "上线夜间模式")
    idea = new_idea(client, admin_headers, "增加夜间模式")
    _vote(client, mailbox, idea["id"], "early")
    _link(client, admin_headers, idea["id"], plan["id"])
    assert _priority(client, admin_headers, plan["id"])["votes"] == 1  # the votes before the link count
    for who in ("a", "b"):
        _vote(client, mailbox, idea["id"], who)
    got = _priority(client, admin_headers, plan["id"])
    assert (got["votes"], got["feedback"], got["score"]) == (3, 0, 3.0)
    assert got["reasons"][0] == "3 票"


def test_linked_complaints_count_in_frequency_and_raise_the_impact(client, admin_headers, mailbox, make_feedback, db):
    plan = _plan(client, admin_headers, "修复闪退")
    idea = new_idea(client, admin_headers, "修复闪退问题")
    _link(client, admin_headers, idea["id"], plan["id"])
    _vote(client, mailbox, idea["id"], "v1")
    crashes = [make_feedback(content=f"一打开就闪退 {n}") for n in range(2)]
    db.execute(update(Feedback).where(Feedback.id.in_([c.id for c in crashes])).values(sentiment="negative", urgency="紧急"))
    db.commit()
    r = client.post(f"/api/v1/ideas/{idea['id']}/feedback", json={"feedback_ids": [c.id for c in crashes]},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    got = _priority(client, admin_headers, plan["id"])
    # (1 vote + 2 items) × (1 + 100 % negative + 1 for an urgent item)
    assert (got["frequency"], got["impact"], got["score"]) == (3, 3.0, 9.0)
    assert "紧急反馈 2 条" in got["reasons"]


def test_one_person_voting_for_two_ideas_of_a_plan_counts_once(client, admin_headers, mailbox):
    plan = _plan(client, admin_headers, "深色主题")
    first, second = new_idea(client, admin_headers, "增加夜间模式"), new_idea(client, admin_headers, "希望有深色主题")
    for idea in (first, second):
        _link(client, admin_headers, idea["id"], plan["id"])
    for who in ("same", "other"):
        _vote(client, mailbox, first["id"], who)
    _vote(client, mailbox, second["id"], "same")
    assert _priority(client, admin_headers, plan["id"])["votes"] == 2


def test_merging_a_duplicate_into_a_planned_idea_brings_its_votes_to_the_plan(client, admin_headers, mailbox):
    plan = _plan(client, admin_headers, "微信支付")
    keep, copy = new_idea(client, admin_headers, "支持微信支付"), new_idea(client, admin_headers, "能用微信付款吗")
    _link(client, admin_headers, keep["id"], plan["id"])
    for who in ("c1", "c2"):
        _vote(client, mailbox, copy["id"], who)
    assert _priority(client, admin_headers, plan["id"])["votes"] == 0
    r = client.post(f"/api/v1/ideas/{copy['id']}/merge", json={"into_id": keep["id"]}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert _priority(client, admin_headers, plan["id"])["votes"] == 2


def test_moving_an_idea_to_another_plan_moves_its_votes(client, admin_headers, mailbox):
    one, two = _plan(client, admin_headers, "计划一"), _plan(client, admin_headers, "计划二")
    idea = new_idea(client, admin_headers, "支持离线下载")
    _link(client, admin_headers, idea["id"], one["id"])
    _vote(client, mailbox, idea["id"], "m1")
    _link(client, admin_headers, idea["id"], two["id"])
    assert _priority(client, admin_headers, one["id"])["votes"] == 0
    assert _priority(client, admin_headers, two["id"])["votes"] == 1


def test_the_plan_list_sorts_by_priority(client, admin_headers, mailbox):
    low, high = _plan(client, admin_headers, "低优先"), _plan(client, admin_headers, "高优先")
    for plan, voters in ((low, ["l1"]), (high, ["h1", "h2", "h3"])):
        idea = new_idea(client, admin_headers, f"想法{plan['title']}")
        _link(client, admin_headers, idea["id"], plan["id"])
        for who in voters:
            _vote(client, mailbox, idea["id"], who)
    by_priority = client.get("/api/v1/improvements", params={"sort": "priority"}, headers=admin_headers).json()
    assert [p["id"] for p in by_priority][:2] == [high["id"], low["id"]]
    assert [p["priority"]["score"] for p in by_priority][:2] == [3.0, 1.0]
    by_due = client.get("/api/v1/improvements", headers=admin_headers).json()
    assert [p["id"] for p in by_due][:2] == [low["id"], high["id"]]  # no due dates: by id
    assert client.get("/api/v1/improvements", params={"sort": "votes"}, headers=admin_headers).status_code == 422


def test_the_plan_page_shows_and_sorts_by_priority(client, admin_headers, mailbox, db, make_user):
    from test_staff_page import _page_session

    _low, high = _plan(client, admin_headers, "低优先计划"), _plan(client, admin_headers, "高优先计划")
    idea = new_idea(client, admin_headers, "增加儿童座椅")
    _link(client, admin_headers, idea["id"], high["id"])
    for who in ("p1", "p2"):
        _vote(client, mailbox, idea["id"], who)
    _page_session(client, db, "product_manager", make_user)
    page = client.get("/workflow/improvements", params={"sort": "priority"}).text
    assert page.index("高优先计划") < page.index("低优先计划")
    detail = client.get("/workflow/improvements", params={"id": high["id"]}).text
    assert "2 票" in detail and "影响 1 × 频次 2" in detail
    english = client.get("/workflow/improvements", params={"id": high["id"], "lang": "en"}).text
    assert "2 votes" in english and "impact 1 × frequency 2" in english and "2 票" not in english


def test_the_hourly_refresh_counts_the_feedback_in_the_plans_themes(client, admin_headers, db, make_feedback):
    from idea_helpers import SLOW, slow_delivery

    from feedbackloop.db import session_scope
    from feedbackloop.ideas import plan_priority
    from feedbackloop.lib.clock import clock

    team = client.post("/api/v1/teams", json={"name": "配送团队"}, headers=admin_headers).json()
    plan = client.post("/api/v1/improvements", json={"title": "加快配送", "team_id": team["id"], "theme_keys": [SLOW]},
                       headers=admin_headers).json()  # fmt: skip
    assert plan["priority"]["feedback"] == 0
    for n in range(3):
        slow_delivery(db, make_feedback, clock.now(), n=n)
    with session_scope() as session:
        assert plan_priority.refresh_open(session) >= 1
    got = _priority(client, admin_headers, plan["id"])
    assert got["feedback"] == 3 and got["negative"] == 3 and got["score"] == 6.0
