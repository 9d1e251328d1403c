"""Helpers of the insight tests (a uniquely named module: test folders are not packages)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str = "admin", password: str | None = None) -> str:
    """Sign the client in through the login form; returns the session's CSRF token."""
    from conftest import ADMIN_PASSWORD

    token = csrf_from(client.get("/login").text)
    data = {"username": username, "password": password or ADMIN_PASSWORD, "csrf_token": token}
    r = client.post("/login", data=data)
    assert r.status_code == 200, r.text[:500]
    return csrf_from(r.text)
