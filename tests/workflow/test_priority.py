"""Priority from urgency, sentiment intensity, customer value and frequency; safety signals always first."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from feedbackloop.workflow.priority import score


def item(content: str = "一般的反馈", **fields: object) -> SimpleNamespace:
    base = {
        "content": content,
        "analysis": None,
        "urgency": None,
        "sentiment": None,
        "rating": None,
        "customer_type": "new",
    }
    base.update(fields)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("吃了你们的外卖后拉肚子, 怀疑食品安全问题", "食品安全"),
        ("孩子玩具零件脱落受伤了", "受伤"),
        ("再不退款我就起诉你们", "起诉"),
        ("吃完全身过敏去了医院", "过敏"),
    ],
)
def test_safety_legal_and_health_signals_always_come_first(text: str, word: str) -> None:
    p = score(item(text, urgency="建议", sentiment="positive"))
    assert p.level == "urgent" and p.score == 100
    assert word in p.reasons[0]["label"]


def test_risk_flags_from_the_analysis_count_as_well() -> None:
    p = score(item("东西有问题", analysis={"risk_flags": ["食品安全"], "urgency": "紧急"}))
    assert p.level == "urgent" and p.reasons[0]["code"] == "risk"


def test_a_high_value_customer_ranks_above_the_same_complaint_from_a_new_one() -> None:
    neg = {"analysis": {"sentiment": {"label": "negative", "score": 0.1, "intensity": 3}, "urgency": "一般"}}
    vip = score(item("物流太慢", customer_type="high_value", **neg))
    new = score(item("物流太慢", **neg))
    assert vip.score > new.score
    assert any("高价值客户" in r["label"] for r in vip.reasons)
    assert new.level == "high"  # a complaint gets the 4 h policy


def test_stronger_negative_feeling_and_more_similar_items_raise_the_score() -> None:
    mild = score(item(analysis={"sentiment": {"label": "negative", "intensity": 1}}))
    angry = score(item(analysis={"sentiment": {"label": "negative", "intensity": 5}}))
    assert angry.score > mild.score
    alone = score(item(sentiment="negative"), similar_recent=0)
    wave = score(item(sentiment="negative"), similar_recent=25)
    assert wave.score - alone.score == 15
    assert any("24 小时内同类反馈 25 条" in r["label"] for r in wave.reasons)


def test_suggestions_and_praise_are_low_and_missing_analysis_is_normal() -> None:
    assert score(item(urgency="建议")).level == "low"
    assert score(item(sentiment="positive")).level == "low"
    plain = score(item())
    assert plain.level == "normal" and plain.reasons


def test_priority_and_reasons_are_shown_on_the_item(client, staff, team, make_feedback):
    record = make_feedback(content="外卖里吃出异物, 食品安全太差", customer_type="high_value")
    state = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["a1"][1]).json()
    assert state["priority"] == "urgent" and state["priority_label"] == "紧急"
    assert "安全" in state["priority_reasons"][0]["label"]
    # urgent runs around the clock: first response due within one hour of arrival
    assert state["sla"]["seconds_left"] <= 3600
