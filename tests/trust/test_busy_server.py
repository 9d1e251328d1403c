"""A busy or attacked server stays responsive (issue 17 #2): unauthenticated webhook floods and duplicate
deliveries never block the event loop, and a database too busy to answer gives 503 with Retry-After."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from auth_helpers import token_for
from sqlalchemy import text
from sqlalchemy.engine import make_url
from trust_helpers import deliver

from feedbackloop.db import begin_write, get_engine, get_read_sessionmaker, reset_caches
from feedbackloop.webhooks import services as webhooks

IS_POSTGRES = os.environ["FEEDBACKLOOP_DATABASE_URL"].startswith("postgresql")
HEALTHY_WITHIN = 2.0  # seconds /healthz may take while the webhooks are in flight (a frozen loop took 10+)
ANSWERED_WITHIN = 10.0  # seconds every webhook request may take, on a small shared test machine


@pytest.fixture
def crm(db) -> str:  # type: ignore[no-untyped-def]
    """A webhook source `crm`; its secret."""
    session = get_read_sessionmaker()()
    try:
        _, secret = webhooks.create_source(session, None, "crm")
    finally:
        session.close()
    return secret


def _timed(call) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    result = call()
    return time.monotonic() - start, result


def _while_healthz_is_polled(base: str, calls: list) -> tuple[list[float], list]:  # type: ignore[type-arg]
    """Run `calls` concurrently while /healthz is asked every 50 ms; (healthz latencies, results of calls)."""
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=base, timeout=ANSWERED_WITHIN) as c:
            while not done.is_set():
                latencies.append(_timed(lambda: c.get("/healthz").raise_for_status())[0])
                time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            results = list(pool.map(lambda call: _timed(call), calls))
    finally:
        done.set()
        poller.join()
    return latencies, results


def _post(base: str, secret: str, event: dict, **kw):  # type: ignore[no-untyped-def, type-arg]
    def call():  # type: ignore[no-untyped-def]
        with httpx.Client(base_url=base, timeout=ANSWERED_WITHIN + 5) as c:
            return deliver(c, secret, event, **kw)

    return call


REVIEW = {"id": "evt-flood", "type": "review.created", "data": {"content": "快递三天还没到"}}


def test_forged_webhooks_do_not_freeze_the_server(live_server, crm):
    forged = [_post(live_server, "not-the-secret", {**REVIEW, "id": f"f-{n}"}) for n in range(8)]
    latencies, results = _while_healthz_is_polled(live_server, forged)
    assert [r.status_code for _, r in results] == [401] * 8
    assert all(r.json()["error"]["code"] == "bad_signature" for _, r in results)
    assert max(t for t, _ in results) < ANSWERED_WITHIN
    assert latencies and max(latencies) < HEALTHY_WITHIN, latencies


def test_duplicate_deliveries_are_answered_quickly_and_stored_once(live_server, crm, db):
    same = [_post(live_server, crm, REVIEW) for _ in range(10)]
    latencies, results = _while_healthz_is_polled(live_server, same)
    codes = sorted(r.status_code for _, r in results)
    assert codes == [202] + [409] * 9, [r.text for _, r in results]
    assert all(r.json()["error"]["code"] == "replay" for _, r in results if r.status_code == 409)
    assert max(t for t, _ in results) < ANSWERED_WITHIN
    assert latencies and max(latencies) < HEALTHY_WITHIN, latencies
    headers = token_for(httpx.Client(base_url=live_server))
    listed = httpx.get(f"{live_server}/api/v1/feedback", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["content"] == "快递三天还没到"


# --- a busy database: 503 with Retry-After, not a hang or a 500 -----------------------------------------------

@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Engines made from now on wait at most 0.5 s for a lock or a connection."""
    monkeypatch.setenv("FEEDBACKLOOP_DB_BUSY_TIMEOUT_SECONDS", "0.5")
    reset_caches()
    yield
    monkeypatch.delenv("FEEDBACKLOOP_DB_BUSY_TIMEOUT_SECONDS")
    reset_caches()


@contextmanager
def write_lock_held_elsewhere() -> Iterator[None]:
    """Another program holds the database's write lock (SQLite) or a lock on the feedback table (PostgreSQL)."""
    url = make_url(os.environ["FEEDBACKLOOP_DATABASE_URL"])
    if IS_POSTGRES:
        with get_engine().connect() as conn:  # a connection of its own, outside every request
            conn.execute(text("LOCK TABLE feedback IN ACCESS EXCLUSIVE MODE"))
            yield
            conn.rollback()
        return
    other = sqlite3.connect(url.database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _assert_busy(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "database_busy" and "稍后重试" in r.json()["error"]["message"]


def test_a_write_while_another_program_holds_the_lock_gets_503(client, admin_headers, short_busy_timeout):
    with write_lock_held_elsewhere():
        took, r = _timed(lambda: client.post("/api/v1/feedback", json={"content": "锁等待"}, headers=admin_headers))
    _assert_busy(r)
    assert took < 5
    assert client.post("/api/v1/feedback", json={"content": "锁释放后"}, headers=admin_headers).status_code == 201


@pytest.mark.skipif(IS_POSTGRES, reason="the in-process writer queue exists on SQLite only")
def test_a_write_queued_behind_a_long_writer_gets_503(client, admin_headers, short_busy_timeout):
    writer = get_read_sessionmaker()()
    begin_write(writer)  # holds this process's writer lock, as a long import batch would
    try:
        took, r = _timed(lambda: client.post("/api/v1/feedback", json={"content": "排队"}, headers=admin_headers))
    finally:
        writer.rollback()
        writer.close()
    _assert_busy(r)
    assert took < 5


def test_a_busy_database_gives_a_page_with_retry_after_in_the_browser(client, short_busy_timeout):
    with write_lock_held_elsewhere():
        r = client.post("/s/any-status-token/satisfaction", data={"answer": "satisfied"})
    assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
    assert "text/html" in r.headers["content-type"] and "稍后重试" in r.text
