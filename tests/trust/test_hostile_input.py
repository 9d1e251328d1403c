"""Hostile input: oversized bodies, forged or replayed webhooks, bad attachments, SQL fragments."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from trust_helpers import deliver as _deliver

from feedbackloop.attachments.services import storage_dir
from feedbackloop.config import get_settings
from feedbackloop.lib.clock import clock
from feedbackloop.webhooks.services import sign

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


# --- size limits -----------------------------------------------------------------------------------------

def test_oversized_public_submission_is_refused_with_413(client):
    body = json.dumps({"content": "长" * 200_000}).encode()
    r = client.post("/api/v1/public/feedback", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large" and "上限" in r.json()["error"]["message"]


def test_a_json_command_body_is_capped_at_1_mib_but_a_batch_is_not(client, admin_headers):
    """Probe 14b: a 30 MB whitespace-padded JSON body to /api/v1/feedback/bulk was read and parsed."""
    padded = b'{"ids": ["FB1"], "action": "tag", "tag": "x"' + b" " * (2 * 1024 * 1024) + b"}"
    r = client.post("/api/v1/feedback/bulk", content=padded, headers={**admin_headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and "1 MiB" in r.json()["error"]["message"]
    items = [{"content": f"第 {n} 条：" + "送餐太慢了，" * 600} for n in range(120)]  # ~2.6 MB of real items
    r = client.post("/api/v1/feedback/batch", json={"items": items}, headers=admin_headers)
    assert r.status_code in (200, 201, 202), r.text[:300]


def test_oversized_chunked_body_without_length_is_refused(client):
    def chunks():
        for _ in range(64):
            yield b"x" * 8192

    r = client.post("/api/v1/public/feedback", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_small_chunked_body_still_works(client):
    def chunks():
        yield b'{"content": "'
        yield "分块提交的反馈".encode()
        yield b'"}'

    r = client.post("/api/v1/public/feedback", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_public_submission_reveals_only_its_own_id(client, make_feedback):
    make_feedback(content="另一位客户的投诉", contact="13800001111")
    r = client.post("/api/v1/public/feedback", json={"content": "我的反馈", "contact": "13800001111"})
    assert set(r.json()) == {"id", "message"}
    assert "另一位" not in r.text and "13800001111" not in r.text


def test_public_endpoints_are_rate_limited(client, monkeypatch):
    monkeypatch.setenv("FEEDBACKLOOP_PUBLIC_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    try:
        codes = [client.get("/api/v1/public/quotes").status_code for _ in range(5)]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


# --- webhooks --------------------------------------------------------------------------------------------

@pytest.fixture
def crm(client, admin_headers):
    r = client.post("/api/v1/webhook-sources", json={"name": "crm"}, headers=admin_headers)
    assert r.status_code == 201
    return r.json()["secret"]


REVIEW = {"id": "evt-1", "type": "review.created", "data": {"content": "订单送达太晚了", "contact": "13812345678"}}


def test_signed_webhook_creates_feedback(client, crm, admin_headers):
    r = _deliver(client, crm, REVIEW)
    assert r.status_code == 202, r.text
    fid = r.json()["result"].split()[-1]
    item = client.get(f"/api/v1/feedback/{fid}", headers=admin_headers).json()
    assert item["channel"] == "webhook" and item["content"] == "订单送达太晚了"


def test_replayed_webhook_is_refused(client, crm):
    assert _deliver(client, crm, REVIEW).status_code == 202
    again = _deliver(client, crm, REVIEW)
    assert again.status_code == 409 and again.json()["error"]["code"] == "replay"


def test_webhook_with_wrong_signature_is_refused(client, crm):
    r = _deliver(client, crm, REVIEW, signature="sha256=" + "0" * 64)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"


def test_webhook_signed_with_another_secret_is_refused(client, crm):
    assert _deliver(client, "not-the-secret", REVIEW).status_code == 401


def test_webhook_with_a_tampered_body_is_refused(client, crm):
    ts = str(int(time.time()))
    good = sign(crm, ts, json.dumps(REVIEW, ensure_ascii=False).encode())
    tampered = {**REVIEW, "data": {"content": "被篡改"}}
    assert _deliver(client, crm, tampered, ts=ts, signature=good).status_code == 401


def test_stale_webhook_is_refused(client, crm):
    old = int(time.time()) - 600
    r = _deliver(client, crm, REVIEW, ts=old)
    assert r.status_code == 401 and r.json()["error"]["code"] == "stale_timestamp"
    clock.advance(timedelta(minutes=10))
    assert _deliver(client, crm, {**REVIEW, "id": "evt-2"}, ts=int(time.time())).status_code == 401


def test_unknown_source_answers_like_a_bad_signature(client, crm):
    r = _deliver(client, crm, REVIEW, source="nosuch")
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"


def test_order_completed_without_the_buyers_contact_says_what_is_missing(client, crm):
    # order.completed has a handler now (the survey trigger, issue 12): it needs somebody to invite.
    r = _deliver(client, crm, {"id": "o-1", "type": "order.completed", "data": {"order_id": "A1"}})
    assert r.status_code == 422 and '"email" 或 "phone"' in r.json()["error"]["message"]
    r = _deliver(client, crm, {"id": "o-2", "type": "order.completed", "data": {"order_id": "A2", "email": "b@example.com"}})
    assert r.status_code == 202 and r.json()["type"] == "order.completed"


# --- attachments -----------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_files():
    for path in storage_dir().iterdir():
        path.unlink()


def _upload(client, headers, fid, name, data, ctype="application/octet-stream"):
    return client.post(f"/api/v1/feedback/{fid}/attachments", files={"file": (name, data, ctype)}, headers=headers)


def test_png_is_stored_under_a_generated_name(client, admin_headers, make_feedback):
    fid = make_feedback().id
    r = _upload(client, admin_headers, fid, "收据.png", PNG, "image/png")
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    stored = list(storage_dir().iterdir())
    assert len(stored) == 1 and stored[0].name != "收据.png" and stored[0].suffix == ".png"
    got = client.get(f"/api/v1/attachments/{r.json()['id']}", headers=admin_headers)
    assert got.content == PNG and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\boot.ini", "/etc/passwd", "a/../../b.txt", ".htaccess"]
)
def test_path_traversal_names_are_refused(client, admin_headers, make_feedback, name):
    r = _upload(client, admin_headers, make_feedback().id, name, b"hello", "text/plain")
    assert r.status_code == 422
    assert not any(storage_dir().iterdir())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"MZ\x90\x00\x03 this is an exe"),  # executable dressed as an image
        ("page.html", b"\x00\x01<script>alert(1)</script>"),
        ("doc.pdf", b"\x7fELF\x02\x01\x01"),
    ],
)
def test_mistyped_uploads_are_refused_by_content(client, admin_headers, make_feedback, name, data):
    r = _upload(client, admin_headers, make_feedback().id, name, data, "image/png")
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_type"


def test_pdf_and_text_are_accepted(client, admin_headers, make_feedback):
    fid = make_feedback().id
    assert _upload(client, admin_headers, fid, "invoice.pdf", PDF).json()["content_type"] == "application/pdf"
    assert _upload(client, admin_headers, fid, "备注.txt", "客户说明".encode()).json()["content_type"] == "text/plain"
    assert len(client.get(f"/api/v1/feedback/{fid}/attachments", headers=admin_headers).json()) == 2


def test_oversized_attachment_is_refused(client, admin_headers, make_feedback):
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    r = _upload(client, admin_headers, make_feedback().id, "big.png", big)
    assert r.status_code == 413


def test_attachment_for_unknown_feedback_is_404(client, admin_headers):
    assert _upload(client, admin_headers, "FB19990101001", "a.png", PNG).status_code == 404


# --- SQL fragments ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["'; DROP TABLE feedback; --", "1' OR '1'='1", "\" UNION SELECT password_hash FROM users --", "%_\\%"],
)
def test_sql_fragments_are_stored_and_searched_as_text(client, admin_headers, text):
    r = client.post("/api/v1/feedback", json={"content": f"反馈 {text}"}, headers=admin_headers)
    assert r.status_code == 201
    assert client.get(f"/api/v1/feedback/{r.json()['id']}", headers=admin_headers).json()["content"] == f"反馈 {text}"
    found = client.get("/api/v1/feedback", params={"q": text}, headers=admin_headers).json()
    assert found["total"] == 1
    assert client.get("/api/v1/feedback", params={"q": "%"}, headers=admin_headers).json()["total"] <= 1


# --- status links ----------------------------------------------------------------------------------------

def test_status_links_are_unguessable_and_unknown_ones_reveal_nothing(client, make_feedback, db):
    workflow = pytest.importorskip("feedbackloop.workflow.services")
    first, second = make_feedback(content="物流太慢"), make_feedback(content="客服态度差")
    tokens = {workflow.ensure_token(first), workflow.ensure_token(second)}
    db.commit()
    assert len(tokens) == 2 and all(len(t) >= 32 for t in tokens)  # ≥ 192 random bits each
    r = client.get("/api/v1/public/status/" + "A" * 32)
    assert r.status_code == 404 and "物流" not in r.text and "FB" not in r.text
