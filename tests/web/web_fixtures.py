"""Fixtures for the web UI tests, imported by name (a conftest.py here would clash with `from conftest import`)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_helpers import login

__all__ = ["admin_client"]  # live_server and browser come from tests/conftest.py


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    """The TestClient signed in as admin; its CSRF token is in `admin_client.csrf`."""
    client.csrf = login(client)  # type: ignore[attr-defined]
    return client
