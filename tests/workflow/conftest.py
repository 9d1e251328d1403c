"""Workflow fixtures: a real SMTP server (aiosmtpd) that every test's mail goes to, staff users, teams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mail_sink import Sink, deliver_to, smtp_server

import feedbackloop.workflow.tasks  # noqa: F401  (registers the intake hook, as the app and workers do)


def token_for(client, username: str, password: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[Sink]:
    with smtp_server(Sink()) as sink:
        yield sink


@pytest.fixture(autouse=True)
def mailbox(_smtp_server: Sink, monkeypatch: pytest.MonkeyPatch) -> Sink:
    """The SMTP server this test's mail is delivered to (emptied per test)."""
    return deliver_to(_smtp_server, monkeypatch)


@pytest.fixture(autouse=True)
def _only_workflow_intake(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the model: intake hands new items straight to the workflow's after-analysis hook. These tests
    state the analysis they need on the record, so that they do not depend on what the analysis model of the
    day predicts (tests/integration/test_entry_points.py covers intake → analysis → triage)."""
    from feedbackloop.feedback import services as feedback_services
    from feedbackloop.workflow.tasks import on_analysed

    monkeypatch.setattr(feedback_services, "after_ingest_hooks", [on_analysed])


@pytest.fixture
def staff(client, make_user, db):  # type: ignore[no-untyped-def]
    """A supervisor and two agents with their API headers: {name: (user, headers)}."""
    from sqlalchemy import select

    from feedbackloop.accounts.models import User

    out = {}
    for key, role in (("sup", "supervisor"), ("a1", "agent"), ("a2", "agent")):
        name, pw = make_user(role, email=f"{key}@corp.example")
        user = db.scalar(select(User).where(User.username == name))
        db.commit()  # end the read so the next factory call can write (SQLite WAL snapshot)
        out[key] = (user, token_for(client, name, pw))
    return out


@pytest.fixture
def team(client, staff, admin_headers):  # type: ignore[no-untyped-def]
    """A default first-line team with both agents, round robin."""
    ids = [staff["a1"][0].id, staff["a2"][0].id]
    r = client.post(
        "/api/v1/workflow/teams",
        headers=admin_headers,
        json={
            "name": "一线客服组",
            "kind": "一线客服",
            "strategy": "round_robin",
            "is_default": True,
            "member_ids": ids,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()
