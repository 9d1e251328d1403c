"""Insight fixtures: the hand-computed KPI month (kpi_fixture.py)."""

from __future__ import annotations

import pytest
from kpi_fixture import build
from sqlalchemy import select

from feedbackloop.accounts.models import User
from feedbackloop.insight import kpi_facts


@pytest.fixture
def month(db, make_user):  # type: ignore[no-untyped-def]
    """April 2024 as kpi_fixture builds it, with the per-item durations computed."""
    x, _ = make_user("agent")
    y, _ = make_user("agent")
    ids = {u.username: u.id for u in db.scalars(select(User))}
    build(db, ids[x], ids[y])
    assert kpi_facts.refresh(db) == 8
    return db


def token_for(client, username: str = "admin", password: str = "admin-pass-123") -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def sign_in(client, session, username: str) -> str:  # type: ignore[no-untyped-def]
    """Give `client` a browser session of `username` (as /login does); returns its CSRF token."""
    import base64
    import json
    import secrets

    import itsdangerous

    from feedbackloop.accounts import services as accounts

    user = session.scalar(select(User).where(User.username == username))
    secret = accounts.start_session(session, user)
    session.commit()
    token = secrets.token_urlsafe(16)
    payload = base64.b64encode(json.dumps({"sid": secret, "csrf": token}).encode())
    client.cookies.set("fl_session", itsdangerous.TimestampSigner("test-secret").sign(payload).decode())
    return token
