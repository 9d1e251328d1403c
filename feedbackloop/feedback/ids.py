"""`FB` + date + daily sequence ids, unique under concurrent inserts on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from feedbackloop.db import run_apart

# One atomic upsert per day and batch: the row lock (PostgreSQL) or the write lock (SQLite) serialises
# concurrent writers, so two transactions can never receive the same range.
_RESERVE = text(
    "INSERT INTO id_sequences (day, last) VALUES (:day, :n) "
    "ON CONFLICT (day) DO UPDATE SET last = id_sequences.last + :n RETURNING last"
)


def reserve_ids(session: Session, day: date, count: int = 1) -> list[str]:
    """Reserve `count` consecutive ids for `day`: unique and increasing; on PostgreSQL in a short transaction
    of its own (db.run_apart), so that concurrent intake does not take turns on the day's counter row for
    whole transactions, and a rolled-back intake leaves a gap."""
    key = day.strftime("%Y%m%d")
    last = run_apart(session, _RESERVE, {"day": key, "n": count})
    return [format_id(key, seq) for seq in range(last - count + 1, last + 1)]


def format_id(day_key: str, seq: int) -> str:
    return f"FB{day_key}{seq:03d}"
