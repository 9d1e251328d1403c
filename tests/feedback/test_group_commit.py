"""Group commit of single items (issue 16): concurrent single-item intake shares transactions, and each caller
still gets exactly its own answer — its id, created or not, its own error."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedbackloop.audit.models import AuditEntry
from feedbackloop.audit.services import verify
from feedbackloop.db import get_sessionmaker
from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate
from feedbackloop.lib.group_commit import GroupCommit


def test_concurrent_callers_share_units_of_work_and_each_gets_its_own_result() -> None:
    sizes: list[int] = []

    def work(_: object, items: list[int]) -> list[int]:
        sizes.append(len(items))
        time.sleep(0.02)  # a commit's worth of time, during which the next callers queue up
        return [i * 10 for i in items]

    group: GroupCommit[object, int, int] = GroupCommit(work)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: group.submit(None, i), range(64)))
    assert results == [i * 10 for i in range(64)]
    assert sum(sizes) == 64
    assert max(sizes) > 1 and len(sizes) < 64


def test_a_lone_caller_runs_at_once_and_a_bad_item_fails_only_its_own_caller() -> None:
    calls: list[list[str]] = []
    gate = threading.Event()

    def work(_: object, items: list[str]) -> list[str]:
        calls.append(items)
        if items == ["first"]:
            gate.wait(5)  # hold the first unit of work so that the others queue behind it
        if "bad" in items:
            raise ValueError("bad item")
        return [i.upper() for i in items]

    group: GroupCommit[object, str, str] = GroupCommit(work)
    cleaned: list[object] = []
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(group.submit, None, "first")
        time.sleep(0.1)
        rest = [pool.submit(group.submit, None, i, cleaned.append) for i in ("a", "bad", "b")]
        time.sleep(0.1)
        gate.set()
        assert first.result() == "FIRST"
        assert rest[0].result() == "A" and rest[2].result() == "B"
        with pytest.raises(ValueError, match="bad item"):
            rest[1].result()
    assert calls[0] == ["first"]
    assert sorted(calls[1]) == ["a", "b", "bad"]  # tried together once, then each alone
    assert sorted(map(tuple, calls[2:])) == [("a",), ("b",), ("bad",)]
    assert cleaned == [None]  # the failed shared run was cleaned up once


def _store(item: FeedbackCreate) -> tuple[str, bool]:
    session = get_sessionmaker()()
    try:
        record, created = services.create_one(session, item)
        return record.id, created
    finally:
        session.close()


def test_concurrent_single_items_on_the_database_are_stored_audited_and_deduplicated(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Work after each commit takes a while (as analysis hooks may), so that callers queue behind it.
    monkeypatch.setattr(services, "after_ingest_hooks", [*services.after_ingest_hooks, lambda ids: time.sleep(0.05)])
    group = services._intake_group(db)
    before = group.batches
    items = [FeedbackCreate(channel="api", content=f"第{n}条：外卖送得太慢，汤洒了", external_id=f"g-{n}")
             for n in range(40)]  # fmt: skip
    items += [FeedbackCreate(channel="api", content="同一条重复推送", external_id="same")] * 6
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(_store, items))
    ids = [fid for fid, _ in answers]
    assert len(set(ids[:40])) == 40
    same = answers[40:]
    assert len({fid for fid, _ in same}) == 1, "every copy of one external id answers with the one stored item"
    assert sum(created for _, created in same) == 1
    assert all(created for _, created in answers[:40])
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Feedback)) == 41
    created_entries = db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "feedback.create")
    )
    assert created_entries == 41
    assert verify(db).ok
    assert group.batches > before, "some items shared a transaction"


def test_an_open_intake_transaction_does_not_hold_the_days_id_counter(db: Session) -> None:
    """PostgreSQL: ids are reserved in a short transaction of their own, so a second intake never waits for a
    first one's commit (it took turns before); SQLite has one writer anyway and reserves in the transaction."""
    from datetime import date

    from feedbackloop.feedback.ids import reserve_ids

    first = get_sessionmaker()()
    second = get_sessionmaker()()
    try:
        day = date(2026, 12, 4)
        held = reserve_ids(first, day, 3)  # `first` stays open, as an intake transaction would
        if db.get_bind().dialect.name != "postgresql":
            first.commit()
        began = time.monotonic()
        other = reserve_ids(second, day, 2)
        assert time.monotonic() - began < 1.0
        assert held == ["FB20261204001", "FB20261204002", "FB20261204003"]
        assert other == ["FB20261204004", "FB20261204005"]
        first.rollback()  # the first intake fails: its ids are not handed out again (a gap, as a sequence has)
        second.commit()
        assert reserve_ids(second, day, 1) == ["FB20261204006"]
        second.commit()
    finally:
        first.close()
        second.close()


def test_a_failing_clean_up_still_lets_every_caller_run_its_own_item() -> None:
    """A rollback on a connection the database just dropped raises too: the callers must still retry alone
    (each then gets its own answer or error), never return nothing."""
    gate = threading.Event()

    def work(_: object, items: list[str]) -> list[str]:
        if items == ["first"]:
            gate.wait(5)
        if len(items) > 1:
            raise ConnectionError("server closed the connection")
        return [i.upper() for i in items]

    def clean_up(_: object) -> None:
        raise ConnectionError("rollback on a dead connection")

    group: GroupCommit[object, str, str] = GroupCommit(work)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(group.submit, None, "first", clean_up)
        time.sleep(0.1)
        rest = [pool.submit(group.submit, None, i, clean_up) for i in ("a", "b", "c")]
        time.sleep(0.1)
        gate.set()
        assert [f.result() for f in [first, *rest]] == ["FIRST", "A", "B", "C"]
