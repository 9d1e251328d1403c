"""The feedback record (登记表, SPEC §2) and the daily id sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import get_history

from feedbackloop.db import Base, utcnow
from feedbackloop.lib import cjk
from feedbackloop.lib.masking import mask_contact

# Channel code → zh-CN label; the set is closed so that reports group cleanly.
CHANNELS: dict[str, str] = {
    "api": "API",
    "web_form": "网页表单",
    "qr": "二维码",
    "email": "邮件",
    "import": "文件导入",
    "tmall": "天猫",
    "jd": "京东",
    "meituan": "美团",
    "dianping": "大众点评",
    "crm": "CRM",
    "survey": "问卷",
    "webhook": "Webhook",
    "chat": "在线客服",
    "phone": "电话",
}

PROBLEM_TYPES = ["产品功能", "服务质量", "价格", "物流", "界面/交互", "其他"]
CUSTOMER_TYPES = {"new": "新客户", "returning": "老客户", "high_value": "高价值客户"}
URGENCIES = ["紧急", "一般", "建议"]
SENTIMENTS = {"negative": "负面", "neutral": "中性", "positive": "正面"}


class IdSequence(Base):
    """Last daily sequence number handed out for `FB<date><seq>` ids."""

    __tablename__ = "id_sequences"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


OWED_ANALYSIS = text("analyzed_at IS NULL")
OWED_TRIAGE = text("prioritized_at IS NULL AND status = 'new'")


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_feedback_channel_external_id"),
        Index("ix_feedback_received_at", "received_at"),
        Index("ix_feedback_status_received", "status", "received_at"),
        # The dashboard's GROUP BYs over a date range (volume, sentiment, channels, problem types, backlog, SLA)
        # read only this index, never the rows (issue 13).
        Index("ix_feedback_dashboard", "received_at", "channel", "sentiment", "problem_type", "status",
              "first_response_due", "resolution_due", "first_response_breached_at", "resolution_breached_at"),
        # The work each item is owed, as the item's own columns record it (written by the insert that stores
        # it): analysis while analyzed_at is NULL, triage while a new item has no prioritized_at. Partial
        # indexes, so that workers and the reconciler find owed items without scanning the table.
        Index("ix_feedback_owed_analysis", "created_at", postgresql_where=OWED_ANALYSIS, sqlite_where=OWED_ANALYSIS),
        Index("ix_feedback_owed_triage", "created_at", postgresql_where=OWED_TRIAGE, sqlite_where=OWED_TRIAGE),
        Index("ix_feedback_analyzed_at", "analyzed_at"),  # the analysis rate (/api/v1/metrics)
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    # No index of its own: uq_feedback_channel_external_id (channel, external_id) serves channel filters.
    channel: Mapped[str] = mapped_column(String(20))
    touchpoint: Mapped[str | None] = mapped_column(String(100), index=True)

    customer_name: Mapped[str | None] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(200), index=True)
    # No indexes on few-valued columns (type, sentiment, urgency, priority): the inbox walks received_at
    # and filters; each extra index costs every insert (import throughput).
    customer_type: Mapped[str] = mapped_column(String(20), default="new")
    customer_years: Mapped[float | None]
    customer_spend_6m: Mapped[float | None]
    industry: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))

    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    occurred: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    problem_type: Mapped[str | None] = mapped_column(String(20))
    problem_type_other: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200), index=True)
    product_version: Mapped[str | None] = mapped_column(String(50))
    module: Mapped[str | None] = mapped_column(String(100))

    content: Mapped[str] = mapped_column(Text)
    # The content's search index terms (lib/cjk.document_terms), written with every write of content (the
    # intake insert, the ORM events below). Indexed by PostgreSQL's GIN index ix_feedback_search and SQLite's
    # FTS5 table feedback_fts (feedback.search); never shown.
    search_terms: Mapped[str | None] = mapped_column(Text)
    expected_solution: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[str] = mapped_column(String(20), default="new")
    content_hash: Mapped[str] = mapped_column(String(40), index=True)
    # MinHash band keys for near-duplicate lookup (lib.textnorm.fingerprints_normalized); 0 = too short to compare.
    mh0: Mapped[int] = mapped_column(Integer, default=0, index=True)
    mh1: Mapped[int] = mapped_column(Integer, default=0, index=True)
    mh2: Mapped[int] = mapped_column(Integer, default=0, index=True)
    mh3: Mapped[int] = mapped_column(Integer, default=0, index=True)
    mh4: Mapped[int] = mapped_column(Integer, default=0, index=True)
    duplicate_of: Mapped[str | None] = mapped_column(ForeignKey("feedback.id"), index=True)
    duplicate_kind: Mapped[str | None] = mapped_column(String(10))  # "exact" | "near"
    is_vague: Mapped[bool] = mapped_column(Boolean, default=False)

    # jsonb on PostgreSQL (migration 0010): the export and the dashboard read single fields of it without a parse
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    model_version: Mapped[str | None] = mapped_column(String(60))
    analyzed_at: Mapped[datetime | None]
    sentiment: Mapped[str | None] = mapped_column(String(10))
    urgency: Mapped[str | None] = mapped_column(String(4))

    @property
    def contact_masked(self) -> str:
        return mask_contact(self.contact)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    # --- Workflow state (owned by feedbackloop.workflow, SPEC §5–6) --------------------------------------
    # Kept on the record itself so that the inbox filters and the set-based SLA sweep need no join.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(Integer, index=True)
    priority: Mapped[str | None] = mapped_column(String(10))  # urgent | high | normal | low
    priority_score: Mapped[int] = mapped_column(Integer, default=0, index=True)
    priority_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    prioritized_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=1)
    first_response_due: Mapped[datetime | None] = mapped_column(index=True)
    resolution_due: Mapped[datetime | None] = mapped_column(index=True)
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    sla_paused_at: Mapped[datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sla_reminded_at: Mapped[datetime | None]
    first_response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    status_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    satisfaction: Mapped[str | None] = mapped_column(String(12))  # satisfied | dissatisfied
    satisfaction_at: Mapped[datetime | None]
    customer_notified_at: Mapped[datetime | None]
    followup_due_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_done_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[str] | None] = mapped_column(JSON)  # agents' labels (bulk action 加标签)


@event.listens_for(Feedback, "before_insert")
def _terms_on_insert(_mapper: object, _connection: object, target: Feedback) -> None:
    target.search_terms = cjk.document_terms(target.content)


@event.listens_for(Feedback, "before_update")
def _terms_on_update(_mapper: object, _connection: object, target: Feedback) -> None:
    # Edits, redaction and erasure: the old text leaves the index in the same UPDATE.
    if get_history(target, "content").has_changes():  # not inspect().attrs: that builds all 60 attribute states
        target.search_terms = cjk.document_terms(target.content)


class Correction(Base):
    """An agent's correction of one analysed field; retraining learns from these."""

    __tablename__ = "analysis_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(20))  # sentiment | problem_type | urgency | aspects
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    model_version: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomAspect(Base):
    """An aspect an admin added, with the words that signal it (e.g. 停车: 停车, 车位, 停车场)."""

    __tablename__ = "custom_aspects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    words: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
