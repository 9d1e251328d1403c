"""Business-time arithmetic: working hours, weekends, holidays, make-up working days (unit, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from feedbackloop.workflow.calendar import Hours, add_minutes, working_minutes

SH = Hours()  # Mon–Fri 09:00–18:00 Asia/Shanghai


def cst(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as UTC (UTC+8, no DST)."""
    return (
        datetime(y, m, d, hh - 8, mm, tzinfo=UTC)
        if hh >= 8
        else datetime(y, m, d - 1, hh + 16, mm, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("start", "minutes", "due", "why"),
    [
        (cst(2026, 3, 2, 10), 60, cst(2026, 3, 2, 11), "inside a Monday"),
        (cst(2026, 3, 2, 17, 30), 60, cst(2026, 3, 3, 9, 30), "runs over the evening"),
        (cst(2026, 3, 6, 17), 240, cst(2026, 3, 9, 12), "Friday evening to Monday noon"),
        (cst(2026, 3, 7, 10), 30, cst(2026, 3, 9, 9, 30), "a Saturday arrival starts Monday"),
        (cst(2026, 3, 2, 7), 60, cst(2026, 3, 2, 10), "before opening counts from 09:00"),
        (cst(2026, 3, 2, 9), 24 * 60, cst(2026, 3, 4, 15), "24 working hours = 2 days and 6 h"),
    ],
)
def test_it_adds_working_minutes(start: datetime, minutes: int, due: datetime, why: str) -> None:
    assert add_minutes(start, minutes, SH) == due, why


def test_it_skips_holidays_and_works_on_make_up_days() -> None:
    hours = Hours(
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
        extra_workdays=frozenset({date(2026, 10, 10)}),
    )
    # Wed 30 Sep 17:00 + 2 h: 1 h on Wednesday, Thu/Fri are holidays, Sat 10 Oct is a 调休 working day.
    assert add_minutes(cst(2026, 9, 30, 17), 120, hours) == cst(2026, 10, 5, 10)
    assert add_minutes(cst(2026, 10, 9, 17, 30), 60, hours) == cst(2026, 10, 10, 9, 30)


def test_around_the_clock_policies_ignore_the_calendar() -> None:
    assert add_minutes(datetime(2026, 3, 7, 15, tzinfo=UTC), 60, None) == datetime(2026, 3, 7, 16, tzinfo=UTC)


def test_it_measures_working_time_between_two_instants() -> None:
    assert working_minutes(cst(2026, 3, 6, 17), cst(2026, 3, 9, 10), SH) == 120
    assert working_minutes(cst(2026, 3, 7, 9), cst(2026, 3, 8, 18), SH) == 0
    assert working_minutes(cst(2026, 3, 9, 10), cst(2026, 3, 9, 9), SH) == 0
