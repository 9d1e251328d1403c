"""Survey tables (SPEC §7): definitions, invitations (one public link each) and responses.

An invitation and its response carry a snapshot of the item's channel, team, owner, problem type, product
and customer type as they were when the invitation was sent: owners change later, and the score must stay
with who earned it. The KPI queries filter on these columns without a join."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedbackloop.db import Base, utcnow

# kind → (lowest score, highest score, zh-CN name)
KINDS: dict[str, tuple[int, int, str]] = {
    "csat": (1, 5, "满意度（CSAT）"),
    "nps": (0, 10, "净推荐值（NPS）"),
    "ces": (1, 7, "费力度（CES）"),
}
DEFAULT_QUESTIONS: dict[str, tuple[str, str]] = {
    "csat": ("您对本次服务满意吗？", "How satisfied are you with the service you received?"),
    "nps": ("您有多大可能向朋友或同事推荐我们？", "How likely are you to recommend us to a friend or colleague?"),
    "ces": ("这次解决问题容易吗？", "It was easy to get my problem solved."),
}
# Scores at or below these open a recovery follow-up (win back the detractor).
RECOVERY_AT_OR_BELOW: dict[str, int] = {"csat": 2, "nps": 6, "ces": 3}
# Scores at or above these count as a satisfied answer to the status page's question.
SATISFIED_AT_OR_ABOVE: dict[str, int] = {"csat": 4, "nps": 7, "ces": 5}
FOLLOWUP_KINDS = ("text", "yes_no")
TRIGGERS: dict[str, str] = {"resolve": "解决后自动", "order": "订单完成", "manual": "手动", "bulk": "批量"}


class Survey(Base):
    """A survey definition: its kind and scale, wording, follow-up questions and when it is sent."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # csat | nps | ces
    question_zh: Mapped[str] = mapped_column(String(300))
    question_en: Mapped[str] = mapped_column(String(300))
    # [{"key": "fcr", "kind": "yes_no", "text_zh": "问题一次就解决了吗？", "text_en": "…"}, …]
    followups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_resolve: Mapped[bool] = mapped_column(Boolean, default=False)
    on_order: Mapped[bool] = mapped_column(Boolean, default=False)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # resolve trigger: empty = every channel
    team_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # resolve trigger: empty = every team
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def scale(self) -> tuple[int, int]:
        lo, hi, _ = KINDS[self.kind]
        return lo, hi


class SurveyInvitation(Base):
    """One public link `/survey/<token>`; at most one per (customer, survey, item or order)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("survey_id", "customer_key", "subject", name="uq_survey_invitations_once"),
        Index("ix_survey_invitations_customer_sent", "customer_key", "sent_at"),
        Index("ix_survey_invitations_sent", "sent_at", "kind", "answered_at"),  # response rate, index only
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # A digest of the normalised contact (no personal data in clear): the quiet period spans every channel.
    customer_key: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(120))  # "FB…" or "order:<source>:<id>"
    feedback_id: Mapped[str | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), index=True)
    trigger: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(200))  # where the link was mailed (order surveys)
    channel: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    problem_type: Mapped[str | None] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    emailed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class SurveyResponse(Base):
    """The customer's answer: score, comment, follow-up answers, and the invitation's snapshot."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_kind_answered", "kind", "answered_at", "score"),)  # index only

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("survey_invitations.id", ondelete="CASCADE"), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fcr_answer: Mapped[bool | None] = mapped_column(Boolean)  # 问题一次就解决了吗? where asked and answered
    trigger: Mapped[str] = mapped_column(String(10))
    feedback_id: Mapped[str | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), index=True)
    # The comment, stored as a feedback item of channel "survey": analysed like any feedback text.
    comment_feedback_id: Mapped[str | None] = mapped_column(String(24))
    channel: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    problem_type: Mapped[str | None] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(20))
    recovery: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
