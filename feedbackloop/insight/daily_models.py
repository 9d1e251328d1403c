"""Pre-aggregated daily rows of the KPIs and the dashboard (issues 12 and 13; insight/daily.py keeps them).

Every table is keyed by the China-time day ('YYYY-MM-DD') of the instant its figure counts from, and carries
each row twice over: `grain` 0 is the day's total over every filter value (what an unfiltered range reads:
a handful of rows per day), `grain` 1 is split by the filter columns (channel, team, agent, problem type,
product, customer type), so a filtered range sums only its own rows. Counts only: a ratio is a sum over
days divided by a sum over days, which is exact. Medians and p90 need the values themselves: see
`DailyMinutes`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base


class _Dims:
    """The filter columns of a grain-1 row (NULL in grain-0 rows)."""

    channel: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    problem_type: Mapped[str | None] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))


class DailyItems(_Dims, Base):
    """Items received that day (duplicates left out): the handling, SLA, complaint and positive rates."""

    __tablename__ = "agg_daily_items"
    __table_args__ = (Index("ix_agg_daily_items_day", "grain", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[str] = mapped_column(String(10))
    received: Mapped[int] = mapped_column(Integer, default=0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    sla_n: Mapped[int] = mapped_column(Integer, default=0)  # SLA outcome known (kpis._sla's denominator)
    sla_missed: Mapped[int] = mapped_column(Integer, default=0)
    analysed: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)


class DailyResolved(_Dims, Base):
    """Items resolved that day (from kpi_item_times): first-contact resolution and the repeat-issue rate."""

    __tablename__ = "agg_daily_resolved"
    __table_args__ = (Index("ix_agg_daily_resolved_day", "grain", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[str] = mapped_column(String(10))
    n: Mapped[int] = mapped_column(Integer, default=0)
    not_first: Mapped[int] = mapped_column(Integer, default=0)  # reopened, again within 7 days, or said so
    again_30d: Mapped[int] = mapped_column(Integer, default=0)


class DailySurveys(_Dims, Base):
    """Survey answers given that day, per kind and score: CSAT, NPS, CES (and their means, exactly)."""

    __tablename__ = "agg_daily_surveys"
    __table_args__ = (Index("ix_agg_daily_surveys_day", "grain", "kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)


class DailyInvitations(_Dims, Base):
    """Survey invitations sent that day, per kind, and how many of them are answered: the response rate."""

    __tablename__ = "agg_daily_invitations"
    __table_args__ = (Index("ix_agg_daily_invitations_day", "grain", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    sent: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)


class DailyMinutes(Base):
    """How many durations of one time KPI fall into each value bucket on each day (unfiltered ranges).

    A median or p90 is then exact in two steps: the bucket counts over the range say which bucket holds the
    k-th value and its rank inside it; the values of that one bucket are read from the per-item rows through
    an index on (value, day), which holds only a sliver of the range's rows."""

    __tablename__ = "agg_daily_minutes"

    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class DailyCounts(Base):
    """The dashboard's counts per received day: `kind` names the chart's dimension, `key1`/`key2` its values.

    kinds: ss (sentiment, status), pt (problem type, sentiment), ver (product version), sla (met | breached),
    aspect (aspect, polarity), keyword (word), risk (category), mention (product or module, the item's
    sentiment; distinct items). Filter columns: channel, team, product, customer type (grain 1)."""

    __tablename__ = "agg_daily_counts"
    __table_args__ = (Index("ix_agg_daily_counts_kind_day", "kind", "grain", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(10))
    day: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer)
    product: Mapped[str | None] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    key1: Mapped[str | None] = mapped_column(String(200))
    key2: Mapped[str | None] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer, default=0)


class ContactDays(Base):
    """The days a customer (by contact) had an item, each with the customer's next such day: retention.

    The customers seen in [a, b) are the rows of [a, b) whose next day is not inside [a, b) (one per customer);
    those of them seen again in [b, c) are the ones whose next day falls before c."""

    __tablename__ = "agg_contact_days"
    __table_args__ = (Index("ix_agg_contact_days_day", "day", "next_day"),)

    contact: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    next_day: Mapped[str | None] = mapped_column(String(10))


class DailyItemKeys(Base):
    """What each item last counted under (its day and contact) and from which version of it (updated_at):
    the sync finds changed items by updated_at and recounts both the old and the new day and customer."""

    __tablename__ = "agg_item_keys"
    __table_args__ = (Index("ix_agg_item_keys_source_updated_at", "source_updated_at"),)

    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True)
    source_updated_at: Mapped[datetime | None]
    day: Mapped[str] = mapped_column(String(10))
    contact: Mapped[str | None] = mapped_column(String(200))
