"""Helpers for the trust tests (a module name of its own: several test folders have a conftest.py)."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from feedbackloop.db import get_engine
from feedbackloop.models import Base

ADMIN_PASSWORD = os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"]


def token_for(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """Authorization headers for a fresh login token."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def wipe() -> None:
    """Empty every table."""
    with get_engine().begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
