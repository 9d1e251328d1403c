"""Passwords (argon2), login with lock-out, bearer tokens and the first admin."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import ROLES, ApiToken, User
from feedbackloop.errors import AuthenticationFailed, Conflict, ValidationFailed
from feedbackloop.lib.clock import clock

_hasher = PasswordHasher()
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_TOKEN_TTL = timedelta(hours=12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str = "agent", **fields: object) -> User:
    """Create a user; the password must be at least 8 characters."""
    if role not in ROLES:
        raise ValidationFailed(f"未知角色 '{role}', 可用: {', '.join(ROLES)} / unknown role")
    if len(password) < 8:
        raise ValidationFailed("密码至少 8 位 / password must have at least 8 characters")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"用户名 '{username}' 已存在 / username already taken")
    user = User(username=username, password_hash=hash_password(password), role=role, **fields)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The user for these credentials; counts failures and locks the account after too many."""
    user = session.scalar(select(User).where(User.username == username))
    now = clock.now()
    if user is None or not user.is_active:
        _hasher.hash(password)  # same work as a real check, so timing does not reveal unknown names
        raise AuthenticationFailed("用户名或密码错误 / wrong username or password")
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise AuthenticationFailed(
            f"登录失败次数过多, 账号已锁定, 请 {minutes} 分钟后再试 / account locked, try again in {minutes} min",
            code="account_locked",
        )
    if not _check_password(user, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        session.commit()
        raise AuthenticationFailed("用户名或密码错误 / wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    user: User,
    *,
    kind: str = "login",
    name: str = "",
    scopes: list[str] | None = None,
    ttl: timedelta | None = LOGIN_TOKEN_TTL,
) -> str:
    """A new random bearer token for `user`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            kind=kind,
            name=name,
            token_hash=_digest(token),
            scopes=scopes or ["*"],
            expires_at=clock.now() + ttl if ttl else None,
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken]:
    """The user and token record behind a bearer token, if valid, unexpired and not revoked."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = clock.now()
    if record is None or record.revoked_at is not None:
        raise AuthenticationFailed("令牌无效或已撤销, 请重新登录 / invalid or revoked token")
    if record.expires_at is not None and record.expires_at <= now:
        raise AuthenticationFailed("令牌已过期, 请重新登录 / token expired", code="token_expired")
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("账号已停用 / account disabled")
    return user, record


def ensure_admin(session: Session, password: str | None) -> str | None:
    """Create `admin` on first start; returns the generated password if one had to be made up."""
    if session.scalar(select(User).where(User.username == "admin")):
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    create_user(session, "admin", password, role="admin", display_name="管理员")
    session.commit()
    return generated
