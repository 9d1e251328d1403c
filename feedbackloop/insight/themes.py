"""Themes over time from stored feedback: the input `analysis.find_themes` takes, and recent themes with trends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock

HISTORY_PERIODS = 4


def analysed_items(session: Session, start: datetime, end: datetime | None = None) -> list[tuple[str, datetime, Any]]:
    """(content, received_at, analysis) of the analysed originals (not duplicates) received in [start, end),
    the input `find_themes` takes."""
    where = [Feedback.received_at >= start, Feedback.analysis.is_not(None), Feedback.duplicate_of.is_(None)]
    if end is not None:
        where.append(Feedback.received_at < end)
    stmt = select(Feedback.content, Feedback.received_at, Feedback.analysis).where(*where)
    return [(content, received, analysis) for content, received, analysis in session.execute(stmt)]


def recent_themes(session: Session, period: timedelta) -> list[Any]:
    """Themes of the latest `period` against earlier periods of the same length (trend, emerging issues)."""
    from feedbackloop.analysis import find_themes

    now = clock.now()
    items = analysed_items(session, now - period * (HISTORY_PERIODS + 1))
    return find_themes(items, now=now, period=period, history_periods=HISTORY_PERIODS)
