"""Passwords (argon2), login with lock-out, bearer tokens and the first admin."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.accounts.models import ROLES, ApiToken, Team, User
from feedbackloop.db import begin_write, session_scope
from feedbackloop.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from feedbackloop.lib.clock import clock

_hasher = PasswordHasher()
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_TOKEN_TTL = timedelta(hours=12)
# A browser sign-in is a server-side record (an ApiToken of kind "session" whose secret lives only in the
# signed cookie): logout, a password change and deactivation end it, whatever copy of the cookie exists.
SESSION_TTL = timedelta(hours=12)
SIGN_IN_KINDS = ("login", "session")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


USER_FIELDS = ("username", "display_name", "email", "role", "team_id", "is_active")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationFailed(f"未知角色 '{role}'，可用：{', '.join(ROLES)} / unknown role")


def _check_team(session: Session, team_id: object) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationFailed(f"团队 {team_id} 不存在，请先创建团队或改用已有团队 / team {team_id} not found")


def _check_password_rules(password: str) -> None:
    if len(password) < 8:
        raise ValidationFailed("密码至少 8 位 / password must have at least 8 characters")


def create_user(
    session: Session, username: str, password: str, role: str = "agent", *, actor: object = None, **fields: object
) -> User:
    """Create a user; the password must be at least 8 characters. Audited."""
    _check_role(role)
    _check_password_rules(password)
    _check_team(session, fields.get("team_id"))
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"用户名 '{username}' 已存在 / username already taken")
    user = User(username=username, password_hash=hash_password(password), role=role, **fields)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, None, _snapshot(user))
    return user


def _snapshot(user: User) -> dict[str, object]:
    return {f: getattr(user, f) for f in USER_FIELDS}


# One answer for every failed sign-in — wrong password, unknown name, disabled or backed-off account — so
# that the answer never tells an attacker which usernames exist.
LOGIN_FAILED = (
    "用户名或密码错误。连续输错多次后需稍候再试。"
    " / wrong username or password; after repeated failures, wait a little before trying again"
)


def login_backoff(failures: int) -> timedelta:
    """How long an account refuses sign-ins after `failures` consecutive failures: none for the first
    MAX_FAILED_LOGINS - 1, then 1 s, 2 s, 4 s … doubling up to LOCKOUT. An attacker who knows a name can
    slow its owner down, but not lock them out for long with a handful of guesses."""
    if failures < MAX_FAILED_LOGINS:
        return timedelta(0)
    return min(LOCKOUT, timedelta(seconds=2 ** min(failures - MAX_FAILED_LOGINS, 20)))


def authenticate(session: Session, username: str, password: str) -> User:
    """The user for these credentials. Consecutive failures back the account off exponentially; while it
    is backed off the password is not even checked. Every failure gives the same answer."""
    user = session.scalar(select(User).where(User.username == username))
    now = clock.now()
    if user is None or not user.is_active or (user.locked_until and user.locked_until > now):
        _hasher.hash(password)  # same work as a real check, so timing does not tell the cases apart
        raise AuthenticationFailed(LOGIN_FAILED)
    if not _check_password(user, password):
        user.failed_logins += 1
        wait = login_backoff(user.failed_logins)
        if wait:
            user.locked_until = now + wait
        if user.failed_logins == MAX_FAILED_LOGINS:
            audit.record(session, None, "user.lock", "user", user.id, None, {"locked_until": user.locked_until})
        session.commit()
        raise AuthenticationFailed(LOGIN_FAILED)
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


def user_for_token(session: Session, token: str, *, kind: str | None = None) -> tuple[User, ApiToken]:
    """The user and token record behind a bearer token (any kind but a browser session), or behind the
    browser session `token` when `kind="session"` — if valid, unexpired and not revoked."""
    # One round trip for both (every API request runs this): the token and its user, joined.
    found = session.execute(
        select(ApiToken, User).outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(token))
    ).first()  # fmt: skip
    record, user = found if found is not None else (None, None)
    now = clock.now()
    wrong_kind = record is not None and (record.kind == "session") != (kind == "session")
    if record is None or record.revoked_at is not None or wrong_kind:
        raise AuthenticationFailed("令牌无效或已撤销，请重新登录 / invalid or revoked token")
    if record.expires_at is not None and record.expires_at <= now:
        raise AuthenticationFailed("令牌已过期，请重新登录 / token expired", code="token_expired")
    if user is None or not user.is_active:
        raise AuthenticationFailed("账号已停用 / account disabled")
    return user, record


# A token's last use is written at most this often: not one write per API request.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def token_use_is_stale(record: ApiToken) -> bool:
    """Whether the token's recorded last use is older than TOKEN_USE_RESOLUTION (or missing)."""
    return record.last_used_at is None or clock.now() - record.last_used_at >= TOKEN_USE_RESOLUTION


