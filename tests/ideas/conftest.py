"""Idea-board fixtures: a real SMTP server (aiosmtpd) for codes and notices, staff headers, helpers that go
through the public API exactly as a customer's phone does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from idea_helpers import Sink
from mail_sink import deliver_to, smtp_server

import feedbackloop.ideas.tasks  # noqa: F401  (registers the plan and idea hooks, as the app and workers do)
from feedbackloop.config import get_settings


@pytest.fixture(scope="session")
def _smtp() -> Iterator[Sink]:
    with smtp_server(Sink()) as sink:
        yield sink


@pytest.fixture(autouse=True)
def mailbox(_smtp: Sink, monkeypatch: pytest.MonkeyPatch) -> Sink:
    return deliver_to(_smtp, monkeypatch)


@pytest.fixture(autouse=True)
def _no_intake_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Feedback made by these tests states its own analysis where it matters; no model, no triage."""
    from feedbackloop.feedback import services as feedback_services

    monkeypatch.setattr(feedback_services, "after_ingest_hooks", [])


@pytest.fixture
def pm(client, make_user):  # type: ignore[no-untyped-def]
    """A product manager's API headers."""
    from idea_helpers import headers_for

    name, pw = make_user("product_manager", display_name="产品经理王五")
    return headers_for(client, name, pw)




@pytest.fixture(autouse=True)
def _vote_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests vote many times from one client; the tests of the budget itself set it low again."""
    monkeypatch.setattr(get_settings(), "idea_votes_per_minute", 1000)
