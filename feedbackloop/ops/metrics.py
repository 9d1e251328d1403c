"""Prometheus metrics: request and task latency measured in each process, and the state of the work that
every process shares (queue depth, items owed analysis or triage, analysis rate), read at scrape time.

Web nodes expose them at GET /api/v1/metrics (admin, or a token with the `metrics:read` scope; scrape each
node directly, not through the proxy); `feedbackloop worker --metrics-port P` exposes a worker's task
latency on 127.0.0.1:P. With several uvicorn workers per node set PROMETHEUS_MULTIPROC_DIR (an empty folder
per node) so that one scrape adds up every process of the node.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedbackloop.feedback.models import OWED_ANALYSIS, OWED_TRIAGE, Feedback
from feedbackloop.lib.clock import clock

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
REQUEST_SECONDS = Histogram(
    "feedbackloop_http_request_duration_seconds", "HTTP request latency by route template",
    ["method", "route", "status"], buckets=LATENCY_BUCKETS,
)  # fmt: skip
TASK_SECONDS = Histogram(
    "feedbackloop_task_duration_seconds", "Background task run time by task and outcome",
    ["task", "outcome"], buckets=LATENCY_BUCKETS + (60, 120, 300),
)  # fmt: skip
RATE_WINDOW = timedelta(minutes=1)


def process_metrics() -> bytes:
    """This process's (or, in multiprocess mode, this node's) request and task histograms."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class SharedState(Collector):
    """Gauges over what all processes share, read when scraped: one query per figure, on indexes."""

    def __init__(self, session: Session, queue_depth: int | None) -> None:
        self.session = session
        self.queue_depth = queue_depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s, now = self.session, clock.now()
        up = GaugeMetricFamily("feedbackloop_queue_up", "1 if the task queue answered this scrape")
        up.add_metric([], 0 if self.queue_depth is None else 1)
        yield up
        if self.queue_depth is not None:
            yield GaugeMetricFamily(
                "feedbackloop_queue_depth", "Tasks waiting in the queue", value=self.queue_depth
            )
        for name, where, what in (
            ("analysis", OWED_ANALYSIS, "analysis"),
            ("triage", OWED_TRIAGE, "triage (priority, SLA, routing)"),
        ):
            count, oldest = s.execute(select(func.count(), func.min(Feedback.created_at)).where(where)).one()
            yield GaugeMetricFamily(
                f"feedbackloop_items_owed_{name}", f"Stored items still owed {what}", value=count
            )
            age = (now - oldest).total_seconds() if oldest is not None else 0.0
            yield GaugeMetricFamily(
                f"feedbackloop_oldest_owed_{name}_seconds",
                f"Age of the oldest item owed {what}",
                value=max(age, 0.0),
            )
        since = now - RATE_WINDOW
        rows = s.execute(
            select(Feedback.created_at, Feedback.analyzed_at)
            .where(Feedback.analyzed_at >= since)
            .limit(20_000)
        ).all()
        yield GaugeMetricFamily(
            "feedbackloop_analysis_rate", "Items analysed per second over the last minute",
            value=len(rows) / RATE_WINDOW.total_seconds(),
        )  # fmt: skip
        lags = [(done - made).total_seconds() for made, done in rows if made is not None and done is not None]
        lag = GaugeMetricFamily(
            "feedbackloop_intake_to_analysis_seconds", "Time from intake to analysis, items analysed in the last minute",
            labels=["quantile"],
        )  # fmt: skip
        if lags:
            lags.sort()
            lag.add_metric(["0.5"], statistics.median(lags))
            lag.add_metric(["0.99"], lags[min(len(lags) - 1, int(len(lags) * 0.99))])
            lag.add_metric(["1"], lags[-1])
        yield lag


def shared_state_metrics(session: Session, queue_depth: int | None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SharedState(session, queue_depth))
    return generate_latest(registry)


_started: dict[str, float] = {}
_started_lock = threading.Lock()


def install_task_metrics(huey: Any) -> None:
    """Time every task this process's consumer runs (Huey's signals), into TASK_SECONDS."""
    from huey import signals

    @huey.signal(signals.SIGNAL_EXECUTING)
    def _executing(signal: str, task: Any) -> None:
        with _started_lock:
            _started[task.id] = time.perf_counter()

    @huey.signal(
        signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR, signals.SIGNAL_LOCKED, signals.SIGNAL_INTERRUPTED
    )
    def _done(signal: str, task: Any, exc: Any = None) -> None:
        with _started_lock:
            start = _started.pop(task.id, None)
        if start is not None:
            TASK_SECONDS.labels(task.name, signal).observe(time.perf_counter() - start)
