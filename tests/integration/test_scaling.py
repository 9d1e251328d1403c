"""What several processes must share (issue 16), each on real parts: periodic tasks claimed once per period
in the queue storage (a real redis-server, the SQLite queue), public rate limits counted in Redis, the SLA
defaults created by concurrent transactions, `serve --workers N` sharing one cookie key, and /api/v1/metrics."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from huey import PriorityRedisExpireHuey, RedisExpireHuey, SqliteHuey
from mail_sink import free_port
from redis_helpers import redis_server as start_redis
from sqlalchemy import delete, func, select

from feedbackloop import sharedstate
from feedbackloop.config import get_settings
from feedbackloop.db import get_sessionmaker
from feedbackloop.tasks import claim_period
from feedbackloop.web import ratelimit
from feedbackloop.workflow import sla
from feedbackloop.workflow.models import SlaPolicy

CLI = str(Path(sys.executable).with_name("feedbackloop"))


@pytest.fixture(autouse=True)
def _fresh_settings_after():  # type: ignore[no-untyped-def]
    """Tests here change settings through the environment and clear the cache; clear it again afterwards, so
    the settings of this test (a 3-per-minute public budget) never leak into the next test of the worker."""
    yield
    get_settings.cache_clear()
needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="Debian's redis-server is not installed"
)


@pytest.fixture
def redis_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    with start_redis(tmp_path) as running:
        yield running


@needs_redis
def test_a_periodic_task_runs_once_per_period_whichever_worker_claims_it(redis_server):
    _, url = redis_server
    worker_a, worker_b = (
        RedisExpireHuey("fl-a", url=url),
        RedisExpireHuey("fl-a", url=url),
    )  # two processes' queues
    now = 1_800_000_000.0  # a period start
    assert claim_period("sla_sweep", 60, now=now, queue=worker_a) is True
    assert claim_period("sla_sweep", 60, now=now + 5, queue=worker_b) is False  # same minute: the other skips
    assert (
        claim_period("threshold_alerts", 60, now=now + 5, queue=worker_b) is True
    )  # another task: its own claim
    assert claim_period("sla_sweep", 60, now=now + 61, queue=worker_b) is True  # the next minute
    ttl = worker_a.storage.conn.ttl(b"huey.r.fla.periodic.sla_sweep.%d" % int(now // 60))
    assert 0 < ttl <= 180, "claims expire instead of piling up in Redis"


def test_the_sqlite_queue_claims_periods_too_and_forgets_old_claims(tmp_path):
    queue = SqliteHuey("fl-b", filename=str(tmp_path / "q.db"))
    now = 1_800_000_000.0
    assert claim_period("sweep", 60, now=now, queue=queue) and not claim_period(
        "sweep", 60, now=now, queue=queue
    )
    assert claim_period("sweep", 60, now=now + 120, queue=queue)  # two periods on: the first claim is dropped
    assert queue.get(f"periodic.sweep.{int(now // 60)}", peek=True) is None


@pytest.fixture
def shared_redis(redis_server, monkeypatch):  # type: ignore[no-untyped-def]
    server, url = redis_server
    monkeypatch.setenv("FEEDBACKLOOP_REDIS_URL", url)
    get_settings.cache_clear()
    sharedstate.reset()
    ratelimit.reset()
    yield server
    monkeypatch.delenv("FEEDBACKLOOP_REDIS_URL")
    get_settings.cache_clear()
    sharedstate.reset()
    ratelimit.reset()


@needs_redis
def test_the_public_rate_limit_is_counted_in_redis_so_every_node_sees_it(client, shared_redis, monkeypatch):
    monkeypatch.setenv("FEEDBACKLOOP_PUBLIC_RATE_LIMIT_PER_MINUTE", "5")
    get_settings.cache_clear()
    codes = []
    for n in range(8):
        if n == 3:
            ratelimit._hits.clear()  # what another node's memory looks like: it never saw these hits
        codes.append(
            client.post("/api/v1/public/feedback", json={"content": f"门店空调坏了 {n}"}).status_code
        )
    assert codes == [201] * 5 + [429] * 3
    assert ratelimit._hits == {}, "counted in Redis, not in this process"


@needs_redis
def test_with_redis_down_intake_still_answers_counting_per_process(client, shared_redis, monkeypatch):
    monkeypatch.setenv("FEEDBACKLOOP_PUBLIC_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    shared_redis.terminate()
    shared_redis.wait(timeout=10)
    codes = [
        client.post("/api/v1/public/feedback", json={"content": f"退款一直没到账 {n}"}).status_code
        for n in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]  # no 500: the limit holds per process until Redis is back


def test_sla_defaults_created_by_concurrent_transactions_do_not_fail(db):
    with get_sessionmaker()() as session:
        session.execute(delete(SlaPolicy))
        session.commit()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def triage_like() -> None:
        with get_sessionmaker()() as session:
            try:
                barrier.wait()
                assert set(sla.policies(session)) == set(sla.DEFAULT_POLICIES)
                session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=triage_like) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    # And the path a transaction takes when another one stored the row after it looked:
    with get_sessionmaker()() as session:
        sla._add_unless_there(
            session, SlaPolicy(priority="urgent", name="x", first_response_minutes=1, resolution_minutes=2)
        )
        session.commit()
        assert session.scalar(select(func.count()).select_from(SlaPolicy)) == len(sla.DEFAULT_POLICIES)


def test_metrics_are_for_admins_and_metrics_read_tokens(client, admin_headers, make_feedback):
    make_feedback(content="快递三天了还没到")
    r = client.get("/api/v1/metrics", headers=admin_headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    figures = dict(re.findall(r"^(feedbackloop_[a-z_]+) ([0-9.e+-]+)$", r.text, re.M))
    for name in ("feedbackloop_queue_depth", "feedbackloop_items_owed_analysis", "feedbackloop_items_owed_triage",
                 "feedbackloop_analysis_rate"):  # fmt: skip
        assert name in figures, f"{name} missing from /api/v1/metrics"
    assert float(figures["feedbackloop_analysis_rate"]) > 0  # the item above was analysed this minute
    assert (
        'feedbackloop_http_request_duration_seconds_count{method="GET",route="/api/v1/metrics"'
        in client.get("/api/v1/metrics", headers=admin_headers).text
    )
    scoped = client.post(
        "/api/v1/tokens", json={"name": "prometheus", "scopes": ["metrics:read"]}, headers=admin_headers
    )
    narrow = client.post(
        "/api/v1/tokens", json={"name": "reader", "scopes": ["feedback:read"]}, headers=admin_headers
    )
    assert scoped.status_code == 201 and narrow.status_code == 201, scoped.text
    assert (
        client.get(
            "/api/v1/metrics", headers={"Authorization": f"Bearer {scoped.json()['token']}"}
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/api/v1/metrics", headers={"Authorization": f"Bearer {narrow.json()['token']}"}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/metrics").status_code == 401


@pytest.mark.slow
def test_serve_with_several_workers_shares_one_cookie_key(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACKLOOP_")}
    env.update(FEEDBACKLOOP_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}", FEEDBACKLOOP_VAR_DIR=str(tmp_path),
               FEEDBACKLOOP_ADMIN_PASSWORD="pw-12345678", FEEDBACKLOOP_QUEUE_IMMEDIATE="true")  # fmt: skip
    server = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "serve --workers 2 did not start"
            time.sleep(0.2)
        # Fresh connections spread over both processes; a session signed by one must open pages on the other.
        with httpx.Client(base_url=base, headers={"Connection": "close"}) as browser:
            form = browser.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            r = browser.post(
                "/login", data={"username": "admin", "password": "pw-12345678", "csrf_token": token}
            )
            assert r.status_code == 303, r.text[:300]
            for _ in range(20):
                page = browser.get("/inbox")
                assert page.status_code == 200 and "login" not in str(page.url)
    finally:
        os.killpg(server.pid, 15)
        out = server.communicate(timeout=30)[0].decode(errors="replace")
    assert out.count("Started server process") >= 2, out[-2000:]


@needs_redis
def test_intake_work_leaves_the_shared_queue_before_a_backlog_of_deep_tier_work(redis_server):
    """A worker that finishes a deep chunk takes the next drain or triage before the rest of the deep backlog."""
    from feedbackloop.feedback.tasks import deepen_items, drain_owed
    from feedbackloop.tasks import get_huey
    from feedbackloop.tasks import huey as app_queue
    from feedbackloop.workflow.tasks import triage_items

    _, url = redis_server
    queue = PriorityRedisExpireHuey("fl-prio", url=url)
    backlog = [deepen_items.s([f"FB{n}"]) for n in range(5)]
    first_come = [drain_owed.s(), triage_items.s(["FB9"])]
    for task in backlog + first_come:  # the deep backlog was queued first
        queue.storage.enqueue(app_queue.serialize_task(task), task.priority)  # the product's registry names it
    order = [app_queue.deserialize_task(queue.storage.dequeue()).name for _ in range(7)]
    assert order[:2] in (["drain_owed", "triage_items"], ["triage_items", "drain_owed"])
    assert order[2:] == ["deepen_items"] * 5
    get_huey.cache_clear()
    os.environ["FEEDBACKLOOP_QUEUE_URL"] = url
    try:
        assert isinstance(get_huey(), PriorityRedisExpireHuey), "a Redis queue URL gives the priority queue"
    finally:
        del os.environ["FEEDBACKLOOP_QUEUE_URL"]
        get_huey.cache_clear()
        get_settings.cache_clear()


@needs_redis
def test_a_periodic_run_that_outlasts_its_period_is_not_joined_by_the_next_one(redis_server, monkeypatch):
    """While a long run goes on (a 100,000-item KPI catch-up), the next period's run on another worker skips
    instead of waiting on its locks; once the long run ends, the next period runs again."""
    from feedbackloop import tasks as tasks_module

    _, url = redis_server
    monkeypatch.setattr(tasks_module, "huey", PriorityRedisExpireHuey("fl-running", url=url))
    runs: list[str] = []

    @tasks_module.not_while_running("catch_up", longest=60)
    def catch_up(depth: int = 0) -> str:
        runs.append(f"run{depth}")
        if depth == 0:
            held = tasks_module.huey.storage.conn.ttl(b"huey.r.flrunning.running.catch_up")
            assert 0 < held <= 60, "held with a TTL, so a worker killed mid-run frees it"
            assert catch_up(1) is None, "the next period's run, while this one goes on, skips"
        return "done"

    assert catch_up() == "done"
    assert runs == ["run0"]
    assert catch_up() == "done" and runs == ["run0", "run0"], "after the long run, the next period runs"
    ttl = tasks_module.huey.storage.conn.ttl(b"huey.r.flrunning.running.catch_up")
    assert ttl == -2, "the claim is gone once the run ends"
