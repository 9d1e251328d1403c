"""Walks every route of the app as every role (and as nobody) and reports who got through."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auth_helpers import sign_in
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import ROLES, User

ANONYMOUS = "anonymous"
SKIP_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static", "/docs-assets"}
_PARAM = re.compile(r"{([^}:]+)(:[^}]+)?}")


def endpoints(app) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(METHOD, path template) of every route, HEAD left out."""
    for route in iter_route_contexts(app.routes):
        if route.path in SKIP_PATHS or not route.methods:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            yield method, route.path


def fill(path: str) -> str:
    """A concrete URL for a template: ids that exist nowhere, so nothing real is touched."""
    return _PARAM.sub(lambda m: "999999" if m.group(1).endswith("id") and "feedback" not in m.group(1) else "FB19990101999", path)


def csrf(client: TestClient) -> str:
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def denied(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (401, 403):
        return not (response.status_code == 403 and "csrf" in response.text.lower() and "csrf_failed" in response.text)
    return response.status_code in (302, 303, 307) and response.headers.get("location", "").startswith("/login")


def observe(
    client: TestClient, session: Session, method: str, path: str, role: str, *, scopes: list[str] | None = None
) -> tuple[bool, int]:
    """(allowed, status) for one request as `role` (a fresh sign-in each time: some routes log out).

    API routes are called with a bearer token (`scopes`, default all), pages with a browser session; with
    `scopes` given, pages get the bearer token too, which must never open them."""
    client.cookies.clear()
    headers = {"X-CSRF-Token": csrf(client)}  # anonymous: a real pre-login session with its CSRF token
    if role != ANONYMOUS:
        client.cookies.clear()
        user = session.scalar(select(User).where(User.username == f"matrix-{role}"))
        if path.startswith("/api/") or scopes is not None:
            headers = {"Authorization": f"Bearer {accounts.issue_token(session, user, scopes=scopes)}"}
            session.commit()
        else:
            headers = {"X-CSRF-Token": sign_in(client, session, user)}
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    r = client.request(method, fill(path), headers=headers, follow_redirects=False, **kwargs)
    client.cookies.clear()
    return not denied(r), r.status_code


def make_role_users(session: Session) -> None:
    for role in ROLES:
        accounts.create_user(session, f"matrix-{role}", "password-123", role=role)
    session.commit()
