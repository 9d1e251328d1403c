"""`FB` + date + daily sequence ids stay unique when many writers insert at once (SPEC §11)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import select

from feedbackloop.db import get_sessionmaker
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate

DAY = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def _writer(worker: int) -> list[str]:
    session = get_sessionmaker()()
    try:
        ids = []
        for n in range(10):
            items = [FeedbackCreate(content=f"写者{worker}的第{n}批第{k}条反馈", received_at=DAY) for k in range(3)]
            ids += services.ingest(session, items).created
        return ids
    finally:
        session.close()


def test_concurrent_writers_get_unique_consecutive_ids(db):
    hooks = list(services.after_ingest_hooks)  # only the id allocation is under test here
    services.after_ingest_hooks.clear()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(_writer, range(8)))
    finally:
        services.after_ingest_hooks.extend(hooks)
    ids = [i for r in results for i in r]
    assert len(ids) == len(set(ids)) == 240
    assert sorted(ids) == [f"FB20240301{seq:03d}" for seq in range(1, 241)]
    stored = db.scalars(select(Feedback.id).where(Feedback.id.like("FB20240301%"))).all()
    assert sorted(stored) == sorted(ids)
