"""Every way in ends in the same state: stored, analysed, THEN triaged (prioritised, SLA clock started, routed
by what the analysis read) and audited. The CLI entry points run as real `feedbackloop` processes — a fresh
interpreter that has imported nothing of the app, which is how `feedbackloop import` once left every item
unanalysed. The in-process ways in run on a real queue drained in both orders, so that a triage enqueued
beside the analysis would run before it in one of them (as it did: a web-form item the analysis classed as
物流 stayed with no team)."""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from huey.storage import MemoryStorage
from sqlalchemy import select

from feedbackloop.accounts.models import Team, User
from feedbackloop.audit.models import AuditEntry
from feedbackloop.db import begin_write
from feedbackloop.feedback import analyzing
from feedbackloop.feedback import services as feedback_services
from feedbackloop.feedback.models import Feedback
from feedbackloop.tasks import huey, load_task_modules
from feedbackloop.webhooks.services import sign
from feedbackloop.workflow import routing
from feedbackloop.workflow.models import HistoryEntry

CLI = [str(Path(sys.executable).with_name("feedbackloop"))]  # the installed command, as a user runs it
TEXT = "外卖送到的时候汤全洒了，骑手态度还很差"  # the analysis classes it as 物流
LOGISTICS_TEAM = "外卖投诉组"


@pytest.fixture(autouse=True)
def logistics_rule(db, make_user) -> int:
    """The rule of the bug report: 问题类型=物流 → 外卖投诉组 (one agent, round robin); returns the team id."""
    name, _ = make_user("agent")
    begin_write(db)
    admin = db.scalar(select(User).where(User.username == "admin"))
    agent = db.scalar(select(User).where(User.username == name))
    team = routing.save_team(
        db, admin, {"name": LOGISTICS_TEAM, "strategy": "round_robin", "member_ids": [agent.id]}
    )
    begin_write(db)
    routing.save_rule(db, {"name": "物流投诉", "problem_type": "物流", "team_id": team["id"]})
    return int(team["id"])


_ORDER = {"reverse": False}


@pytest.fixture(params=["oldest task first", "newest task first"])
def queued(request, monkeypatch) -> Iterator[None]:
    """A real (in-memory) queue instead of immediate execution, drained by `_drain()` in either order: two
    tasks enqueued side by side (say triage beside the analysis) run in both orders, as on two workers."""
    load_task_modules()
    # The order checked here is intake → fast analysis → triage; the deep tier's later refinement (which
    # re-stamps analyzed_at, and re-triages when it changes the urgency) is tests/feedback/test_deep_tier.py's.
    monkeypatch.setenv("FEEDBACKLOOP_DEEP_DISABLE", "1")
    saved = huey.storage
    huey._immediate = False
    huey.storage = MemoryStorage("entry-points")
    _ORDER["reverse"] = request.param == "newest task first"
    try:
        yield
    finally:
        _drain()
        huey.storage = saved
        huey._immediate = True


def _drain() -> None:
    if huey.immediate:
        return
    for _ in range(50):
        tasks = []
        while (task := huey.dequeue()) is not None:
            tasks.append(task)
        if not tasks:
            return
        for task in reversed(tasks) if _ORDER["reverse"] else tasks:
            huey.execute(task)
    raise AssertionError("the queue never emptied")


def _assert_handled(db, ids: list[str], team_id: int | None = None) -> None:
    _drain()
    db.rollback()  # a fresh snapshot: the work was committed by another session or process
    assert ids, "nothing was stored"
    items = list(db.scalars(select(Feedback).where(Feedback.id.in_(ids))))
    assert len(items) == len(ids)
    for item in items:
        assert item.analysis is not None and item.sentiment, f"{item.id} was never analysed"
        assert item.prioritized_at is not None and item.priority, f"{item.id} was never triaged"
        assert item.prioritized_at >= item.analyzed_at, f"{item.id} was triaged before its analysis"
        assert not any("?/5" in r["label"] for r in item.priority_reasons or []), item.priority_reasons
        assert item.first_response_due is not None, f"{item.id} has no SLA clock"
        if team_id is not None and item.analysis.get("problem_type") == "物流":
            assert item.team_id == team_id and item.owner_id and item.status == "assigned", (
                f"{item.id}, analysed as 物流, is not with {LOGISTICS_TEAM}: team {item.team_id}"
            )
    if team_id is not None:
        assert any(i.team_id == team_id for i in items), "no item was routed by the analysed problem type"
    audited = set(db.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "feedback.create")))
    assert set(ids) <= audited, "items without their feedback.create audit entry"


