"""db.insert_rows stores rows exactly as Core's INSERT does (on PostgreSQL it goes through COPY): the same
values, Python-side defaults for absent keys, SQL NULL for absent keys without a default, JSON null for an
explicit None in a JSON column, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from feedbackloop import db as dbmod
from feedbackloop.audit.models import AuditEntry
from feedbackloop.db import insert_rows
from feedbackloop.feedback.models import Feedback

FEEDBACK = cast(Table, Feedback.__table__)


def _rows(prefix: str, n: int) -> list[dict[str, Any]]:
    cst = timezone(timedelta(hours=8))
    return [
        {
            "id": f"{prefix}{i:03d}", "channel": "api", "content": f"第{i}条\t含制表符、引号\"和反斜杠\\以及换行\n结束",
            "customer_name": None if i % 2 else "王女士", "contact": None, "received_at": datetime(2026, 12, 4, 9, i % 60, tzinfo=cst),
            "analysis": None if i % 3 == 0 else {"sentiment": "negative", "score": 0.25, "words": ["慢", "凉"]},
            "tags": ["加急", "复购"] if i % 4 == 0 else None, "is_vague": bool(i % 5 == 0), "content_hash": f"h{i}",
            "mh0": i, "search_terms": "外 卖 外卖",
        }
        for i in range(n)
    ]  # fmt: skip


def _stored(session: Session, prefix: str) -> list[dict[str, Any]]:
    json_null = {  # how each JSON column holds its value: SQL NULL or the JSON value null
        c: session.execute(text(f"SELECT id, {c} IS NULL FROM feedback WHERE id LIKE :p ORDER BY id"), {"p": prefix + "%"}).all()  # noqa: S608
        for c in ("analysis", "tags", "priority_reasons")
    }  # fmt: skip
    out = []
    for n, record in enumerate(session.scalars(select(Feedback).where(Feedback.id.like(prefix + "%")).order_by(Feedback.id))):
        values = {c.key: getattr(record, c.key) for c in FEEDBACK.columns if c.key not in ("id", "created_at", "updated_at")}
        values.update({f"{c}_is_sql_null": bool(json_null[c][n][1]) for c in json_null})
        out.append(values)
    return out


@pytest.mark.parametrize("n", [3, 60])  # under and over the COPY threshold
def test_insert_rows_stores_what_a_core_insert_stores(db: Session, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    db.execute(FEEDBACK.insert(), _rows("FBCORE", n))
    insert_rows(db, FEEDBACK, _rows("FBROWS", n))
    db.commit()
    db.expire_all()
    core, ours = _stored(db, "FBCORE"), _stored(db, "FBROWS")
    assert len(core) == len(ours) == n
    assert ours == core
    assert ours[0]["received_at"] == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    assert ours[1]["customer_type"] == "new" and ours[1]["escalation_level"] == 1  # Python-side defaults
    assert ours[0]["analysis_is_sql_null"] is False  # an explicit None is JSON null, as the INSERT stores it
    assert ours[0]["priority_reasons_is_sql_null"] is True  # absent: SQL NULL


def test_the_audit_table_goes_through_copy_on_postgresql(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's; SQLite takes the INSERT path")
    used: list[str] = []
    monkeypatch.setattr(dbmod, "COPY_FROM_ROWS", 1)
    real_execute = Session.execute

    def spy(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(str(statement)[:20])
        return real_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", spy)
    insert_rows(db, cast(Table, AuditEntry.__table__), [
        {"seq": 900 + i, "at": datetime(2026, 12, 4, tzinfo=UTC), "actor": "t", "action": "x.y", "entity": "x",
         "entity_id": str(i), "before": None, "after": {"a": i}, "prev_hash": "0" * 64, "hash": f"{i:064d}"}
        for i in range(3)
    ])  # fmt: skip
    assert not any(s.startswith("INSERT") for s in used), "no INSERT statement was built"
    monkeypatch.undo()
    got = db.execute(text("SELECT seq, after, before IS NULL FROM audit_log WHERE seq >= 900 ORDER BY seq")).all()
    assert [(s, a) for s, a, _ in got] == [(900, {"a": 0}), (901, {"a": 1}), (902, {"a": 2})]
    db.rollback()
