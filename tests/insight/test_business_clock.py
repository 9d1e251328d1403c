"""The KPI refresh's O(1) business clock gives the same working minutes as workflow.calendar."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from feedbackloop.insight.kpi_facts import BusinessClock
from feedbackloop.workflow.calendar import Hours, working_minutes

HOURS = Hours(holidays=frozenset({date(2024, 4, 4), date(2024, 5, 1)}), extra_workdays=frozenset({date(2024, 4, 7)}),
              start=time(9, 0), end=time(18, 0))  # fmt: skip


def test_it_matches_the_calendar_on_random_spans_across_holidays_and_make_up_days():
    rng = random.Random(3)
    clock = BusinessClock(HOURS)
    base = datetime(2024, 3, 25, tzinfo=UTC)
    for _ in range(2000):
        a = base + timedelta(minutes=rng.uniform(0, 60 * 24 * 50))
        b = a + timedelta(minutes=rng.choice([rng.uniform(0, 600), rng.uniform(0, 60 * 24 * 12)]))
        assert abs(clock.minutes(a, b) - working_minutes(a, b, HOURS)) < 1e-6


def test_nothing_counts_on_a_holiday_and_a_make_up_sunday_counts_in_full():
    clock = BusinessClock(HOURS)
    cn = HOURS.zone
    assert clock.minutes(datetime(2024, 4, 4, 8, tzinfo=cn), datetime(2024, 4, 4, 20, tzinfo=cn)) == 0
    assert clock.minutes(datetime(2024, 4, 7, 0, tzinfo=cn), datetime(2024, 4, 8, 0, tzinfo=cn)) == 540
    assert clock.minutes(datetime(2024, 4, 8, 12, tzinfo=cn), datetime(2024, 4, 8, 11, tzinfo=cn)) == 0
