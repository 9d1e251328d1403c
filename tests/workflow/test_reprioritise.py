"""When the analysis arrives after triage, the periodic task re-scores the item and the SLA follows."""

from __future__ import annotations

from datetime import timedelta

from feedbackloop.lib.clock import clock
from feedbackloop.workflow.tasks import reprioritise


def test_analysis_that_arrives_later_raises_the_priority(client, staff, team, make_feedback, db):
    start = clock.now()
    clock.freeze(start)
    record = make_feedback(content="吃完你们的蛋糕后肚子疼了一晚上")
    before = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()
    assert before["priority"] == "normal"
    db.rollback()
    stored = db.get(type(record), record.id)
    stored.analysis = {
        "sentiment": {"label": "negative", "score": 0.05, "intensity": 5},
        "urgency": "紧急",
        "risk_flags": ["食品安全"],
        "problem_type": "产品功能",
        "keywords": ["蛋糕", "肚子疼"],
    }
    stored.sentiment, stored.urgency = "negative", "紧急"
    stored.analyzed_at = start + timedelta(minutes=1)
    db.commit()
    clock.freeze(start + timedelta(minutes=2))
    assert reprioritise.call_local() == 1
    after = client.get(f"/api/v1/feedback/{record.id}/workflow", headers=staff["sup"][1]).json()
    assert after["priority"] == "urgent" and after["priority_reasons"][0]["code"] == "risk"
    assert after["first_response_due"] < before["first_response_due"]
    assert reprioritise.call_local() == 0  # done once
