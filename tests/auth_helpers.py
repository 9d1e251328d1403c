"""Signing in from tests: a bearer token through the real token endpoint, or a browser session (the server-side
record /login makes, with its signed cookie). One copy for every test package."""

from __future__ import annotations

import base64
import json
import os
import secrets

import itsdangerous
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import User

ADMIN_PASSWORD = os.environ.get("FEEDBACKLOOP_ADMIN_PASSWORD", "admin-pass-123")


def token_for(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """Authorization headers for a fresh login token."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def session_cookie(data: dict[str, str], secret: str = "test-secret") -> str:
    """A signed `fl_session` cookie holding `data`, as Starlette's SessionMiddleware writes it."""
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(secret).sign(payload).decode()


def sign_in(client: TestClient, session: Session, user: User | str) -> str:
    """Give `client` a fresh browser session of `user` (a User or a username); returns its CSRF token."""
    if isinstance(user, str):
        found = session.scalar(select(User).where(User.username == user))
        assert found is not None, f"no user {user!r}"
        user = found
    secret = accounts.start_session(session, user)
    session.commit()
    token = secrets.token_urlsafe(16)
    client.cookies.set("fl_session", session_cookie({"sid": secret, "csrf": token}))
    return token
