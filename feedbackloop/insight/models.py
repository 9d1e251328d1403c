"""Tables of the measure-and-improve half: improvement plans (the table keeps its wf_ name, migration 0002)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow

# Improvement plan life cycle (SPEC §6): status → zh-CN name, and the moves a product manager may make.
PLAN_STATUSES: dict[str, str] = {
    "planned": "计划中",
    "in_progress": "进行中",
    "shipped": "已上线",
    "verified": "已验证",
    "cancelled": "已取消",
}
PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress", "shipped", "cancelled"),
    "in_progress": ("shipped", "cancelled"),
    "shipped": ("verified", "in_progress"),  # back to work when the review shows no effect
    "verified": (),
    "cancelled": ("planned",),
}


class ImprovementPlan(Base):
    """A product or process change owned by a department, linked to the themes it should make smaller."""

    __tablename__ = "wf_improvement_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem_type: Mapped[str | None] = mapped_column(String(20))
    # Nullable so that deleting a team keeps its plans (shown as 未指定); the API requires one on create.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date | None] = mapped_column(Date)
    measures: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    theme_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    shipped_at: Mapped[datetime | None]
    # Priority = impact × frequency (SPEC §5), kept up to date by the idea board (ideas/plan_priority.py) when
    # votes arrive or feedback and ideas are linked; stored so that the plan list can sort by it.
    priority: Mapped[float] = mapped_column(Float, default=0.0, server_default="0", index=True)
    priority_votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority_feedback: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority_negative: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority_urgent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def status_label(self) -> str:
        return PLAN_STATUSES.get(self.status, self.status)
