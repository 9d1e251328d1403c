"""Two tiers over stored feedback: the fast tier at intake, the deep tier in the background, the tier per
field stored and shown, re-analysis deepening old items, corrections of problem type to 无 (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from feedbackloop.analysis import encoder as enc
from feedbackloop.feedback import analyzing
from feedbackloop.feedback.models import Feedback

needs_encoder = pytest.mark.skipif(enc.cpu_supports_encoder()[0] is False, reason="CPU without AVX2/FMA")


def test_intake_stores_the_fast_tier_and_what_needs_the_deep_tier(client, admin_headers, db):
    fid = client.post("/api/v1/feedback", json={"content": "值机柜台的人冲我吼，说我这种人坐什么飞机"},
                      headers=admin_headers).json()["id"]
    record = db.get(Feedback, fid)
    db.refresh(record)
    assert record.analysis["tiers"]["urgency"] in ("fast", "rules")
    assert record.analysis["deep_version"] is None and record.analysis["deep_reasons"]
    wanted: list[str] = []
    analyzing.analyze_stored(db, [fid], wanted=wanted)
    assert wanted == [fid]
    assert fid in analyzing.pending_deep(db)


@needs_encoder
def test_deep_task_refines_and_the_item_page_shows_the_deciding_tier(client, admin_headers, db):
    from feedbackloop.feedback.tasks import deepen_items

    fid = client.post("/api/v1/feedback", json={"content": "值机柜台的人冲我吼，说我这种人坐什么飞机"},
                      headers=admin_headers).json()["id"]
    assert deepen_items.call_local([fid]) == 1
    record = client.get(f"/api/v1/feedback/{fid}", headers=admin_headers).json()
    analysis = record["analysis"]
    assert analysis["deep_version"] and record["urgency"] == "紧急" == analysis["urgency"]
    assert analysis["tiers"]["urgency"] in ("deep", "fast")
    assert fid not in analyzing.pending_deep(db)
    _login(client)
    page = client.get(f"/feedback/{fid}")
    assert 'data-testid="analysis-tiers"' in page.text and "判定方式" in page.text
    assert ("深度模型" in page.text) == (analysis["tiers"]["urgency"] == "deep" or analysis["tiers"]["sentiment"] == "deep"
                                        or analysis["tiers"]["problem_type"] == "deep")
    en = client.get(f"/feedback/{fid}?lang=en")
    assert "Decided by" in en.text and "判定方式" not in en.text


def test_reanalysis_with_deep_runs_both_tiers_and_keeps_corrections(client, admin_headers, db, monkeypatch):
    fid = client.post("/api/v1/feedback", json={"content": "牛排切开里面全是血水，吃了两口"},
                      headers=admin_headers).json()["id"]
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "sentiment", "value": "neutral"},
                    headers=admin_headers)
    assert r.status_code == 200
    monkeypatch.setenv(enc.ENV_DISABLE, "1")  # a machine where the encoder cannot run: fast tier + a note
    enc.reset()
    try:
        assert analyzing.reanalyze_all(db, deep=True) >= 1
    finally:
        monkeypatch.delenv(enc.ENV_DISABLE)
        enc.reset()
    record = db.scalars(select(Feedback).where(Feedback.id == fid)).one()
    db.refresh(record)
    assert record.analysis["notes"] == [enc.DISABLED] and record.analysis["sentiment"]["label"] == "neutral"
    assert record.sentiment == "neutral"


def test_problem_type_can_be_corrected_to_none_and_feeds_training(client, admin_headers, db):
    fid = client.post("/api/v1/feedback", json={"content": "快递员服务很好，还帮我搬上楼"}, headers=admin_headers).json()["id"]
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "problem_type", "value": "物流"},
                    headers=admin_headers)
    assert r.status_code == 200 and r.json()["problem_type"] == "物流"
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "problem_type", "value": None},
                    headers=admin_headers)
    assert r.status_code == 200 and r.json()["problem_type"] is None
    assert ("快递员服务很好，还帮我搬上楼", "problem_type", None) in analyzing.triage_corrections(db)
    bad = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "problem_type", "value": "天气"},
                      headers=admin_headers)
    assert bad.status_code == 422 and "null" in bad.json()["error"]["message"]


def test_pure_praise_never_enters_a_problem_queue(client, admin_headers):
    client.post("/api/v1/feedback", json={"content": "柜员办业务又快又耐心，点赞"}, headers=admin_headers)
    for ptype in ("产品功能", "服务质量", "价格", "物流", "界面/交互", "其他"):
        items = client.get("/api/v1/feedback", params={"problem_type": ptype}, headers=admin_headers).json()["items"]
        assert all(i["content"] != "柜员办业务又快又耐心，点赞" for i in items)


def _login(client, username="admin", password="admin-pass-123"):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code in (200, 303), r.text
