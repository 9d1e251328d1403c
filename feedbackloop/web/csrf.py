"""CSRF protection for cookie-session requests: a per-session token for forms, checked on every write.

Forms put `csrf_token(request)` in a hidden field named `csrf_token` and the handler calls
`verify_csrf(request, token)`. JSON calls made with the login cookie pass the token in the `X-CSRF-Token`
header (or come from the same origin); bearer-token calls need neither, as no browser sends them by itself.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from feedbackloop.errors import PermissionDenied

SESSION_KEY = "csrf"
HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return str(token)


def verify_csrf(request: Request, token: str | None) -> None:
    """Raise 403 unless `token` is this session's CSRF token."""
    expected = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if not expected or not token or not hmac.compare_digest(str(expected), str(token)):
        raise PermissionDenied(
            "表单已过期或来源不可信，请刷新页面后重试 / form expired or cross-site request refused, reload the page"
        )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def check_cookie_request(request: Request) -> None:
    """For a write authenticated by the session cookie: require the CSRF header or a same-origin Origin."""
    if request.method in SAFE_METHODS or _same_origin(request):
        return
    verify_csrf(request, request.headers.get(HEADER))
