"""The scaled-out path starts: a real Redis, `feedbackloop import` queueing onto it and a separate
`feedbackloop worker` process draining it (the `redis` module was once missing and both exited at start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis_helpers import redis_server as start_redis
from sqlalchemy import select

from feedbackloop.feedback.models import Feedback

CLI = str(Path(sys.executable).with_name("feedbackloop"))
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="Debian's redis-server is not installed")


@pytest.fixture
def redis_url(tmp_path: Path):  # type: ignore[no-untyped-def]
    with start_redis(tmp_path) as (_, url):
        yield url


@pytest.mark.slow
def test_import_queues_on_redis_and_a_worker_process_analyses_and_triages(db, redis_url, tmp_path):
    env = {**os.environ, "FEEDBACKLOOP_QUEUE_URL": redis_url, "FEEDBACKLOOP_QUEUE_IMMEDIATE": "false"}
    path = tmp_path / "评论.csv"
    path.write_text("评论内容,平台\n快递三天了还没到,京东\n外卖送到的时候汤全洒了，骑手态度还很差,美团\n", encoding="utf-8")
    done = subprocess.run([CLI, "import", str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    db.rollback()
    stored = list(db.scalars(select(Feedback)))
    assert len(stored) == 2 and all(i.analysis is None for i in stored)  # queued on Redis, not yet run
    worker = subprocess.Popen([CLI, "worker", "--workers", "2"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            db.rollback()
            items = list(db.scalars(select(Feedback)))
            if len(items) == 2 and all(i.analysis is not None and i.prioritized_at is not None for i in items):
                break
            time.sleep(0.3)
        assert worker.poll() is None, f"the worker exited: {worker.stderr.read() if worker.stderr else ''}"
        assert all(i.analysis is not None and i.prioritized_at is not None for i in items), "not drained"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
