"""Injectable time: services ask the clock, tests move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")  # the business time zone of days, reports and mails



class Clock:
    """The wall clock, optionally shifted or frozen for tests."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        base = self._frozen if self._frozen is not None else datetime.now(UTC)
        return base + self._offset

    def freeze(self, at: datetime) -> None:
        self._frozen = at if at.tzinfo else at.replace(tzinfo=UTC)
        self._offset = timedelta(0)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta(0)


clock = Clock()
