"""The customer's side of the loop: the status link page and the satisfaction answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.workflow import priority as prio
from feedbackloop.workflow import sla
from feedbackloop.workflow.models import PRIORITY_LEVELS, HistoryEntry
from feedbackloop.workflow.services import add_history, escalate, notify
from feedbackloop.workflow.states import label


def by_token(session: Session, token: str) -> Feedback:
    record = session.scalar(select(Feedback).where(Feedback.status_token == token)) if token else None
    if record is None:
        raise NotFound("链接无效或已失效 / this status link is not valid")
    return record


def ensure_status_link(session: Session, feedback_id: str) -> str:
    """The item's status link, its token created now if triage has not made one yet (the thank-you page
    shows it at once; the conditional UPDATE never replaces a token someone may already hold). Commits."""
    import secrets

    begin_write(session)
    session.execute(
        update(Feedback)
        .where(Feedback.id == feedback_id, Feedback.status_token.is_(None))
        .values(status_token=secrets.token_urlsafe(24))
        .execution_options(synchronize_session=False)
    )
    token = session.scalar(select(Feedback.status_token).where(Feedback.id == feedback_id))
    session.commit()
    from feedbackloop.config import get_settings

    return f"{get_settings().link_base()}/s/{token}"


RATEABLE = ("resolved", "closed")
# Higher features add to the status page's view (surveys: the open survey link) without this module knowing them.
public_view_extras: list[Callable[[Session, Feedback], dict[str, Any]]] = []
ALREADY_ANSWERED = "already_answered"


def _unanswered() -> ColumnElement[bool]:
    """No answer yet for the item's current resolution (an answer older than the resolution was for an earlier one)."""
    return or_(Feedback.satisfaction_at.is_(None), Feedback.satisfaction_at < Feedback.resolved_at)


def awaits_answer(record: Feedback) -> bool:
    """Whether the customer may still rate the item's current resolution."""
    answered_at, resolved_at = record.satisfaction_at, record.resolved_at
    unanswered = answered_at is None or (resolved_at is not None and answered_at < resolved_at)
    return record.status in RATEABLE and unanswered


def _claim_answer(session: Session, record: Feedback, answer: str, now: datetime) -> None:
    """Store the answer if this resolution has none yet; one conditional UPDATE, so two answers cannot both win."""
    claimed = session.execute(
        update(Feedback)
        .where(Feedback.id == record.id, Feedback.status.in_(RATEABLE), _unanswered())
        .values(satisfaction=answer, satisfaction_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(
            "您已评价过本次处理，评价已记录，无需重复提交 / this resolution was already rated; the answer is recorded",
            code=ALREADY_ANSWERED,
        )


def answer_satisfaction(session: Session, token: str, satisfied: bool) -> Feedback:
    """The customer's 满意/不满意, once per resolution; 不满意 reopens the item one priority level higher."""
    begin_write(session)
    record = by_token(session, token)
    if record.status not in RATEABLE:
        raise Conflict("该反馈尚未解决，解决后才能评价 / You can rate once the item is resolved")
    now = clock.now()
    _claim_answer(session, record, "satisfied" if satisfied else "dissatisfied", now)
    before = record.status
    if satisfied:
        add_history(session, record, "satisfaction", None, "客户评价：满意 / The customer was satisfied")
        if record.status == "resolved":
            record.status, record.closed_at = "closed", now
            add_history(
                session, record, "status", None, "客户满意，自动关闭 / The customer was satisfied: closed", from_status=before, to_status="closed"
            )
        session.commit()
        return record
    work = sla.Clockwork.load(session)
    record.status = "reopened"
    record.reopen_count += 1
    record.resolved_at = record.closed_at = None
    old = record.priority
    record.priority = prio.raise_level(record.priority)
    record.priority_score = min(100, record.priority_score + 20)
    record.priority_reasons = [
        {"code": "dissatisfied", "label": "客户对处理结果不满意 / customer dissatisfied", "points": 20}
    ] + [r for r in (record.priority_reasons or []) if r.get("code") != "dissatisfied"]
    sla.restart_resolution(record, work, now)
    add_history(session, record, "satisfaction", None, "客户评价：不满意 / The customer was not satisfied")
    add_history(
        session,
        record,
        "status",
        None,
        f"客户不满意，重开；优先级 {PRIORITY_LEVELS.get(old or '', old or '—')} → "
        f"{PRIORITY_LEVELS.get(record.priority, record.priority)} / "
        f"The customer was not satisfied: reopened; priority {old} → {record.priority}",
        from_status=before,
        to_status="reopened",
    )
    notify(
        session, [record.owner_id or 0], record, "reopened", f"客户不满意，反馈 {record.id} 已重开 / The customer was not satisfied: item {record.id} was reopened"
    )
    if record.customer_type == "high_value":
        escalate(session, record, "高价值客户不满意 / A high-value customer was not satisfied")
    session.commit()
    return record


def public_view(session: Session, token: str) -> dict[str, Any]:
    """What the customer's status page shows: this item's status, its status changes and the replies sent."""
    from feedbackloop.workflow.models import Reply

    record = by_token(session, token)
    steps = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.feedback_id == record.id, HistoryEntry.kind == "status")
        .order_by(HistoryEntry.at, HistoryEntry.id)
    ).all()
    replies = session.scalars(
        select(Reply)
        .where(Reply.feedback_id == record.id, Reply.kind.in_(("email", "notice", "sms", "wechat")))
        .where(Reply.state.in_(("sent", "received")))
        .order_by(Reply.created_at, Reply.id)
    ).all()
    extras: dict[str, Any] = {}
    for extra in public_view_extras:
        extras.update(extra(session, record))
    return {
        **extras,
        "record": record,
        "status_label": label(record.status),
        "steps": [{"at": s.at, "status": s.to_status, "label": label(s.to_status or "")} for s in steps],
        "replies": replies,
        "can_rate": awaits_answer(record),
    }
