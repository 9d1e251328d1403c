"""Workflow tables: teams, routing rules, SLA policies and calendar, history, replies, notifications,
reply templates, knowledge base, threshold alerts and improvement plans. Per-item workflow state lives on Feedback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow

# Team kind → escalation level (SPEC §5: 一线客服 → 专家团队 → 部门经理 → 高管).
TEAM_KINDS: dict[str, int] = {
    "一线客服": 1,
    "专家团队": 2,
    "部门经理": 3,
    "高管": 4,
    "产品团队": 1,
    "其他": 1,
}
LEVEL_KINDS: dict[int, str] = {1: "一线客服", 2: "专家团队", 3: "部门经理", 4: "高管"}
ROUTING_STRATEGIES = {"round_robin": "轮询", "least_loaded": "最少负载", "pool": "公共池（认领）"}
PRIORITY_LEVELS: dict[str, str] = {"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"}
TEMPLATE_KINDS: dict[str, str] = {
    "complaint": "投诉",
    "suggestion": "建议",
    "praise": "表扬",
    "neutral": "中性",
}


class TeamSettings(Base):
    """How the workflow treats an accounts Team (membership is User.team_id): its escalation level (kind),
    how work is spread among its members, and whether unmatched items go to it."""

    __tablename__ = "wf_team_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="一线客服", index=True)
    strategy: Mapped[str] = mapped_column(String(20), default="round_robin")
    email: Mapped[str | None] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Round-robin position; bumped with a single UPDATE so concurrent routers never hand out the same slot.
    rr_cursor: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def level(self) -> int:
        return TEAM_KINDS.get(self.kind, 1)


class RoutingRule(Base):
    """First matching rule (lowest position) decides the team; empty conditions match anything."""

    __tablename__ = "wf_routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    problem_type: Mapped[str | None] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(20))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    keyword: Mapped[str | None] = mapped_column(String(100))
    # Conditions on what the analysis read (besides problem_type and product): 紧急/一般/建议,
    # negative/neutral/positive, and an aspect name, optionally with its polarity ("送餐速度:negative").
    urgency: Mapped[str | None] = mapped_column(String(4))
    sentiment: Mapped[str | None] = mapped_column(String(10))
    aspect: Mapped[str | None] = mapped_column(String(60))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(Base):
    __tablename__ = "wf_sla_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    business_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    remind_before_minutes: Mapped[int] = mapped_column(Integer, default=30)


class BusinessCalendar(Base):
    """The one business calendar (row id 1): working hours, weekdays, holidays and make-up working days."""

    __tablename__ = "wf_calendar"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(50), default="Asia/Shanghai")
    day_start: Mapped[str] = mapped_column(String(5), default="09:00")
    day_end: Mapped[str] = mapped_column(String(5), default="18:00")
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 调休: weekend dates that are working days.
    extra_workdays: Mapped[list[str]] = mapped_column(JSON, default=list)


class HistoryEntry(Base):
    __tablename__ = "wf_history"
    __table_args__ = (Index("ix_wf_history_feedback_at", "feedback_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="system")
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Reply(Base):
    __tablename__ = "wf_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(5), default="out")  # out | in
    kind: Mapped[str] = mapped_column(String(20), default="email")  # email | note | public_draft | notice
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_addr: Mapped[str | None] = mapped_column(String(200))
    from_addr: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(
        String(10), default="queued"
    )  # queued | sent | failed | received | draft | manual (待人工外呼: no provider, a task for the owner)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # The channel adapter that carried it (workflow/channels): smtp, aliyun_sms, tencent_sms, wechat_mp.
    provider: Mapped[str | None] = mapped_column(String(30))


class Notification(Base):
    __tablename__ = "wf_notifications"
    __table_args__ = (Index("ix_wf_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    feedback_id: Mapped[str | None] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # NULL until the mail went out (or was found unnecessary): the mailer task picks these up.
    emailed_at: Mapped[datetime | None] = mapped_column(index=True)


class ReplyTemplate(Base):
    __tablename__ = "wf_reply_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    subject_en: Mapped[str | None] = mapped_column(String(300))  # for customers who write in English
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbArticle(Base):
    __tablename__ = "wf_kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    problem_type: Mapped[str | None] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_date: Mapped[date | None] = mapped_column(Date)
    source_feedback_id: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertRule(Base):
    """Alert `team` when complaints matching (problem_type | keyword) exceed `threshold_pct` of all items in
    the last `window_hours`, at most once per window."""

    __tablename__ = "wf_alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    problem_type: Mapped[str | None] = mapped_column(String(20))
    keyword: Mapped[str | None] = mapped_column(String(100))
    threshold_pct: Mapped[float] = mapped_column(default=5.0)
    window_hours: Mapped[int] = mapped_column(Integer, default=24)
    min_items: Mapped[int] = mapped_column(Integer, default=3)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fired_at: Mapped[datetime | None]


class AlertEvent(Base):
    __tablename__ = "wf_alert_events"
    __table_args__ = (UniqueConstraint("rule_id", "window_start", name="uq_wf_alert_events_rule_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("wf_alert_rules.id", ondelete="CASCADE"), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    matched: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    share_pct: Mapped[float]
    feedback_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedView(Base):
    """An agent's saved inbox view: a name and the inbox query it stands for (filters, view, sort)."""

    __tablename__ = "wf_saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_wf_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
