"""Helpers shared by the web UI tests (a uniquely named module: test folders are not packages)."""

from __future__ import annotations

import os
import re

from fastapi.testclient import TestClient

# Set by the top-level conftest before any app import.
ADMIN_PASSWORD = os.environ["FEEDBACKLOOP_ADMIN_PASSWORD"]
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    """Sign the client in through the login form; returns the new session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 200 and r.url.path == "/inbox", r.text[:500]
    return csrf_from(r.text)
