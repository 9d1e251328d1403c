"""Request-scoped dependencies: the database session and the current user."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import ApiToken, User
from feedbackloop.db import get_read_sessionmaker, get_sessionmaker
from feedbackloop.errors import AuthenticationFailed, PermissionDenied
from feedbackloop.privacy import can_see_contact
from feedbackloop.web.csrf import SAFE_METHODS, check_cookie_request
from feedbackloop.web.dberrors import is_busy

log = logging.getLogger(__name__)

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: a reader for GET/HEAD, a writer (locks up front on SQLite) otherwise."""
    factory = get_read_sessionmaker if request.method in SAFE_METHODS else get_sessionmaker
    session = factory()()
    try:
        yield session
    finally:
        _close(session)


def _close(session: Session) -> None:
    """End the request's session. It closes after the answer is sent: if the database went away meanwhile (a
    restart), the rollback of its last read fails, and that error must not break an answer already given;
    the pool replaces the dead connection."""
    try:
        session.close()
    except Exception as exc:
        if not is_busy(exc):
            raise
        log.warning("session closed on a lost database connection: %s", str(getattr(exc, "orig", exc)).strip()[:200])


def get_read_session() -> Iterator[Session]:
    """A reader session even for a POST: for routes that must check something before they may write
    (webhooks verify the signature first); begin_write() makes it a writer when it is time."""
    session = get_read_sessionmaker()()
    try:
        yield session
    finally:
        _close(session)


async def raw_body(request: Request) -> bytes:
    """The request body, awaited on the event loop, so that the route itself can be a plain `def`."""
    return await request.body()


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
RawBody = Annotated[bytes, Depends(raw_body)]


def scope_for(request: Request) -> str | None:
    """The token scope a request needs: `<area>:read|write` for /api/v1/<area>/…, None elsewhere.

    Signing in, asking who one is and logging out need none; changing the owner's password needs
    `account:write` (which only "*" and "admin" tokens hold in practice)."""
    parts = request.url.path.split("/")
    if len(parts) < 4 or parts[1:3] != ["api", "v1"] or parts[3] == "":
        return None
    if parts[3] == "auth":
        return "account:write" if parts[4:5] == ["password"] else None
    safe = request.method in SAFE_METHODS
    if parts[3] == "feedback" and not safe and (parts[4:5] == ["bulk"] or (len(parts) > 5 and parts[5] in WORKFLOW_ACTIONS)):
        return "workflow:write"  # handling items is not intake: a feedback:write token only pushes feedback in
    return f"{parts[3]}:{'read' if safe else 'write'}"


# /api/v1/feedback/{id}/<action> routes that handle an item (status, owner, replies, escalation, corrections):
# they need `workflow:write`, like /api/v1/workflow/…, not the intake scope `feedback:write`.
WORKFLOW_ACTIONS = frozenset({"transition", "claim", "assign", "escalate", "replies", "render-template", "kb",
                              "corrections"})


def _check_scope(request: Request, scopes: list[str], needed: str | None) -> None:
    if not accounts.scope_allows(scopes, needed):
        raise PermissionDenied(
            f"此令牌没有 '{needed}' 权限，请管理员签发带该权限的令牌 / token lacks scope '{needed}'",
            code="insufficient_scope",
        )


def _admit(request: Request, session: Session, user: User, record: ApiToken, scopes: list[str]) -> User:
    """End the authentication transaction and remember who is asking, with what scopes."""
    touch = accounts.token_use_is_stale(record)
    session.commit()
    if touch:
        accounts.record_token_use(record.id)
    session.info["actor"] = user.username  # who the audit log names for this request's changes
    request.state.token_scopes = scopes
    request.state.credential = {"kind": record.kind, "id": record.id, "name": record.name}
    return user


def _bearer_user(request: Request, session: Session, token: str) -> User:
    user, record = accounts.user_for_token(session, token)
    _admit(request, session, user, record, record.scopes)
    _check_scope(request, record.scopes, scope_for(request))
    return user


SESSION_KEY = "sid"  # the browser session's secret in the signed cookie (its hash is an ApiToken row)


def session_user(request: Request, session: Session) -> User:
    """The user of the browser's sign-in session, checked against the server-side record every time, so
    that logout, a password change and deactivation end every copy of the cookie."""
    secret = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if not isinstance(secret, str):
        raise AuthenticationFailed("请先登录 / please log in")
    try:
        user, record = accounts.user_for_token(session, secret, kind="session")
    except AuthenticationFailed:
        session.commit()
        request.session.pop(SESSION_KEY, None)
        raise AuthenticationFailed("登录已失效，请重新登录 / session ended, please log in again") from None
    request.state.session_token_id = record.id
    return _admit(request, session, user, record, ["*"])


def end_browser_session(request: Request, session: Session) -> None:
    """Log the browser out on the server too: its session record is revoked, so that a copy of the
    cookie opens nothing afterwards; the cookie loses the secret."""
    secret = request.session.pop(SESSION_KEY, None) if "session" in request.scope else None
    if isinstance(secret, str):
        accounts.revoke_bearer(session, secret)


def get_current_user(request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2)]) -> User:
    """The API caller: a bearer token's user (within its scopes), or the browser session's (CSRF-checked)."""
    # Authentication is its own short transaction: a writer request must not hold SQLite's write lock
    # while its route hands work to code with a session of its own (tasks, hooks).
    if token:
        return _bearer_user(request, session, token)
    user = session_user(request, session)
    if request.url.path.startswith("/api/"):
        check_cookie_request(request)
    return user


def get_page_user(request: Request, session: SessionDep) -> User:
    """A web page's user: the browser session only. A bearer token (an integration's, say) never opens
    the web UI, whatever its scopes."""
    return session_user(request, session)


CurrentUser = Annotated[User, Depends(get_current_user)]
# A database row id in a path: bounded so that PostgreSQL's integer never overflows.
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]

STAFF = ("agent", "supervisor", "product_manager", "csm", "analyst", "admin")


def require_role(*roles: str) -> Callable[[User], User]:
    """A dependency that lets only the given roles through."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDenied(f"角色 {user.role_label} 无权执行此操作 / role '{user.role}' may not do this")
        return user

    return check


StaffUser = Annotated[User, Depends(require_role(*STAFF))]
WriterUser = Annotated[User, Depends(require_role("agent", "supervisor", "csm", "admin"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


def credential(request: Request) -> dict[str, object]:
    """What the request signed in with, for an audit entry that must say more than the user: an integration
    token acts as its owner, so the entry names the token too ({"kind": "integration", "id": 7, "name": "BI"})."""
    return dict(getattr(request.state, "credential", {}))


def token_scopes(request: Request) -> list[str]:
    """The scopes of the request's API token; a browser session holds "*" (set when it was admitted)."""
    return list(getattr(request.state, "token_scopes", []))


def sees_contacts(request: Request, user: User) -> bool:
    """Whether this request may carry customers' contacts unmasked: the role may see them and, for an API
    token, the token holds the scope that allows it (privacy.CONTACT_SCOPE: an `admin` or login token)."""
    return can_see_contact(user, token_scopes(request))


def require_scope(scope: str) -> Callable[[Request, User], User]:
    """A dependency that admits a bearer token only if it carries `scope` (or `admin`); sessions pass."""

    def check(request: Request, user: CurrentUser) -> User:
        _check_scope(request, getattr(request.state, "token_scopes", []), scope)
        return user

    return check
