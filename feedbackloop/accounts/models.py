"""Accounts: users with a role, and bearer tokens (login tokens and scoped integration tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow

# Role code → zh-CN UI name (SPEC §1).
ROLES: dict[str, str] = {
    "customer": "客户",
    "agent": "客服",
    "supervisor": "客服主管",
    "product_manager": "产品经理",
    "csm": "客户成功经理",
    "analyst": "分析师/管理层",
    "admin": "管理员",
}
ROLES_EN: dict[str, str] = {"customer": "customer", "agent": "agent", "supervisor": "supervisor",
                            "product_manager": "product manager", "csm": "customer success manager",
                            "analyst": "analyst", "admin": "admin"}  # fmt: skip


class Team(Base):
    """A team or department (产品团队, 客服管理层…) that users belong to and work is routed to."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored. kind 'login' for /auth/token, 'integration' for admins'."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(20), default="login")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
