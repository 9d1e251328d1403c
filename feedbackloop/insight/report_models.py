"""Tables of issue 13: report subscriptions (scheduled reports) and churn follow-ups a CSM took on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow

SUBSCRIPTION_PERIODS = {"week": "每周", "month": "每月"}


class ReportSubscription(Base):
    """A list of addresses that gets the weekly or monthly report, with the PDF attached, by mail."""

    __tablename__ = "report_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(10))  # week | month
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The end of the last period mailed: a period is sent once, whichever worker gets there first.
    last_period_end: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))

    @property
    def period_label(self) -> str:
        return SUBSCRIPTION_PERIODS.get(self.period, self.period)


class ChurnTask(Base):
    """A customer at risk that a CSM took on; the customer is named by a digest of the contact only."""

    __tablename__ = "churn_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(40), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    score: Mapped[float] = mapped_column(default=0.0)
    feedback_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
