"""Every way in ends in the same state: stored, analysed, triaged (prioritised, SLA clock started) and
audited. The CLI entry points run as real `feedbackloop` processes — a fresh interpreter that has imported
nothing of the app, which is how `feedbackloop import` once left every item unanalysed."""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from feedbackloop.audit.models import AuditEntry
from feedbackloop.feedback.models import Feedback
from feedbackloop.webhooks.services import sign

CLI = [str(Path(sys.executable).with_name("feedbackloop"))]  # the installed command, as a user runs it
TEXT = "外卖送到的时候汤全洒了，骑手态度还很差"


def _assert_handled(db, ids: list[str]) -> None:
    db.rollback()  # a fresh snapshot: the work was committed by another session or process
    assert ids, "nothing was stored"
    items = list(db.scalars(select(Feedback).where(Feedback.id.in_(ids))))
    assert len(items) == len(ids)
    for item in items:
        assert item.analysis is not None and item.sentiment, f"{item.id} was never analysed"
        assert item.prioritized_at is not None and item.priority, f"{item.id} was never triaged"
        assert item.first_response_due is not None, f"{item.id} has no SLA clock"
    audited = set(db.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "feedback.create")))
    assert set(ids) <= audited, "items without their feedback.create audit entry"


def _new_ids(db, before: set[str]) -> list[str]:
    db.rollback()
    return sorted(set(db.scalars(select(Feedback.id))) - before)


def _existing(db) -> set[str]:
    db.rollback()
    return set(db.scalars(select(Feedback.id)))


def test_api_single_and_batch(client, db, admin_headers):
    one = client.post("/api/v1/feedback", json={"content": TEXT, "channel": "api"}, headers=admin_headers)
    batch = client.post(
        "/api/v1/feedback/batch",
        json={"items": [{"content": "房间隔音太差, 一晚上没睡好"}, {"content": "快递三天了还没到"}]},
        headers=admin_headers,
    )
    assert one.status_code == 201 and batch.status_code in (200, 201, 207), batch.text
    _assert_handled(db, [i for i in _existing(db)])


def test_public_form(client, db):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/f").text).group(1)
    r = client.post("/f", data={"csrf_token": token, "content": TEXT})
    assert r.status_code == 200, r.text[:300]
    _assert_handled(db, list(_existing(db)))


def test_web_import(client, db, admin_headers):
    data = f"评论内容,平台\n{TEXT},美团\n房间很干净早餐很差,携程\n".encode()
    r = client.post("/api/v1/imports", files={"file": ("导出.csv", data, "text/csv")}, headers=admin_headers)
    assert r.status_code == 200, r.text
    _assert_handled(db, list(_existing(db)))


def test_signed_webhook(client, db, admin_headers):
    secret = client.post("/api/v1/webhook-sources", json={"name": "crm"}, headers=admin_headers).json()["secret"]
    body = json.dumps({"id": "evt-9", "type": "review.created", "data": {"content": TEXT}}, ensure_ascii=False)
    ts = str(int(time.time()))
    headers = {"X-FeedbackLoop-Timestamp": ts, "X-FeedbackLoop-Signature": sign(secret, ts, body.encode()),
               "Content-Type": "application/json"}
    r = client.post("/api/v1/webhooks/crm", content=body.encode(), headers=headers)
    assert r.status_code == 202, r.text
    _assert_handled(db, list(_existing(db)))


def test_cli_import_in_a_fresh_process(db, tmp_path: Path):
    before = _existing(db)
    path = tmp_path / "评论.csv"
    path.write_text(f"评论内容,平台\n{TEXT},美团\n快递三天了还没到,京东\n", encoding="utf-8")
    done = subprocess.run([*CLI, "import", str(path)], capture_output=True, text=True, env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
    ids = _new_ids(db, before)
    assert len(ids) == 2
    _assert_handled(db, ids)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_mail_listen_in_a_fresh_process(db):
    before = _existing(db)
    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "mail-listen", "--host", "127.0.0.1", "--port", str(port)],
        env=os.environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.2)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "zhang@example.com", "service@feedbackloop.local", "投诉"
        msg.set_content(TEXT)
        with smtp:
            smtp.send_message(msg)
        deadline = time.monotonic() + 30
        while not (ids := _new_ids(db, before)) and time.monotonic() < deadline:
            time.sleep(0.2)
        _assert_handled(db, ids)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_fresh_sqlite_folder_is_created_not_a_traceback(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("评论内容\n快递三天了还没到\n", encoding="utf-8")
    env = {**os.environ, "FEEDBACKLOOP_VAR_DIR": str(tmp_path / "var"),
           "FEEDBACKLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'db' / 'x.db'}"}
    done = subprocess.run([*CLI, "import", str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "new" / "db" / "x.db").exists()
