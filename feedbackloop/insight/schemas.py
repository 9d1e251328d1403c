"""API schemas of improvement plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from feedbackloop.feedback.schemas import ProblemType
from feedbackloop.insight.models import PLAN_STATUSES
from feedbackloop.lib.refs import DbRef

if TYPE_CHECKING:  # mypy cannot build a Literal from a runtime tuple: to it this is a plain string
    PlanStatus = str
else:  # a Literal type, so that validation and the OpenAPI document list the allowed values
    PlanStatus = Literal[tuple(PLAN_STATUSES)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


ThemeKey = Annotated[str, Field(min_length=3, max_length=100, pattern=r"^(aspect|risk|problem_type):\S")]


class ImprovementCreate(_In):
    title: str = Field(min_length=1, max_length=200, description="改进计划标题")
    problem_type: ProblemType | None = None
    team_id: DbRef = Field(description="负责部门 (团队 id)")
    owner_id: DbRef | None = None
    due_date: date | None = None
    measures: str = Field(default="", max_length=10_000, description="改进措施")
    theme_keys: list[ThemeKey] = Field(default_factory=list, max_length=20, description="关联主题键")


class ImprovementUpdate(_In):
    """Only the fields sent are changed; `status` moves the plan along its life cycle."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    problem_type: ProblemType | None = None
    team_id: DbRef | None = None
    owner_id: DbRef | None = None
    due_date: date | None = None
    measures: str | None = Field(default=None, max_length=10_000)
    theme_keys: list[ThemeKey] | None = Field(default=None, max_length=20)
    status: PlanStatus | None = None


class ThemeRef(BaseModel):
    key: str
    label: str


class PlanPriority(BaseModel):
    """impact × frequency (SPEC §5): frequency = votes + feedback, impact = 1 + negative share + 1 if any 紧急."""

    score: float = Field(description="优先级 = 影响 × 频次")
    impact: float
    frequency: int
    votes: int = Field(description="为关联想法投票的人数 (每人计一次)")
    feedback: int = Field(description="提出该问题的反馈条数 (关联想法的反馈, 及上线前 30 天内计划主题的反馈)")
    negative: int
    urgent: int
    reasons: list[str]
    updated_at: datetime | None


class ImprovementOut(BaseModel):
    id: int
    title: str
    problem_type: str | None
    team_id: int | None
    team: str | None
    owner_id: int | None
    due_date: date | None
    overdue: bool
    measures: str
    status: str
    status_label: str
    allowed_next: list[str]
    themes: list[ThemeRef]
    shipped_at: datetime | None
    created_at: datetime
    updated_at: datetime
    priority: PlanPriority
    effect: dict[str, Any] | None = None
