"""Survey fixtures: a real SMTP server (aiosmtpd) for the invitation mails, a survey factory, resolved items."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mail_sink import Sink, deliver_to, smtp_server


@pytest.fixture(scope="session")
def _smtp() -> Iterator[Sink]:
    with smtp_server(Sink()) as sink:
        yield sink


@pytest.fixture(autouse=True)
def mailbox(_smtp: Sink, monkeypatch: pytest.MonkeyPatch) -> Sink:
    return deliver_to(_smtp, monkeypatch)


@pytest.fixture(autouse=True)
def _no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the workflow's intake hook: these tests are about surveys, not what the model predicts."""
    from feedbackloop.feedback import services as feedback_services
    from feedbackloop.workflow.tasks import on_analysed

    monkeypatch.setattr(feedback_services, "after_ingest_hooks", [on_analysed])


@pytest.fixture
def new_survey(client, admin_headers):  # type: ignore[no-untyped-def]
    """Factory: new_survey("nps", on_resolve=True) → the survey as the API returns it."""

    def _make(kind: str = "nps", **fields: object) -> dict:  # type: ignore[type-arg]
        r = client.post("/api/v1/surveys", json={"name": f"{kind} 调查", "kind": kind, **fields}, headers=admin_headers)
        assert r.status_code == 201, r.text
        return r.json()

    return _make


@pytest.fixture
def resolved_item(client, admin_headers):  # type: ignore[no-untyped-def]
    """Factory: an item taken by admin and resolved through the API; returns its id."""

    def _make(contact: str = "wang@example.com", content: str = "快递三天还没到", **fields: object) -> str:
        r = client.post("/api/v1/feedback", json={"content": content, "contact": contact, **fields}, headers=admin_headers)
        assert r.status_code == 201, r.text
        fid = r.json()["id"]
        for to in ("assigned", "resolved"):
            t = client.post(f"/api/v1/feedback/{fid}/transition", json={"to": to}, headers=admin_headers)
            assert t.status_code == 200, t.text
        return fid

    return _make



def token_for(client, username: str = "admin", password: str = "admin-pass-123") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """As tests/conftest.py's: test modules here import it `from conftest`, which resolves to this file."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}

ADMIN_PASSWORD = "admin-pass-123"  # as tests/conftest.py's, for modules that import it `from conftest`
