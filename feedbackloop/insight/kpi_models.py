"""KPI tables: the targets supervisors set, and per-item durations kept up to date for the time KPIs.

Durations in business minutes need the business calendar (holidays, make-up workdays) and the item's
waiting-on-customer intervals from its history; SQL cannot do that portably. So each item's durations are
computed once per change (insight/kpi_facts.py, set-based refresh of the items changed since) and the KPI
queries aggregate these rows in SQL (medians and p90 by the database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow
from feedbackloop.feedback.models import Feedback

# The KPI refresh finds the items changed since its last run by this index (declared here: the column is the
# feedback record's, the need is the KPIs').
Index("ix_feedback_updated_at", Feedback.updated_at)
# Covering index of the item-count KPIs (handling, complaint and positive rate, retention): a range of days is
# answered from the index alone, without a table lookup per item.
Index("ix_feedback_kpi_received", Feedback.received_at, Feedback.duplicate_of, Feedback.status, Feedback.sentiment,
      Feedback.contact)  # fmt: skip


class KpiTarget(Base):
    """A supervisor's target for one KPI, with the direction that counts as better."""

    __tablename__ = "kpi_targets"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    target: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(6), default="higher")  # higher | lower
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KpiItemTimes(Base):
    """One item's durations (calendar and business minutes, waiting on the customer excluded)."""

    __tablename__ = "kpi_item_times"
    __table_args__ = (
        # Covering indexes: each time KPI reads a range of its anchor day and the minutes from the index alone.
        Index("ix_kpi_item_times_first_response_at", "first_response_at", "first_response_business_minutes",
              "first_response_minutes"),
        Index("ix_kpi_item_times_resolved_at", "resolved_at", "resolution_business_minutes", "resolution_minutes",
              "reopened", "again_7d", "again_30d", "said_not_first"),
        Index("ix_kpi_item_times_confirmed_at", "confirmed_at", "followup_business_minutes", "followup_minutes"),
        Index("ix_kpi_item_times_source_updated_at", "source_updated_at"),
        # The exact median / p90 of an unfiltered range (insight.daily.percentile_values): the values of one
        # value bucket in value order, with the anchor to keep those of the range.
        *(Index(f"ix_kpi_item_times_{value}_value", value, anchor) for value, anchor in (
            ("first_response_business_minutes", "first_response_at"), ("first_response_minutes", "first_response_at"),
            ("resolution_business_minutes", "resolved_at"), ("resolution_minutes", "resolved_at"),
            ("followup_business_minutes", "confirmed_at"), ("followup_minutes", "confirmed_at"))),
    )

    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_updated_at: Mapped[datetime | None]  # the item's updated_at these figures were computed from
    # The item's own filter columns, copied so that the time KPIs need no join (kept current by the refresh).
    channel: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    problem_type: Mapped[str | None] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    first_response_at: Mapped[datetime | None]
    first_response_minutes: Mapped[float | None] = mapped_column(Float)
    first_response_business_minutes: Mapped[float | None] = mapped_column(Float)
    resolved_at: Mapped[datetime | None]
    resolution_minutes: Mapped[float | None] = mapped_column(Float)
    resolution_business_minutes: Mapped[float | None] = mapped_column(Float)
    confirmed_at: Mapped[datetime | None]
    followup_minutes: Mapped[float | None] = mapped_column(Float)
    followup_business_minutes: Mapped[float | None] = mapped_column(Float)
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    # The same customer raised the same problem type again within 7 / 30 days of this resolution (a later
    # item of theirs makes the refresh recompute this row), and the customer said "not solved first time".
    again_7d: Mapped[bool] = mapped_column(Boolean, default=False)
    again_30d: Mapped[bool] = mapped_column(Boolean, default=False)
    said_not_first: Mapped[bool] = mapped_column(Boolean, default=False)


class KpiHandoff(Base):
    """One assignment and the new owner's first action after it (hand-off time)."""

    __tablename__ = "kpi_handoffs"
    __table_args__ = (
        Index("ix_kpi_handoffs_assigned_at", "assigned_at", "business_minutes", "minutes"),
        Index("ix_kpi_handoffs_business_minutes_value", "business_minutes", "assigned_at"),
        Index("ix_kpi_handoffs_minutes_value", "minutes", "assigned_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(String(20))
    problem_type: Mapped[str | None] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    assigned_at: Mapped[datetime]
    acted_at: Mapped[datetime]
    minutes: Mapped[float] = mapped_column(Float)
    business_minutes: Mapped[float] = mapped_column(Float)
