"""Survey fixtures: a real SMTP server (aiosmtpd) for the invitation mails, a survey factory, resolved items."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from feedbackloop.config import get_settings


class Sink:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, addr: str) -> list[EmailMessage]:
        return [m for m in self.messages if addr in str(m["To"])]


@pytest.fixture(scope="session")
def _smtp() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture(autouse=True)
def mailbox(_smtp: tuple[Sink, int], monkeypatch: pytest.MonkeyPatch) -> Sink:
    sink, port = _smtp
    sink.messages.clear()
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    monkeypatch.setattr(get_settings(), "smtp_port", port)
    return sink


@pytest.fixture(autouse=True)
def _no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the workflow's intake hook: these tests are about surveys, not what the model predicts."""
    from feedbackloop.feedback import services as feedback_services
    from feedbackloop.workflow.tasks import on_ingest

    monkeypatch.setattr(feedback_services, "after_ingest_hooks", [on_ingest])


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
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
