"""Background analysis of new feedback through the task queue."""

from __future__ import annotations

from feedbackloop.db import session_scope
from feedbackloop.feedback import analyzing
from feedbackloop.feedback.services import after_ingest_hooks
from feedbackloop.tasks import huey


@huey.task(retries=2, retry_delay=5)
def analyze_items(ids: list[str]) -> int:
    """Analyse newly stored items (enqueued by intake) with the fast tier; hand on those that need the deep tier."""
    wanted: list[str] = []
    with session_scope() as session:
        done = analyzing.analyze_stored(session, ids, wanted=wanted)
    if wanted and deep_enabled():
        deepen_items(wanted)
    return done


@huey.task(retries=1, retry_delay=30)
def deepen_items(ids: list[str]) -> int:
    """The deep tier (pretrained encoder) over items the fast tier was unsure of, in the background."""
    with session_scope() as session:
        return analyzing.deepen_stored(session, ids)


def deep_enabled() -> bool:
    """False where the deep tier is switched off (FEEDBACKLOOP_DEEP_DISABLE) or not shipped, and with an
    immediate queue (tests, one-process dev): the encoder is too slow to run inside a request."""
    import os

    from feedbackloop.analysis.deep import load_deep
    from feedbackloop.analysis.encoder import ENV_DISABLE

    return not huey.immediate and not os.environ.get(ENV_DISABLE) and load_deep() is not None


def enqueue_analysis(ids: list[str]) -> None:
    for start in range(0, len(ids), analyzing.CHUNK):
        analyze_items(ids[start : start + analyzing.CHUNK])


after_ingest_hooks.append(enqueue_analysis)


@huey.task()
def reanalyze_job(deep: bool = False) -> None:
    """Split a full re-analysis into chunk tasks so that several workers share it; with deep, the
    items that never had the deep tier (old items included) get it."""
    from sqlalchemy import select

    from feedbackloop.feedback.models import Feedback

    with session_scope() as session:
        ids = analyzing.pending_deep(session) if deep else \
            list(session.scalars(select(Feedback.id).order_by(Feedback.id)))
    task = deepen_items if deep else analyze_items
    for start in range(0, len(ids), DEEP_CHUNK if deep else analyzing.CHUNK):
        task(ids[start : start + (DEEP_CHUNK if deep else analyzing.CHUNK)])


DEEP_CHUNK = 100
