"""The inbox's sorts and its search can be served by the indexes of migration 0008d (the query plans say so).

A test database is small, so a planner may rightly prefer to read the whole table; on PostgreSQL the test
forbids sequential scans and sorts for the statement, so the plan shows whether an index *can* serve it (the
ORDER BY spells the index's expressions exactly). bench/inbox_bench.py --explain shows the plans at 1,000,000
items."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from feedbackloop.feedback import services
from feedbackloop.feedback.models import Feedback


def plan(db, filters: services.FeedbackFilter, sort: str, *, filtering: bool = False) -> str:  # type: ignore[no-untyped-def]
    stmt = services.ordered(select(Feedback.id).where(*services.filter_conditions(filters)), sort).limit(50)
    bind = db.get_bind()
    sql = str(stmt.compile(bind, compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
        db.execute(text("SET LOCAL enable_sort = off"))
        if filtering:  # a filter's index is read as a bitmap: without plain index walks, which index can serve it
            db.execute(text("SET LOCAL enable_indexscan = off"))
            # Else a disabled index walk plus an incremental sort could cost the same as the filter's bitmap
            # plus a disabled sort, and the planner took either by the table's current statistics.
            db.execute(text("SET LOCAL enable_incremental_sort = off"))
        lines = [r[0] for r in db.execute(text("EXPLAIN " + sql))]
    else:
        lines = [r[-1] for r in db.execute(text("EXPLAIN QUERY PLAN " + sql))]
    db.rollback()
    return "\n".join(lines)


@pytest.fixture
def items(make_feedback) -> None:  # type: ignore[no-untyped-def]
    for n in range(30):
        make_feedback(content=f"第{n}条: 房间很干净, 但是早餐很差")


@pytest.mark.parametrize(
    ("sort", "indexes"),
    [("priority", ("ix_feedback_inbox_priority",)), ("sla", ("ix_feedback_inbox_sla",)),
     # Two indexes lead with received_at and both serve this order; the planner picks either by its statistics.
     ("newest", ("ix_feedback_received_at", "ix_feedback_dashboard"))],
)
def test_each_sort_reads_its_index_in_order(db, items, sort, indexes):
    found = plan(db, services.FeedbackFilter(), sort)
    assert any(index in found for index in indexes), found
    # No sort of the rows; PostgreSQL may still order equal received_at by id (an incremental sort).
    assert "TEMP B-TREE FOR ORDER BY" not in found and ("Sort Key" not in found or "Presorted Key" in found), found


def test_the_breached_view_finds_its_items_by_the_next_due_index(db, items):
    from datetime import UTC, datetime

    found = plan(db, services.FeedbackFilter(due_before=datetime(2026, 1, 1, tzinfo=UTC)), "newest", filtering=True)
    assert "ix_feedback_next_due" in found or "ix_feedback_inbox_sla" in found, found


def test_a_search_reads_the_search_index(db, items):
    found = plan(db, services.FeedbackFilter(q="早餐很差"), "newest", filtering=True)
    if db.get_bind().dialect.name == "postgresql":
        assert "ix_feedback_search" in found, found
    else:
        assert "feedback_fts VIRTUAL TABLE" in found, found
