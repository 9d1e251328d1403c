"""API schemas of the workflow."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from feedbackloop.lib.refs import DbRef
from feedbackloop.workflow.states import STATUSES

if TYPE_CHECKING:  # mypy cannot build a Literal from a runtime tuple: to it this is a plain string
    StatusCode = str
else:  # a Literal type, so that validation and the OpenAPI document list the allowed values
    StatusCode = Literal[tuple(STATUSES)]
Priority = Literal["urgent", "high", "normal", "low"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TransitionIn(_In):
    to: StatusCode
    reason: str | None = Field(default=None, max_length=2000)
    merged_into: str | None = Field(default=None, max_length=24, description="merged 时: 原始反馈编号")


class AssignIn(_In):
    """To a person (owner_id) or to a team (team_id: its routing strategy picks the owner)."""

    owner_id: DbRef | None = None
    team_id: DbRef | None = None
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_target(self) -> AssignIn:
        if (self.owner_id is None) == (self.team_id is None):
            raise ValueError("请指定负责人 owner_id 或团队 team_id（二选一） / give owner_id or team_id")
        return self


class BulkIn(_In):
    ids: list[Annotated[str, Field(max_length=24)]] = Field(min_length=1, max_length=500)
    action: Literal["assign", "assign_team", "status", "merge", "tag"]
    owner_id: DbRef | None = None
    team_id: DbRef | None = None
    to: StatusCode | None = None
    merged_into: str | None = Field(default=None, max_length=24)
    tag: str | None = Field(default=None, max_length=30)
    reason: str | None = Field(default=None, max_length=2000)


class BulkOut(BaseModel):
    action: str
    changed: list[str]
    unchanged: list[str]


class SavedViewIn(_In):
    name: str = Field(min_length=1, max_length=60)
    query: str = Field(default="", max_length=1000, description="the inbox query string, e.g. view=mine&sort=sla")


class SavedViewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    query: str


class EscalateIn(_In):
    reason: str = Field(default="", max_length=2000)


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any] | None


class WorkflowState(BaseModel):
    id: str
    status: str
    status_label: str
    status_label_en: str = ""
    allowed_next: list[str]
    owner_id: int | None
    owner: str | None
    team_id: int | None
    team: str | None
    priority: str | None
    priority_label: str | None
    priority_score: int
    priority_reasons: list[dict[str, Any]]
    escalation_level: int
    escalation_label: str
    sla: dict[str, Any]
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    satisfaction: str | None
    reopen_count: int
    status_link: str | None


class ReplyIn(_In):
    body: str = Field(min_length=1, max_length=20_000)
    subject: str | None = Field(default=None, max_length=250)
    kind: Literal["customer", "email", "sms", "wechat", "note", "public_draft"] = Field(
        default="customer",
        description="customer = by the customer's contact (email, SMS to a mobile number, WeChat); "
        "without a provider for it the reply is recorded as 待人工外呼 with a task for the owner",
    )


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    feedback_id: str
    direction: str
    kind: str
    author_id: int | None
    to_addr: str | None
    from_addr: str | None
    subject: str | None
    body: str
    message_id: str | None
    state: str
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    provider: str | None = None


class RenderIn(_In):
    template_id: DbRef
    next_step: str | None = Field(default=None, max_length=2000)
    deadline: str | None = Field(default=None, max_length=100)


class RuleIn(_In):
    name: str = Field(min_length=1, max_length=100)
    team_id: DbRef
    position: int = Field(default=100, ge=0, le=100_000)
    enabled: bool = True
    problem_type: str | None = None
    product: str | None = Field(default=None, max_length=200)
    channel: str | None = None
    customer_type: str | None = None
    keyword: str | None = Field(default=None, max_length=100)
    urgency: str | None = None
    sentiment: str | None = None
    aspect: str | None = Field(default=None, max_length=60)


class RuleOut(RuleIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int


class PolicyIn(_In):
    name: str | None = Field(default=None, max_length=100)
    first_response_minutes: int | None = Field(default=None, ge=1, le=48 * 60)
    resolution_minutes: int | None = Field(default=None, ge=1, le=365 * 24 * 60)
    business_hours: bool | None = None
    remind_before_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    priority: str
    name: str
    first_response_minutes: int
    resolution_minutes: int
    business_hours: bool
    remind_before_minutes: int


class CalendarIn(_In):
    timezone: str | None = Field(default=None, max_length=50)
    day_start: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    day_end: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    weekdays: list[int] | None = Field(default=None, max_length=7)
    holidays: list[date] | None = Field(default=None, max_length=400)
    extra_workdays: list[date] | None = Field(default=None, max_length=400)


class CalendarOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    timezone: str
    day_start: str
    day_end: str
    weekdays: list[int]
    holidays: list[str]
    extra_workdays: list[str]


class TeamIn(_In):
    name: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    kind: str | None = None
    strategy: str | None = None
    email: str | None = Field(default=None, max_length=200)
    is_default: bool | None = None
    member_ids: list[DbRef] | None = Field(default=None, max_length=500)


class TemplateIn(_In):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["complaint", "suggestion", "praise", "neutral"]
    subject: str = Field(min_length=1, max_length=250)
    subject_en: str | None = Field(default=None, max_length=250, description="subject for customers writing in English")
    body: str = Field(min_length=1, max_length=20_000)
    is_active: bool = True


class TemplateOut(TemplateIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        from feedbackloop.workflow.models import TEMPLATE_KINDS

        return TEMPLATE_KINDS.get(self.kind, self.kind)


class KbIn(_In):
    title: str = Field(min_length=1, max_length=200)
    problem: str = Field(min_length=1, max_length=20_000)
    root_cause: str = Field(default="", max_length=20_000)
    steps: str = Field(default="", max_length=20_000)
    resources: str = Field(default="", max_length=20_000)
    outcome: str = Field(default="", max_length=20_000)
    problem_type: str | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    review_date: date | None = None


class KbOut(KbIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    source_feedback_id: str | None
    updated_at: datetime


class KbFromItemIn(_In):
    title: str | None = Field(default=None, max_length=200)
    root_cause: str | None = Field(default=None, max_length=20_000)
    steps: str | None = Field(default=None, max_length=20_000)
    outcome: str | None = Field(default=None, max_length=20_000)
    tags: list[str] | None = Field(default=None, max_length=50)


class AlertRuleIn(_In):
    name: str = Field(min_length=1, max_length=100)
    team_id: DbRef
    problem_type: str | None = None
    keyword: str | None = Field(default=None, max_length=100)
    threshold_pct: float = Field(default=5.0, gt=0, le=100)
    window_hours: int = Field(default=24, ge=1, le=24 * 90)
    min_items: int = Field(default=3, ge=1, le=100_000)
    enabled: bool = True


class AlertRuleOut(AlertRuleIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    last_fired_at: datetime | None


class AlertEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int
    window_start: datetime
    window_end: datetime
    matched: int
    total: int
    share_pct: float
    feedback_ids: list[str]
    created_at: datetime


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    feedback_id: str | None
    kind: str
    title: str
    body: str | None
    created_at: datetime
    read_at: datetime | None


class ReadIn(_In):
    ids: list[int] = Field(max_length=1000)


class SatisfactionIn(_In):
    satisfied: bool