def record_token_use(token_id: int) -> None:
    """Set the token's last use to now, in a short transaction of its own.

    Call it with no transaction open on this thread: on SQLite a second writer would wait for the first.
    """
    with session_scope() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now()))


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


def get_user(session: Session, user_id: int) -> User:
    """The user with this id, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在 / user {user_id} not found")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def update_user(session: Session, actor: User, user_id: int, changes: dict[str, object]) -> User:
    """Change role, team, names or active flag of a user; audited with before and after; commits."""
    begin_write(session)
    user = get_user(session, user_id)
    if "role" in changes:
        _check_role(str(changes["role"]))
    _check_team(session, changes.get("team_id"))
    if user.id == actor.id and (changes.get("role", "admin") != "admin" or changes.get("is_active") is False):
        # Otherwise the last admin can lock everybody out of the admin pages.
        raise PermissionDenied("不能降级或停用自己的管理员账号 / you cannot demote or disable yourself")
    before = _snapshot(user)
    for key, value in changes.items():
        setattr(user, key, value)
    if changes.get("is_active") is False:
        _revoke_all(session, user, kinds=SIGN_IN_KINDS)
    audit.record(session, actor, "user.update", "user", user.id, before, _snapshot(user))
    session.commit()
    return user


def change_password(session: Session, user: User, old: str, new: str, *, keep_token_id: int | None = None) -> None:
    """The user changes their own password (old one required); their other sign-ins (bearer logins and
    browser sessions, all but `keep_token_id`: the one making the change) end; commits."""
    begin_write(session)
    user = get_user(session, user.id)
    if not _check_password(user, old):
        raise AuthenticationFailed("当前密码不正确 / current password is wrong", code="wrong_password")
    _set_password(session, user, new, actor=user, keep_token_id=keep_token_id)
    session.commit()


def reset_password(session: Session, actor: User, user_id: int, new: str) -> None:
    """An admin sets a user's password; the user's login tokens are revoked; commits."""
    begin_write(session)
    _set_password(session, get_user(session, user_id), new, actor=actor)
    session.commit()


def _set_password(session: Session, user: User, new: str, *, actor: User, keep_token_id: int | None = None) -> None:
    _check_password_rules(new)
    user.password_hash = hash_password(new)
    user.failed_logins = 0
    user.locked_until = None
    _revoke_all(session, user, kinds=SIGN_IN_KINDS, keep_token_id=keep_token_id)
    audit.record(session, actor, "user.password", "user", user.id, None, {"password_changed": True})


def _revoke_all(session: Session, user: User, kinds: tuple[str, ...], keep_token_id: int | None = None) -> None:
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind.in_(kinds), ApiToken.revoked_at.is_(None))
    ):
        if token.id != keep_token_id:
            token.revoked_at = clock.now()


def start_session(session: Session, user: User) -> str:
    """A new browser session for `user`: the secret goes into the signed cookie, its hash into the table."""
    return issue_token(session, user, kind="session", name="浏览器登录", ttl=SESSION_TTL)


def revoke_bearer(session: Session, token: str) -> None:
    """Log out a bearer token (no-op for an unknown one); commits."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if record is not None and record.revoked_at is None:
        record.revoked_at = clock.now()
        session.commit()


