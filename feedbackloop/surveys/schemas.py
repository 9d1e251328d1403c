"""API schemas of surveys: definitions, invitations, answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from feedbackloop.feedback.models import CHANNELS

Kind = Literal["csat", "nps", "ces"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FollowupIn(_In):
    key: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$", description="fcr = 问题一次就解决了吗")
    kind: Literal["text", "yes_no"]
    text_zh: str = Field(min_length=1, max_length=300)
    text_en: str = Field(min_length=1, max_length=300)


class SurveyIn(_In):
    """A survey definition; the kind (its scale) is fixed once created."""

    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    question_zh: str | None = Field(default=None, min_length=1, max_length=300, description="默认按类型给出")
    question_en: str | None = Field(default=None, min_length=1, max_length=300)
    followups: list[FollowupIn] | None = Field(default=None, max_length=5)
    active: bool | None = None
    on_resolve: bool | None = Field(default=None, description="解决后自动发送")
    on_order: bool | None = Field(default=None, description="order.completed webhook 时发送")
    channels: list[str] | None = Field(default=None, max_length=20, description="解决触发的渠道, 空 = 全部")
    team_ids: list[int] | None = Field(default=None, max_length=50, description="解决触发的团队, 空 = 全部")

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str] | None) -> list[str] | None:
        unknown = [c for c in value or [] if c not in CHANNELS]
        if unknown:
            raise ValueError(f"未知渠道 {', '.join(unknown)} / unknown channel")
        return value

    @field_validator("followups")
    @classmethod
    def _unique_keys(cls, value: list[FollowupIn] | None) -> list[FollowupIn] | None:
        keys = [f.key for f in value or []]
        if len(keys) != len(set(keys)):
            raise ValueError("追问的 key 不能重复 / follow-up keys must be unique")
        return value


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    question_zh: str
    question_en: str
    followups: list[dict[str, Any]]
    active: bool
    on_resolve: bool
    on_order: bool
    channels: list[str]
    team_ids: list[int]
    created_at: datetime


class InvitationIn(_In):
    feedback_id: str = Field(min_length=3, max_length=24, description="反馈编号 FB…")


class InvitationOut(BaseModel):
    id: int
    survey_id: int
    feedback_id: str | None
    trigger: str
    token: str
    url: str
    sent_at: datetime
    expires_at: datetime


class BulkIn(_In):
    """The feedback list's filters: every matching item's customer is invited (at most `limit`)."""

    channel: str | None = Field(default=None, max_length=20)
    problem_type: str | None = Field(default=None, max_length=20)
    status: str | None = Field(default=None, max_length=20)
    customer_type: str | None = Field(default=None, max_length=20)
    sentiment: str | None = Field(default=None, max_length=10)
    date_from: datetime | None = None
    date_to: datetime | None = None
    limit: int = Field(default=500, ge=1, le=5000)


class BulkOut(BaseModel):
    created: int
    skipped: dict[str, int]


class AnswerIn(_In):
    score: StrictInt = Field(description="CSAT 1–5, NPS 0–10, CES 1–7")
    comment: str | None = Field(default=None, max_length=2000)
    answers: dict[str, Any] | None = Field(default=None, description="追问的回答, 如 {\"fcr\": true}")


class AnswerOut(BaseModel):
    id: int
    kind: str
    score: int
    recovery: bool