def test_triage_waits_for_the_analysis() -> None:
    """Intake hands new ids to the analysis only; the analysis hands them to triage; a correction re-triages."""
    from feedbackloop.feedback.tasks import enqueue_analysis
    from feedbackloop.workflow.tasks import on_analysed, on_corrected

    load_task_modules()
    assert feedback_services.after_ingest_hooks.count(enqueue_analysis) == 1
    assert on_analysed not in feedback_services.after_ingest_hooks
    assert analyzing.after_analysis_hooks.count(on_analysed) == 1
    assert analyzing.after_correction_hooks.count(on_corrected) == 1


def _new_ids(db, before: set[str]) -> list[str]:
    db.rollback()
    return sorted(set(db.scalars(select(Feedback.id))) - before)


def _existing(db) -> set[str]:
    db.rollback()
    return set(db.scalars(select(Feedback.id)))


def test_api_single_and_batch(client, db, admin_headers, queued, logistics_rule):
    one = client.post("/api/v1/feedback", json={"content": TEXT, "channel": "api"}, headers=admin_headers)
    batch = client.post(
        "/api/v1/feedback/batch",
        json={"items": [{"content": "房间隔音太差, 一晚上没睡好"}, {"content": "快递三天了还没到"}]},
        headers=admin_headers,
    )
    assert one.status_code == 201 and batch.status_code in (200, 201, 207), batch.text
    _assert_handled(db, [i for i in _existing(db)], logistics_rule)


def test_public_form(client, db, queued, logistics_rule):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/f").text).group(1)
    r = client.post("/f", data={"csrf_token": token, "content": TEXT})
    assert r.status_code == 200, r.text[:300]
    _assert_handled(db, list(_existing(db)), logistics_rule)


def test_web_import(client, db, admin_headers, queued, logistics_rule):
    data = f"评论内容,平台\n{TEXT},美团\n房间很干净早餐很差,携程\n".encode()
    r = client.post("/api/v1/imports", files={"file": ("导出.csv", data, "text/csv")}, headers=admin_headers)
    assert r.status_code == 200, r.text
    _assert_handled(db, list(_existing(db)), logistics_rule)


def test_signed_webhook(client, db, admin_headers, queued, logistics_rule):
    secret = client.post("/api/v1/webhook-sources", json={"name": "crm"}, headers=admin_headers).json()["secret"]
    body = json.dumps({"id": "evt-9", "type": "review.created", "data": {"content": TEXT}}, ensure_ascii=False)
    ts = str(int(time.time()))
    headers = {"X-FeedbackLoop-Timestamp": ts, "X-FeedbackLoop-Signature": sign(secret, ts, body.encode()),
               "Content-Type": "application/json"}
    r = client.post("/api/v1/webhooks/crm", content=body.encode(), headers=headers)
    assert r.status_code == 202, r.text
    _assert_handled(db, list(_existing(db)), logistics_rule)