# Integration-token scopes: "<area>:read" / "<area>:write" for the API area /api/v1/<area>/…, or "admin"
# (everything the owner's role allows). Login tokens carry "*".
SCOPE_PATTERN = re.compile(r"^(admin|[a-z_]{2,30}:(read|write))$")
KNOWN_SCOPES = ("feedback:read", "feedback:write", "workflow:write", "analyze:write", "imports:write", "admin")
SCOPE_LABELS = {"feedback:read": "读取反馈", "feedback:write": "推送反馈", "workflow:write": "处理反馈（分配、回复、改状态）",
                "analyze:write": "调用分析", "imports:write": "导入文件", "admin": "全部（按所属用户的角色）"}
# Areas that manage who may do what: a narrow scope on one of them would let a token mint an admin user or
# an admin token. Only "admin" (everything the owner's role allows) reaches them.
ACCOUNT_AREAS = frozenset({"users", "tokens", "teams", "audit", "privacy", "account", "roles"})


def scope_allows(scopes: list[str], needed: str | None) -> bool:
    """Whether a token holding `scopes` may make a request that needs `needed` (None: no scope needed)."""
    return needed is None or "*" in scopes or "admin" in scopes or needed in scopes


def create_integration_token(
    session: Session, actor: User, *, name: str, scopes: list[str], expires_in_days: int | None, username: str | None
) -> tuple[str, ApiToken]:
    """A scoped token for an integration; the secret is returned once and only its hash is kept; commits."""
    bad = [s for s in scopes if not SCOPE_PATTERN.match(s) or s.split(":")[0] in ACCOUNT_AREAS]
    if bad or not scopes:
        raise ValidationFailed(
            f"无效的权限范围 {bad or '[]'}（用户、令牌、团队、审计与隐私只能用 admin），例如：{'、'.join(KNOWN_SCOPES)} / "
            f"Invalid scopes {bad or '[]'} (users, tokens, teams, audit and privacy need 'admin'), e.g. {', '.join(KNOWN_SCOPES)}",
            details={"scopes": bad}
        )
    begin_write(session)
    owner = actor
    if username:
        owner = session.scalar(select(User).where(User.username == username)) or _missing_user(username)
    ttl = timedelta(days=expires_in_days) if expires_in_days else None
    token = issue_token(session, owner, kind="integration", name=name, scopes=sorted(set(scopes)), ttl=ttl)
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    assert record is not None
    after = {"name": name, "owner": owner.username, "scopes": record.scopes, "expires_at": record.expires_at}
    audit.record(session, actor, "token.create", "api_token", record.id, None, after)
    session.commit()
    return token, record


def _missing_user(username: str) -> User:
    raise NotFound(f"用户 '{username}' 不存在 / user not found")


def list_integration_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every integration token (never the secret) with its owner's username, newest first."""
    rows = session.execute(
        select(ApiToken, User.username)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.kind == "integration")
        .order_by(ApiToken.id.desc())
    )
    return [(t, u) for t, u in rows]


def revoke_integration_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke an integration token at once; audited; commits."""
    begin_write(session)
    record = session.get(ApiToken, token_id)
    if record is None or record.kind != "integration":
        raise NotFound(f"令牌 {token_id} 不存在 / token {token_id} not found")
    if record.revoked_at is None:
        record.revoked_at = clock.now()
        audit.record(session, actor, "token.revoke", "api_token", record.id, {"revoked": False}, {"revoked": True})
    session.commit()
    return record


def create_team(session: Session, actor: User, name: str, description: str = "") -> Team:
    """A new team; names are unique; audited; commits."""
    begin_write(session)
    if session.scalar(select(Team).where(Team.name == name)):
        raise Conflict(f"团队 '{name}' 已存在 / team already exists")
    team = Team(name=name, description=description)
    session.add(team)
    session.flush()
    audit.record(session, actor, "team.create", "team", team.id, None, {"name": name, "description": description})
    session.commit()
    return team


def list_teams(session: Session) -> list[Team]:
    """Every team, by name."""
    return list(session.scalars(select(Team).order_by(Team.name)))
