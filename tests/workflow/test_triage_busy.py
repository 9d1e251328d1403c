"""An item that another transaction holds at the moment triage claims it is skipped (exactly once with several
workers) but not forgotten: triage reports it busy and the task tries it again a second later, instead of
leaving it 新建 until the reconciler's next pass minutes later."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from feedbackloop.db import get_sessionmaker
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate
from feedbackloop.workflow import tasks
from feedbackloop.workflow.triage import triage


def _untriaged(db: Session, monkeypatch: pytest.MonkeyPatch, n: int) -> list[str]:
    monkeypatch.setattr(services, "after_ingest_hooks", [])  # stored only: neither analysed nor triaged yet
    items = [FeedbackCreate(channel="api", content=f"第{i}单外卖洒了，汤全漏了") for i in range(n)]
    return services.ingest(db, items).created


def test_a_held_item_is_reported_busy_and_triaged_on_the_next_try(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: triage never meets a row another transaction holds")
    held, free = _untriaged(db, monkeypatch, 2)
    other = get_sessionmaker()()
    try:
        other.execute(text("SELECT id FROM feedback WHERE id = :id FOR NO KEY UPDATE"), {"id": held})
        busy: list[str] = []
        work = get_sessionmaker()()
        try:
            assert triage(work, [held, free], busy)["triaged"] == 1
        finally:
            work.close()
        assert busy == [held]
    finally:
        other.rollback()
        other.close()
    busy = []
    work = get_sessionmaker()()
    try:
        assert triage(work, [held, free], busy)["triaged"] == 1  # the free one is done: only the held one is left
    finally:
        work.close()
    assert busy == []
    db.expire_all()
    statuses = dict(db.execute(select(Feedback.id, Feedback.status).where(Feedback.id.in_([held, free]))).all())
    assert "new" not in statuses.values(), statuses


def test_the_task_queues_a_retry_for_busy_items_only(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduled: list[tuple[tuple[object, ...], int]] = []

    def fake_triage(session: Session, ids: list[str], busy: list[str]) -> dict[str, int]:
        busy.append(ids[-1])
        return {"triaged": len(ids) - 1, "assigned": 0}

    monkeypatch.setattr("feedbackloop.workflow.triage.triage", fake_triage)
    monkeypatch.setattr(tasks.triage_items, "schedule", lambda args, delay: scheduled.append((args, delay)))
    tasks.triage_items.call_local(["FB1", "FB2"])
    assert scheduled == [((["FB2"], 1), 1)]
    scheduled.clear()
    tasks.triage_items.call_local(["FB2"], tasks.BUSY_RETRIES)  # the last try: the reconciler takes over
    assert scheduled == []
