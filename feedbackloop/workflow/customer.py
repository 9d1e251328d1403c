"""The customer's side of the loop: the status link page and the satisfaction answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.workflow import priority as prio
from feedbackloop.workflow import sla
from feedbackloop.workflow.models import HistoryEntry
from feedbackloop.workflow.services import add_history, escalate, notify
from feedbackloop.workflow.states import label


def by_token(session: Session, token: str) -> Feedback:
    record = session.scalar(select(Feedback).where(Feedback.status_token == token)) if token else None
    if record is None:
        raise NotFound("链接无效或已失效 / this status link is not valid")
    return record


def answer_satisfaction(session: Session, token: str, satisfied: bool) -> Feedback:
    """The customer's 满意/不满意; 不满意 reopens the item one priority level higher (and escalates VIPs)."""
    begin_write(session)
    record = by_token(session, token)
    if record.status not in ("resolved", "closed"):
        raise Conflict("该反馈尚未解决, 解决后才能评价 / you can rate once the item is resolved")
    now = clock.now()
    record.satisfaction, record.satisfaction_at = ("satisfied" if satisfied else "dissatisfied"), now
    before = record.status
    if satisfied:
        add_history(session, record, "satisfaction", None, "客户: 满意 / customer satisfied")
        if record.status == "resolved":
            record.status, record.closed_at = "closed", now
            add_history(
                session, record, "status", None, "客户满意, 自动关闭", from_status=before, to_status="closed"
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
    add_history(session, record, "satisfaction", None, "客户: 不满意 / customer dissatisfied")
    add_history(
        session,
        record,
        "status",
        None,
        f"客户不满意, 重开; 优先级 {old} → {record.priority}",
        from_status=before,
        to_status="reopened",
    )
    notify(
        session, [record.owner_id or 0], record, "reopened", f"客户不满意, 反馈 {record.id} 已重开 / reopened"
    )
    if record.customer_type == "high_value":
        escalate(session, record, "高价值客户不满意 / dissatisfied high-value customer")
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
        .where(Reply.feedback_id == record.id, Reply.kind.in_(("email", "notice")))
        .where(Reply.state.in_(("sent", "received")))
        .order_by(Reply.created_at, Reply.id)
    ).all()
    return {
        "record": record,
        "status_label": label(record.status),
        "steps": [{"at": s.at, "status": s.to_status, "label": label(s.to_status or "")} for s in steps],
        "replies": replies,
        "can_rate": record.status in ("resolved", "closed") and record.satisfaction is None,
    }
