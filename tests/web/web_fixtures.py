"""Fixtures for the web UI tests, imported by name (a conftest.py here would clash with `from conftest import`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import CHROMIUM_ARGS, login

__all__ = ["admin_client", "browser", "live_server"]


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    """The TestClient signed in as admin; its CSRF token is in `admin_client.csrf`."""
    client.csrf = login(client)  # type: ignore[attr-defined]
    return client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(_schema: None) -> Iterator[str]:
    """create_app() served by uvicorn on a free localhost port, on the test database."""
    import uvicorn

    from feedbackloop.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no downloaded browsers)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
