"""The analysis wired into intake, the API, corrections and the CLI (SPEC §4, §11)."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from feedbackloop.cli import main


def test_new_feedback_is_analysed_with_model_version(client, admin_headers):
    r = client.post("/api/v1/feedback", json={"content": "房间很干净但是早餐很差"}, headers=admin_headers)
    record = client.get(f"/api/v1/feedback/{r.json()['id']}", headers=admin_headers).json()
    analysis = record["analysis"]
    assert analysis["sentiment"]["label"] in ("negative", "neutral", "positive")
    assert 0 <= analysis["sentiment"]["score"] <= 1 and 1 <= analysis["sentiment"]["intensity"] <= 5
    assert {"aspect": "早餐", "sentiment": "negative"}.items() <= {
        k: v for a in analysis["aspects"] if a["aspect"] == "早餐" for k, v in a.items()
    }.items()
    assert analysis["model_version"] and record["sentiment"] == analysis["sentiment"]["label"]


def test_safety_complaint_is_urgent_and_filterable(client, admin_headers):
    client.post("/api/v1/feedback", json={"content": "吃了你们的外卖拉肚子, 怀疑食品安全有问题"}, headers=admin_headers)
    client.post("/api/v1/feedback", json={"content": "味道不错, 下次还来"}, headers=admin_headers)
    urgent = client.get("/api/v1/feedback", params={"urgency": "紧急"}, headers=admin_headers).json()
    assert [i["content"] for i in urgent["items"]] == ["吃了你们的外卖拉肚子, 怀疑食品安全有问题"]


def test_stateless_analyze_endpoint(client, admin_headers):
    r = client.post("/api/v1/analyze", json={"texts": ["物流太慢了, 等了一个星期", "非常满意, 五星好评"]}, headers=admin_headers)
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert first["sentiment"]["label"] == "negative" and second["sentiment"]["label"] == "positive"
    for field in ("problem_type", "urgency", "aspects", "keywords", "model_version"):
        assert field in first


def test_correction_is_stored_and_survives_reanalysis(client, admin_headers, db):
    fid = client.post("/api/v1/feedback", json={"content": "还行吧, 没有想象中那么差"}, headers=admin_headers).json()["id"]
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "urgency", "value": "建议"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["urgency"] == "建议"
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "sentiment", "value": "positive"}, headers=admin_headers)
    assert r.json()["analysis"]["sentiment"]["label"] == "positive"
    from feedbackloop.feedback import analyzing

    analyzing.reanalyze_all(db)
    record = client.get(f"/api/v1/feedback/{fid}", headers=admin_headers).json()
    assert record["sentiment"] == "positive" and record["urgency"] == "建议"
    assert analyzing.sentiment_corrections(db) == [("还行吧, 没有想象中那么差", 1)]


def test_bad_correction_says_what_is_allowed(client, admin_headers, make_feedback):
    record = make_feedback(content="不太满意")
    r = client.post(f"/api/v1/feedback/{record.id}/corrections", json={"field": "urgency", "value": "很急"}, headers=admin_headers)
    assert r.status_code == 422 and "紧急" in r.json()["error"]["message"]


def test_admin_defined_aspect_is_used_at_once(client, admin_headers):
    r = client.post("/api/v1/aspects", json={"name": "停车", "words": ["停车", "车位"]}, headers=admin_headers)
    assert r.status_code == 201
    res = client.post("/api/v1/analyze", json={"texts": ["酒店停车位太少, 停车很不方便"]}, headers=admin_headers).json()
    assert any(a["aspect"] == "停车" for a in res["results"][0]["aspects"])


def test_themes_endpoint_groups_items(client, admin_headers):
    items = [{"content": f"送餐太慢了, 等了{n}个小时才到", "channel": "meituan"} for n in range(2, 8)]
    client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    themes = client.get("/api/v1/themes", params={"days": 7}, headers=admin_headers).json()["themes"]
    assert themes and themes[0]["count"] >= 2 and themes[0]["label"]


@pytest.fixture
def labelled_csv(tmp_path):
    path = tmp_path / "labelled.csv"
    rows = [("服务很好, 非常满意", 1), ("太差了, 再也不来了", 0), ("物流很快, 包装完好", 1), ("质量差, 用了一天就坏", 0)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["review", "label"])
        w.writerows(rows)
    return path


def test_cli_evaluate_prints_accuracy_and_macro_f1(labelled_csv):
    result = CliRunner().invoke(main, ["evaluate", str(labelled_csv), "--text-column", "review", "--label-column", "label", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["accuracy"] == 1.0 and data["macro_f1"] == 1.0 and data["n"] == 4


def test_cli_evaluate_names_missing_column(labelled_csv):
    result = CliRunner().invoke(main, ["evaluate", str(labelled_csv), "--text-column", "text", "--label-column", "label"])
    assert result.exit_code == 1 and "review" in result.output


def test_cli_analyze_writes_columns(labelled_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["analyze", str(labelled_csv), "--text-column", "review", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["sentiment"] for r in rows] == ["positive", "negative", "positive", "negative"]
    assert all(r["model_version"] for r in rows)


def _login(client, username="admin", password="admin-pass-123"):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code in (200, 303), r.text


def test_agent_corrects_analysis_in_the_detail_page(client, admin_headers):
    fid = client.post("/api/v1/feedback", json={"content": "房间很干净但是早餐很差"}, headers=admin_headers).json()["id"]
    _login(client)
    page = client.get(f"/feedback/{fid}")
    assert "更正分析" in page.text and "早餐" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "sentiment": "negative", "problem_type": "服务质量", "urgency": "一般",
            "new_aspect": "房间", "new_aspect_sentiment": "positive"}
    r = client.post(f"/feedback/{fid}/correct", data=form, follow_redirects=False)
    assert r.status_code == 303
    record = client.get(f"/api/v1/feedback/{fid}", headers=admin_headers).json()
    assert record["sentiment"] == "negative" and record["problem_type"] == "服务质量"
    assert {"aspect": "房间", "sentiment": "positive", "evidence": ""} in record["analysis"]["aspects"]


def test_correction_form_needs_csrf(client, admin_headers):
    fid = client.post("/api/v1/feedback", json={"content": "早餐很差"}, headers=admin_headers).json()["id"]
    _login(client)
    r = client.post(f"/feedback/{fid}/correct", data={"sentiment": "positive"}, follow_redirects=False)
    assert r.status_code == 403
