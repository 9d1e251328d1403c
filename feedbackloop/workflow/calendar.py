"""Business time: adding working minutes to an instant and measuring working time between two instants.

Pure functions over a `Hours` value, so SLA rules can be tested without a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Hours:
    """Working hours: local [start, end) on `weekdays` (Mon=0), minus `holidays`, plus `extra_workdays`."""

    tz: str = "Asia/Shanghai"
    start: time = time(9, 0)
    end: time = time(18, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working window of a local day, as aware datetimes."""
        zone = self.zone
        return datetime.combine(day, self.start, zone), datetime.combine(day, self.end, zone)


ALWAYS = None  # passing hours=None means the clock runs around the clock (24/7 policies)
_MAX_DAYS = 3660  # a calendar with no working day at all must not loop forever


def add_minutes(start: datetime, minutes: float, hours: Hours | None) -> datetime:
    """The instant `minutes` of working time after `start`."""
    if hours is None:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    local = start.astimezone(hours.zone)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if hours.is_workday(day):
            begin, end = hours.window(day)
            begin = max(begin, local)
            if begin < end:
                if begin + remaining <= end:
                    return (begin + remaining).astimezone(UTC)
                remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError("营业日历中没有工作日 / the business calendar has no working days")


def working_minutes(a: datetime, b: datetime, hours: Hours | None) -> float:
    """Working minutes between a and b (0 if b <= a)."""
    if b <= a:
        return 0.0
    if hours is None:
        return (b - a).total_seconds() / 60
    total = timedelta(0)
    day = a.astimezone(hours.zone).date()
    last = b.astimezone(hours.zone).date()
    while day <= last:
        if hours.is_workday(day):
            begin, end = hours.window(day)
            lo, hi = max(begin, a), min(end, b)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 60