def test_cli_import_in_a_fresh_process(db, tmp_path: Path, logistics_rule):
    before = _existing(db)
    path = tmp_path / "评论.csv"
    path.write_text(f"评论内容,平台\n{TEXT},美团\n快递三天了还没到,京东\n", encoding="utf-8")
    done = subprocess.run([*CLI, "import", str(path)], capture_output=True, text=True, env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
    ids = _new_ids(db, before)
    assert len(ids) == 2
    _assert_handled(db, ids, logistics_rule)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_mail_listen_in_a_fresh_process(db, logistics_rule):
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
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
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
        _assert_handled(db, ids, logistics_rule)
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


def _submit_form(client, content: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/f").text).group(1)
    r = client.post("/f", data={"csrf_token": token, "content": content})
    assert r.status_code == 200, r.text[:300]


def test_a_food_safety_text_gets_the_top_priority_and_escalates_at_once(client, db, queued):
    _submit_form(client, "吃出一根头发")
    [fid] = list(_existing(db))
    _assert_handled(db, [fid])
    item = db.get(Feedback, fid)
    assert item.urgency == "紧急"
    assert item.priority == "urgent" and item.priority_score == 100
    assert item.priority_reasons[0]["code"] == "risk" and "头发" in item.priority_reasons[0]["label"]
    assert item.escalation_level >= 2
    kinds = [h.kind for h in db.scalars(select(HistoryEntry).where(HistoryEntry.feedback_id == fid))]
    assert "escalation" in kinds


def test_a_correction_triages_the_item_again(client, db, admin_headers, logistics_rule):
    r = client.post("/api/v1/feedback", json={"content": "房间隔音太差, 一晚上没睡好"}, headers=admin_headers)
    fid = r.json()["id"]
    db.rollback()
    item = db.get(Feedback, fid)
    assert item.problem_type == "产品功能" and item.team_id != logistics_rule
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "problem_type", "value": "物流"},
                    headers=admin_headers)
    assert r.status_code in (200, 201), r.text
    db.rollback()
    item = db.get(Feedback, fid)
    assert item.team_id == logistics_rule and item.owner_id and item.status == "assigned"
    assert item.escalation_level < 2  # not a safety case (yet)
    r = client.post(f"/api/v1/feedback/{fid}/corrections", json={"field": "urgency", "value": "紧急"},
                    headers=admin_headers)
    assert r.status_code in (200, 201), r.text
    db.rollback()
    item = db.get(Feedback, fid)
    assert item.priority == "urgent" and item.escalation_level == 2


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        ({"urgency": "紧急"}, "吃了你们的外卖拉肚子了"),
        ({"sentiment": "positive"}, "服务员态度很好"),
        ({"aspect": "送餐速度:negative"}, "外卖送得太慢了，饭都凉了"),
        ({"aspect": "电池"}, "iPhone 15 的电池不耐用"),
        ({"product": "iPhone"}, "iPhone 15 的电池不耐用"),
    ],
)
def test_rule_conditions_fire_on_what_the_analysis_read(client, db, admin_headers, queued, condition, text):
    begin_write(db)
    admin = db.scalar(select(User).where(User.username == "admin"))
    team = routing.save_team(db, admin, {"name": "专项组", "strategy": "pool"})
    begin_write(db)
    routing.save_rule(db, {"name": "专项", "position": 1, "team_id": team["id"], **condition})
    r = client.post("/api/v1/feedback", json={"content": text}, headers=admin_headers)
    assert r.status_code == 201, r.text
    _assert_handled(db, [r.json()["id"]])
    item = db.get(Feedback, r.json()["id"])
    assert item.team_id == team["id"], (condition, item.analysis)
    assert db.get(Team, team["id"]) is not None


def test_a_rule_condition_that_does_not_hold_routes_nothing(client, db, admin_headers):
    begin_write(db)
    admin = db.scalar(select(User).where(User.username == "admin"))
    team = routing.save_team(db, admin, {"name": "专项组", "strategy": "pool"})
    begin_write(db)
    routing.save_rule(db, {"name": "专项", "position": 1, "team_id": team["id"], "aspect": "送餐速度:positive"})
    r = client.post("/api/v1/feedback", json={"content": "外卖送得太慢了，饭都凉了"}, headers=admin_headers)
    db.rollback()
    assert db.get(Feedback, r.json()["id"]).team_id != team["id"]
    bad = client.post("/api/v1/routing-rules", json={"name": "x", "team_id": team["id"], "aspect": "味道:bad"},
                      headers=admin_headers)
    assert bad.status_code == 422 and "negative" in bad.text
