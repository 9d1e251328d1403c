"""Helpers for the improvement-plan tests: feedback with a stated analysis at a stated time."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from feedbackloop.feedback.models import Feedback

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in China
SLOW = "aspect:送餐速度:negative"
FAST = "aspect:送餐速度:positive"


def analysed(db, make_feedback, at: datetime, *, aspect: str = "送餐速度", polarity: str = "negative",  # type: ignore[no-untyped-def]
             problem_type: str = "物流", text: str = "送餐太慢了"):  # fmt: skip
    """An item received at `at` whose analysis says `aspect` is `polarity` (the model is not asked); the texts
    are near-duplicates of each other, so the duplicate link intake makes is cleared."""
    label = "positive" if polarity == "positive" else "negative"
    analysis = {"sentiment": {"label": label, "score": 0.9 if label == "positive" else 0.1},
                "problem_type": problem_type, "aspects": [{"aspect": aspect, "sentiment": polarity}],
                "urgency": "一般", "urgency_reasons": [], "keywords": []}  # fmt: skip
    record = make_feedback(content=f"{text} {at.isoformat()}", received_at=at)
    db.execute(update(Feedback).where(Feedback.id == record.id).values(analysis=analysis, sentiment=label, duplicate_of=None))
    db.commit()
    return record
