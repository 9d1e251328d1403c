"""API schemas for users, teams and integration tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from feedbackloop.accounts.models import ROLES

RoleCode = str


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: str = Field(default="agent", description="角色: " + ", ".join(ROLES))
    display_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=200)
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # SkipJsonSchema[None]: leaving a field out means "unchanged", but null is refused, so the schema
    # does not offer it (email and team_id may be cleared with null).
    role: str | SkipJsonSchema[None] = Field(default=None, description="角色: " + ", ".join(ROLES))
    display_name: str | SkipJsonSchema[None] = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    is_active: bool | SkipJsonSchema[None] = None

    @field_validator("role", "display_name", "is_active", mode="before")
    @classmethod
    def _no_null(cls, v: Any) -> Any:
        # None here means "not sent"; a sent null would reach a NOT NULL column (email and team_id may be cleared).
        if v is None:
            raise ValueError("不能为 null，不修改请省略该字段 / may not be null; leave the field out to keep it")
        return v


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    role_label: str
    team_id: int | None
    is_active: bool
    locked_until: datetime | None
    created_at: datetime


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=8, max_length=200)


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)


class TeamPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=20, description="例如 feedback:write, feedback:read, admin")
    expires_in_days: int | None = Field(default=90, ge=1, le=3650, description="有效天数；null 表示永不过期")
    username: str | None = Field(default=None, max_length=80, description="令牌所属用户（默认：当前管理员）")


class TokenPublic(BaseModel):
    id: int
    name: str
    owner: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="只显示这一次，请立即保存 / shown once, store it now")
