"""A process that starts while its database restarts (or is not up yet) waits for it, instead of exiting:
two workers of the cluster once died that way at start, and their share of the work waited for a person."""

from __future__ import annotations

import pytest

from feedbackloop import bootstrap
from feedbackloop.config import get_settings
from feedbackloop.errors import DatabaseBusy


def test_start_retries_while_the_database_is_unreachable_then_proceeds(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def flaky(settings: object) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise DatabaseBusy("the database system is shutting down")

    monkeypatch.setattr(bootstrap, "_prepare", flaky)
    monkeypatch.setattr(bootstrap.time, "sleep", lambda s: None)
    bootstrap.prepare_database(get_settings())
    assert len(calls) == 3


def test_start_gives_up_on_other_errors_at_once_and_on_unreachable_after_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(settings: object) -> None:
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(bootstrap, "_prepare", broken)
    with pytest.raises(ValueError):
        bootstrap.prepare_database(get_settings())

    def down(settings: object) -> None:
        raise DatabaseBusy("still down")

    monkeypatch.setattr(bootstrap, "_prepare", down)
    monkeypatch.setattr(bootstrap.time, "sleep", lambda s: None)
    with pytest.raises(DatabaseBusy):
        bootstrap.prepare_database(get_settings(), wait=0.0)
