"""Background analysis of stored feedback through the task queue.

The database records what each item is owed (`analyzed_at IS NULL` until its analysis is committed), so a
task lost with a dead worker or a Redis outage only delays the work: on a shared Redis queue intake wakes
`drain_owed`, which claims the oldest owed items in batches; `requeue_owed_analysis`, a reconciler, wakes
drains for owed items that nobody finished. The embedded queue runs one task per stored batch.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select

from feedbackloop.config import get_settings
from feedbackloop.db import get_read_sessionmaker, session_scope
from feedbackloop.feedback import analyzing
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.services import after_ingest_hooks
from feedbackloop.lib.clock import clock
from feedbackloop.tasks import PRIORITY_DEEP, PRIORITY_INTAKE, coalesces, huey, register_reconciler

log = logging.getLogger(__name__)
DRAIN_FLAG = "feedback.drain.pending"  # set while a drain is queued and not yet started
DRAIN_FLAG_TTL = 2  # seconds: a drain lost before it started is replaced by the next intake after this
MAX_DRAINS_PER_RECONCILE = 32


@huey.task(retries=2, retry_delay=5, priority=PRIORITY_INTAKE)
def analyze_items(ids: list[str]) -> int:
    """Analyse the given items with the fast tier (the embedded queue's intake path, and re-analysis);
    hand on those that need the deep tier."""
    wanted: list[str] = []
    with session_scope() as session:
        done = analyzing.analyze_stored(session, ids, wanted=wanted)
    hand_to_deep(wanted)
    return done


@huey.task(retries=1, retry_delay=30, priority=PRIORITY_DEEP)
def deepen_items(ids: list[str]) -> int:
    """The deep tier (pretrained encoder) over items the fast tier was unsure of, in the background."""
    with session_scope() as session:
        return analyzing.deepen_stored(session, ids)


# Small: a worker thread busy with a deep chunk (about 1 s of encoder time, longer while its low CPU priority
# yields to intake) takes the next intake task only after it.
DEEP_CHUNK = 16


def deep_enabled() -> bool:
    """False where the deep tier is switched off (FEEDBACKLOOP_DEEP_DISABLE) or not shipped, and with an
    immediate queue (tests, one-process dev): the encoder is too slow to run inside a request."""
    import os

    from feedbackloop.analysis.deep import load_deep
    from feedbackloop.analysis.encoder import ENV_DISABLE

    return not huey.immediate and not os.environ.get(ENV_DISABLE) and load_deep() is not None


def hand_to_deep(ids: list[str]) -> None:
    if ids and deep_enabled():
        for start in range(0, len(ids), DEEP_CHUNK):
            deepen_items(ids[start : start + DEEP_CHUNK])


@huey.task(retries=5, retry_delay=2, priority=PRIORITY_INTAKE)
def drain_owed() -> int:
    """Analyse a batch of the items still owed analysis (claimed with SKIP LOCKED); when the batch was full,
    wake another drain first, so that every free worker takes a batch of its own."""
    huey.delete(DRAIN_FLAG)
    wanted: list[str] = []
    with session_scope() as session:
        done = len(analyzing.analyze_owed(session, analyzing.CHUNK, on_full_batch=drain_owed, wanted=wanted))
    hand_to_deep(wanted)
    return done


def wake_drain() -> None:
    """Make sure a drain is queued (at most one waits at a time; workers busy → batches grow)."""
    if huey.put_if_empty(DRAIN_FLAG, "1", DRAIN_FLAG_TTL):
        drain_owed()


def enqueue_analysis(ids: list[str]) -> None:
    """after_ingest hook. The items are committed and owed analysis whatever happens here: if the queue
    cannot be reached, intake still answers and the reconciler queues the work once the queue is back."""
    try:
        if coalesces():
            wake_drain()
            return
        for start in range(0, len(ids), analyzing.CHUNK):
            analyze_items(ids[start : start + analyzing.CHUNK])
    except Exception as exc:  # redis.ConnectionError, OSError…: the queue is down, the database has the work
        if huey.immediate:
            raise  # inline (tests, immediate mode): a failure is the analysis's own, not the queue's
        log.warning("could not queue the analysis of %d new items (%s); the reconciler will", len(ids), exc)


after_ingest_hooks.append(enqueue_analysis)


@register_reconciler
def requeue_owed_analysis() -> int:
    """Queue analysis for items owed it longer than the grace period; returns how many were owed."""
    before = clock.now() - timedelta(seconds=get_settings().reconcile_after_seconds)
    with get_read_sessionmaker()() as session:
        if coalesces():
            owed = (
                session.scalar(
                    select(func.count()).where(Feedback.analyzed_at.is_(None), Feedback.created_at < before)
                )
                or 0
            )
            for _ in range(min(MAX_DRAINS_PER_RECONCILE, -(-owed // analyzing.CHUNK))):
                drain_owed()  # each claims its own batch; the last full one wakes the next
        else:
            ids = list(session.scalars(
                select(Feedback.id).where(Feedback.analyzed_at.is_(None), Feedback.created_at < before)
                .order_by(Feedback.created_at).limit(50 * analyzing.CHUNK)
            ))  # fmt: skip
            owed = len(ids)
            for start in range(0, owed, analyzing.CHUNK):
                analyze_items(ids[start : start + analyzing.CHUNK])
    if owed:
        log.info("reconciler: %d items owed analysis for over the grace period, queued again", owed)
    return owed


@huey.task()
def reanalyze_job(deep: bool = False) -> None:
    """Split a full re-analysis into chunk tasks so that several workers share it; with deep, the items
    that never had the deep tier (old items included) get both tiers."""
    with session_scope() as session:
        ids = analyzing.pending_deep(session) if deep else \
            list(session.scalars(select(Feedback.id).order_by(Feedback.id)))
    size = DEEP_CHUNK if deep else analyzing.CHUNK
    for start in range(0, len(ids), size):
        (deepen_items if deep else analyze_items)(ids[start : start + size])
