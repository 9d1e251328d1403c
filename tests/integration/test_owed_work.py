"""The database records the work each stored item is owed; workers claim it in disjoint batches and the
reconciler queues again what no worker finished (issue 16). SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text, update

from feedbackloop.config import get_settings
from feedbackloop.db import get_sessionmaker
from feedbackloop.feedback import analyzing
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.tasks import requeue_owed_analysis

IS_POSTGRES = os.environ["FEEDBACKLOOP_DATABASE_URL"].startswith("postgresql")


def _forget_analysis(db, ids: list[str]) -> None:
    """What a worker killed before its commit leaves behind: stored items, owed analysis."""
    with get_sessionmaker()() as session:
        session.execute(update(Feedback).where(Feedback.id.in_(ids)).values(analyzed_at=None, analysis=None))
        session.commit()


def test_analyze_owed_takes_the_oldest_owed_items_in_one_batch(db, make_feedback):
    ids = [make_feedback(content=f"外卖送得太慢了 {n}").id for n in range(5)]
    _forget_analysis(db, ids)
    with get_sessionmaker()() as session:
        assert analyzing.analyze_owed(session, limit=3) == ids[:3]
        assert analyzing.analyze_owed(session, limit=3) == ids[3:]
        assert analyzing.analyze_owed(session, limit=3) == []
    db.rollback()
    assert all(db.get(Feedback, fid).analysis["sentiment"]["label"] == "negative" for fid in ids)


@pytest.mark.skipif(not IS_POSTGRES, reason="SKIP LOCKED: PostgreSQL (SQLite has one writer at a time)")
def test_a_second_worker_skips_the_items_another_one_is_analysing(db, make_feedback):
    ids = [make_feedback(content=f"退款还没到账 {n}").id for n in range(4)]
    _forget_analysis(db, ids)
    other_worker = get_sessionmaker()()
    try:
        held = other_worker.scalars(select(Feedback.id).where(Feedback.id.in_(ids[:2])).with_for_update()).all()
        assert sorted(held) == ids[:2]
        with get_sessionmaker()() as session:
            assert analyzing.analyze_owed(session, limit=10) == ids[2:]  # the held two are not waited for
    finally:
        other_worker.rollback()  # the other worker died: its items are owed again
        other_worker.close()
    with get_sessionmaker()() as session:
        assert analyzing.analyze_owed(session, limit=10) == ids[:2]


def test_the_reconciler_queues_owed_items_past_the_grace_period_only(db, make_feedback, monkeypatch):
    ids = [make_feedback(content=f"房间有蟑螂 {n}").id for n in range(3)]
    _forget_analysis(db, ids)
    monkeypatch.setenv("FEEDBACKLOOP_RECONCILE_AFTER_SECONDS", "3600")
    get_settings.cache_clear()
    assert requeue_owed_analysis() == 0  # younger than the grace period: a worker may still hold them
    db.rollback()
    assert db.scalar(select(Feedback.analyzed_at).where(Feedback.id == ids[0])) is None
    monkeypatch.setenv("FEEDBACKLOOP_RECONCILE_AFTER_SECONDS", "0.001")
    get_settings.cache_clear()
    assert requeue_owed_analysis() == 3  # queued (run inline here: the test queue is immediate)
    db.rollback()
    owed = db.scalar(text("SELECT count(*) FROM feedback WHERE analyzed_at IS NULL"))
    assert owed == 0
    get_settings.cache_clear()
