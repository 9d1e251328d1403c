"""Helpers for the import tests: write export files the way review platforms and Excel do."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedbackloop.feedback.models import Feedback


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    """Rows written by csv.writer (Excel dialect, CRLF) and encoded."""
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


@pytest.fixture
def write_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    """write_csv(rows, encoding="utf-8", name="export.csv") → path."""

    def _write(rows: list[list[object]], encoding: str = "utf-8", name: str = "export.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows, encoding))
        return path

    return _write


@pytest.fixture
def write_bytes(tmp_path: Path):  # type: ignore[no-untyped-def]
    def _write(data: bytes, name: str = "export.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture
def stored(db):  # type: ignore[no-untyped-def]
    """stored(**column_filters) → the stored records matching, in id order."""

    def _stored(**where: object) -> list[Feedback]:
        db.expire_all()
        stmt = select(Feedback).order_by(Feedback.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(Feedback, column) == value)
        return list(db.scalars(stmt))

    return _stored


@pytest.fixture
def count(db):  # type: ignore[no-untyped-def]
    """count() → how many records are stored."""

    def _count() -> int:
        db.expire_all()
        return db.scalar(select(func.count()).select_from(Feedback)) or 0

    return _count
