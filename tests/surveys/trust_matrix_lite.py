"""Signing a test client in as a user with a browser session (as /login does)."""

from __future__ import annotations

import base64
import json
import secrets

import itsdangerous
from sqlalchemy import select

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import User


def sign_in(client, session, username: str) -> str:  # type: ignore[no-untyped-def]
    """Give `client` a browser session of `username`; returns its CSRF token."""
    user = session.scalar(select(User).where(User.username == username))
    secret = accounts.start_session(session, user)
    session.commit()
    token = secrets.token_urlsafe(16)
    payload = base64.b64encode(json.dumps({"sid": secret, "csrf": token}).encode())
    client.cookies.set("fl_session", itsdangerous.TimestampSigner("test-secret").sign(payload).decode())
    return token
