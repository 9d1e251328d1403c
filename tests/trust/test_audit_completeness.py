"""Every stored item has its creation entry, written in the transaction that stores it."""

from __future__ import annotations

import csv
import threading

import pytest
from sqlalchemy import event, func, select

from feedbackloop import audit
from feedbackloop.audit.models import AuditEntry
from feedbackloop.db import get_sessionmaker
from feedbackloop.feedback import services
from feedbackloop.feedback.importer import import_file
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate


class ProcessKilled(BaseException):
    """Stands in for a kill -9 right after a chunk committed: nothing after the commit runs."""


def _creation_entries(session, ids) -> int:  # type: ignore[no-untyped-def]
    where = [AuditEntry.action == "feedback.create", AuditEntry.entity_id.in_(ids)]
    return session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0


def _killed(_ids: list[str]) -> None:
    raise ProcessKilled


@pytest.fixture
def killed_after_commit():  # type: ignore[no-untyped-def]
    """The process dies as the first after-ingest hook would run."""
    services.after_ingest_hooks.insert(0, _killed)
    yield
    services.after_ingest_hooks.remove(_killed)


def test_an_import_killed_after_a_chunk_committed_leaves_no_item_unaudited(db, tmp_path, killed_after_commit):
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["评论内容", "昵称"]] + [[f"第 {i} 条评论, 各不相同", f"用户{i}"] for i in range(25)])
    with pytest.raises(ProcessKilled):
        import_file(db, path, chunk_size=10)
    db.rollback()
    ids = list(db.scalars(select(Feedback.id)))
    assert len(ids) == 10  # the first chunk committed
    assert _creation_entries(db, ids) == 10
    assert audit.verify(db).ok


def test_the_creation_entry_commits_with_the_item(db):
    seen: list[tuple[int, int]] = []

    def count_before_commit(session) -> None:  # type: ignore[no-untyped-def]
        ids = list(session.scalars(select(Feedback.id)))
        seen.append((len(ids), _creation_entries(session, ids)))

    event.listen(db, "before_commit", count_before_commit)
    try:
        services.ingest(db, [FeedbackCreate(content=f"物流太慢 {i}") for i in range(3)])
    finally:
        event.remove(db, "before_commit", count_before_commit)
    assert seen[0] == (3, 3)


def test_concurrent_ingests_form_one_chain_with_every_entry(db):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        session = get_sessionmaker()()
        try:
            for i in range(8):
                services.ingest(session, [FeedbackCreate(content=f"并发写入 {n}-{i}-{k}") for k in range(5)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.rollback()
    ids = list(db.scalars(select(Feedback.id)))
    assert len(ids) == 4 * 8 * 5 and _creation_entries(db, ids) == len(ids)
    assert audit.verify(db).ok
