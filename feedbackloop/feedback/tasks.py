"""Background analysis of new feedback through the task queue."""

from __future__ import annotations

from feedbackloop.db import session_scope
from feedbackloop.feedback import analyzing
from feedbackloop.feedback.services import after_ingest_hooks
from feedbackloop.tasks import huey


@huey.task(retries=2, retry_delay=5)
def analyze_items(ids: list[str]) -> int:
    """Analyse newly stored items (enqueued by intake)."""
    with session_scope() as session:
        return analyzing.analyze_stored(session, ids)


def enqueue_analysis(ids: list[str]) -> None:
    for start in range(0, len(ids), analyzing.CHUNK):
        analyze_items(ids[start : start + analyzing.CHUNK])


after_ingest_hooks.append(enqueue_analysis)


@huey.task()
def reanalyze_job() -> None:
    """Split a full re-analysis into chunk tasks so that several workers share it."""
    from sqlalchemy import select

    from feedbackloop.feedback.models import Feedback

    with session_scope() as session:
        ids = list(session.scalars(select(Feedback.id).order_by(Feedback.id)))
    for start in range(0, len(ids), analyzing.CHUNK):
        analyze_items(ids[start : start + analyzing.CHUNK])
