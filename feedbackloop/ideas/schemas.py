"""API schemas of the idea board (public and staff)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from feedbackloop.ideas.models import IDEA_STATUSES
from feedbackloop.insight.schemas import ImprovementCreate
from feedbackloop.lib.refs import DbRef

if TYPE_CHECKING:
    IdeaStatus = str
else:  # a Literal, so that validation and the OpenAPI document list the allowed values
    IdeaStatus = Literal[tuple(IDEA_STATUSES)]

FeedbackRef = Annotated[str, Field(min_length=3, max_length=24)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- Public ----------------------------------------------------------------------------------------------


class IdeaPublic(BaseModel):
    id: int
    title: str
    description: str
    status: str
    status_label: str
    votes: int
    public_reply: str
    merged_into_id: int | None
    created_at: datetime
    shipped_at: datetime | None


class IdeaPublicDetail(IdeaPublic):
    comments: list[dict[str, Any]] = []
    merged_into: IdeaPublic | None = None


class SimilarIdea(IdeaPublic):
    score: float


class BoardPage(BaseModel):
    items: list[IdeaPublic]
    total: int
    page: int
    per_page: int


class IdeaSubmit(_In):
    title: str = Field(min_length=4, max_length=200, description="想法标题")
    description: str = Field(default="", max_length=5000)


class IdeaSubmitted(BaseModel):
    id: int
    moderation: str
    message: str
    similar: list[SimilarIdea]


Lang = Literal["zh-CN", "en"]
LANG_FIELD = "客户使用的语言：验证码和上线通知用它书写（默认 zh-CN） / the customer's language for codes and notices"


class CodeAsk(_In):
    contact: str = Field(min_length=5, max_length=200, description="手机号或邮箱")
    lang: Lang = Field(default="zh-CN", description=LANG_FIELD)


class CodeSent(BaseModel):
    challenge: str
    channel: str
    expires_in_seconds: int


class CodeCheck(_In):
    code: str = Field(min_length=4, max_length=12)
    notify: bool = Field(default=True, description="上线时通知我")
    lang: Lang | None = Field(default=None, description=LANG_FIELD)


class VoterToken(BaseModel):
    voter_token: str
    expires_in_seconds: int


class VoteIn(_In):
    voter_token: str | None = Field(default=None, max_length=500)
    status_token: str | None = Field(default=None, max_length=64, description="您的反馈状态链接 /s/<token> 中的 token")
    comment: str | None = Field(default=None, max_length=1000, description="附议留言 (审核后公开)")
    lang: Lang | None = Field(default=None, description=LANG_FIELD)


class SubscribeIn(_In):
    voter_token: str | None = Field(default=None, max_length=500)
    status_token: str | None = Field(default=None, max_length=64)
    lang: Lang | None = Field(default=None, description=LANG_FIELD)


class SubscriptionOut(BaseModel):
    idea_id: int
    subscribed: bool
    notify: bool


class VoteOut(BaseModel):
    idea_id: int
    votes: int
    voted: bool


class ChangelogEntry(BaseModel):
    anchor: str
    title: str
    shipped_at: datetime | None
    feedback_count: int
    votes: int
    effect: str | None
    effect_percent: int | None
    verified: bool
    measuring: bool = Field(default=False, description="已验证，但上线不足 7 天：效果尚在评估，暂不公布")
    text: str
    ideas: list[IdeaPublic]


# --- Staff -----------------------------------------------------------------------------------------------


class IdeaIn(_In):
    """Create (title required) or change an idea; only the fields sent are changed."""

    title: str | None = Field(default=None, min_length=4, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    status: IdeaStatus | None = None
    public_reply: str | None = Field(default=None, max_length=5000, description="对客户的回复 (公开)")
    internal_note: str | None = Field(default=None, max_length=5000, description="内部备注 (不公开)")
    owner_id: DbRef | None = None
    plan_id: DbRef | None = None
    theme_key: str | None = Field(default=None, max_length=100)


class IdeaOut(BaseModel):
    id: int
    title: str
    description: str
    status: str
    status_label: str
    moderation: str
    moderation_label: str
    moderation_reason: str | None
    public_reply: str
    internal_note: str
    source: str
    theme_key: str | None
    owner_id: int | None
    created_by_id: int | None
    plan_id: int | None
    merged_into_id: int | None
    votes: int
    linked_feedback: int
    queued_at: datetime | None
    shipped_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Moderation(_In):
    decision: Literal["publish", "reject"]
    reason: str | None = Field(default=None, max_length=200, description="如：垃圾信息 / 含个人信息 / 辱骂")


class MergeIn(_In):
    into_id: DbRef


class MergeOut(BaseModel):
    source: IdeaOut
    target: IdeaOut
    votes: int
    votes_moved: int


class FeedbackLinks(_In):
    feedback_ids: list[FeedbackRef] = Field(min_length=1, max_length=500)


class FromFeedback(FeedbackLinks):
    title: str = Field(min_length=4, max_length=200)
    description: str = Field(default="", max_length=5000)


class FromTheme(_In):
    theme_key: str = Field(min_length=3, max_length=100)
    title: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=5000)


class PlanLink(_In):
    """Link an existing plan (`plan_id`) or create one (`plan`)."""

    plan_id: DbRef | None = None
    plan: ImprovementCreate | None = None


class CommentModeration(_In):
    published: bool


class QueueRow(BaseModel):
    task_id: int
    idea_id: int
    title: str
    status: str
    idea_status: str
    votes: int
    assignee_id: int | None
    assignee: str | None
    plan_id: int | None
    created_at: datetime
    priority: dict[str, Any]
