"""The feedback API through HTTP, on the configured real database."""

from __future__ import annotations

import re

import pytest


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_token_rejects_wrong_password(client):
    r = client.post("/api/v1/auth/token", data={"username": "admin", "password": "nope"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"


def test_create_requires_auth(client):
    r = client.post("/api/v1/feedback", json={"content": "快递太慢了"})
    assert r.status_code == 401


def test_create_and_read_back(client, admin_headers):
    r = client.post(
        "/api/v1/feedback",
        json={"content": "快递太慢了, 等了五天", "channel": "jd", "contact": "13812345678", "customer_name": "王先生"},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"FB\d{8}\d{3,}", body["id"])
    assert body["contact_masked"] == "138****5678"
    assert "13812345678" not in r.text
    got = client.get(f"/api/v1/feedback/{body['id']}", headers=admin_headers)
    assert got.status_code == 200
    assert got.json()["content"] == "快递太慢了, 等了五天"


def test_external_id_is_idempotent_per_channel(client, admin_headers):
    item = {"content": "质量不错", "channel": "tmall", "external_id": "T-1"}
    first = client.post("/api/v1/feedback", json=item, headers=admin_headers)
    again = client.post("/api/v1/feedback", json=item, headers=admin_headers)
    other_channel = client.post("/api/v1/feedback", json={**item, "channel": "jd"}, headers=admin_headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert other_channel.json()["id"] != first.json()["id"]


def test_batch_of_1000_twice_adds_nothing_twice(client, admin_headers):
    items = [{"content": f"第{i}条反馈: 送餐太慢", "channel": "meituan", "external_id": f"M{i}"} for i in range(1000)]
    r1 = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    r2 = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    assert r1.status_code == 201 and len(r1.json()["created"]) == 1000
    assert r2.json()["created"] == [] and len(r2.json()["existing"]) == 1000
    assert client.get("/api/v1/feedback?per_page=1", headers=admin_headers).json()["total"] == 1000


def test_a_batch_that_sends_one_item_twice_stores_it_once_and_accounts_for_both(client, admin_headers):
    items = [
        {"content": "送餐太慢了", "channel": "meituan", "external_id": "M1"},
        {"content": "包装破了", "channel": "meituan", "external_id": "M2"},
        {"content": "送餐太慢了", "channel": "meituan", "external_id": "M1"},
    ]
    r = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["created"]) == 2 and body["existing"] == [body["created"][0]]
    assert client.get("/api/v1/feedback?per_page=1", headers=admin_headers).json()["total"] == 2


def test_a_batch_with_two_texts_under_one_external_id_is_refused_whole(client, admin_headers):
    items = [
        {"content": "送餐太慢了", "channel": "meituan", "external_id": "M1"},
        {"content": "包装破了", "channel": "meituan", "external_id": "M2"},
        {"content": "汤洒了一半", "channel": "meituan", "external_id": "M1"},
    ]
    r = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    assert r.status_code == 422, r.text
    assert "items[0]" in r.text and "items[2]" in r.text and "external_id" in r.text
    assert client.get("/api/v1/feedback?per_page=1", headers=admin_headers).json()["total"] == 0


def test_batch_over_limit_is_refused(client, admin_headers):
    items = [{"content": "x"}] * 1001
    r = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": "长" * 10_001}, "content"),
        ({"content": "好", "channel": "weibo"}, "channel"),
        ({"content": "好", "problem_type": "天气"}, "problem_type"),
        ({"content": "好", "rating": 11}, "rating"),
    ],
)
def test_bad_input_says_which_field(client, admin_headers, payload, field):
    r = client.post("/api/v1/feedback", json=payload, headers=admin_headers)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_failed"
    assert err["details"][0]["field"] == field


def test_html_and_sql_are_stored_as_text(client, admin_headers):
    text = "<script>alert(1)</script>'; DROP TABLE feedback; --"
    r = client.post("/api/v1/feedback", json={"content": text}, headers=admin_headers)
    assert r.status_code == 201
    assert client.get(f"/api/v1/feedback/{r.json()['id']}", headers=admin_headers).json()["content"] == text


def test_filters_and_substring_search(client, admin_headers, make_feedback):
    make_feedback(content="外卖送餐太慢了", channel="meituan")
    make_feedback(content="手机屏幕有划痕", channel="jd", problem_type="产品功能")
    make_feedback(content="酒店前台服务态度差", channel="dianping")
    got = client.get("/api/v1/feedback", params={"q": "送餐"}, headers=admin_headers).json()
    assert [i["content"] for i in got["items"]] == ["外卖送餐太慢了"]
    got = client.get("/api/v1/feedback", params={"channel": "jd"}, headers=admin_headers).json()
    assert got["total"] == 1 and got["items"][0]["problem_type"] == "产品功能"
    got = client.get("/api/v1/feedback", params={"q": "100%_"}, headers=admin_headers).json()
    assert got["total"] == 0


def test_vague_and_duplicate_filters(client, admin_headers, make_feedback):
    first = make_feedback(content="酒店前台服务态度差, 办理入住等了半个小时")
    copy = make_feedback(content="酒店前台服务态度差，办理入住等了半个小时！", channel="email")
    vague = make_feedback(content="不满意")

    def ids(**params: str) -> set[str]:
        return {i["id"] for i in client.get("/api/v1/feedback", params=params, headers=admin_headers).json()["items"]}

    assert ids(duplicates="true") == {copy.id}
    assert ids(duplicates="false") == {first.id, vague.id}
    assert ids(vague="true") == {vague.id}
    assert ids(vague="false", duplicates="false") == {first.id}


def test_public_submission_needs_no_login_and_records_touchpoint(client, admin_headers):
    r = client.post("/api/v1/public/feedback", json={"content": "门店服务很好", "touchpoint": "上海南京西路店"})
    assert r.status_code == 201
    record = client.get(f"/api/v1/feedback/{r.json()['id']}", headers=admin_headers).json()
    assert record["touchpoint"] == "上海南京西路店" and record["channel"] == "qr"
    assert set(r.json()) == {"id", "message"}


def test_blank_external_id_means_none(client, admin_headers):
    first = client.post("/api/v1/feedback", json={"content": "第一条", "external_id": ""}, headers=admin_headers)
    second = client.post("/api/v1/feedback", json={"content": "第二条", "external_id": ""}, headers=admin_headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"] and first.json()["external_id"] is None
