"""Insight fixtures: the hand-computed KPI month (kpi_fixture.py)."""

from __future__ import annotations

import pytest
from kpi_fixture import build
from sqlalchemy import select

from feedbackloop.accounts.models import User
from feedbackloop.insight import kpi_facts


@pytest.fixture
def month(db, make_user):  # type: ignore[no-untyped-def]
    """April 2024 as kpi_fixture builds it, with the per-item durations computed."""
    x, _ = make_user("agent")
    y, _ = make_user("agent")
    ids = {u.username: u.id for u in db.scalars(select(User))}
    build(db, ids[x], ids[y])
    assert kpi_facts.refresh(db) == 8
    return db

