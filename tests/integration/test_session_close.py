"""A request's session closes after its answer is sent; a database that went away in between (a restart) must
not turn an answer already given into a broken connection (the client saw a reset)."""

from __future__ import annotations

import pytest

from feedbackloop.errors import DatabaseBusy
from feedbackloop.web import deps


class _Session:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def close(self) -> None:
        raise self.error


def test_closing_on_a_lost_connection_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    deps._close(_Session(DatabaseBusy("terminating connection due to administrator command")))  # type: ignore[arg-type]
    assert "lost database connection" in caplog.text


def test_other_errors_on_close_still_surface() -> None:
    with pytest.raises(RuntimeError):
        deps._close(_Session(RuntimeError("a bug")))  # type: ignore[arg-type]
