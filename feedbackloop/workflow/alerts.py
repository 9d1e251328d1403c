"""Threshold alerts (issue 5.6): complaint share of a category over a threshold in a window alerts a team."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import User
from feedbackloop.errors import NotFound, ValidationFailed
from feedbackloop.feedback.models import PROBLEM_TYPES, Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.models import AlertEvent, AlertRule
from feedbackloop.workflow.routing import get_team

MAX_CAUSES = 200


def list_rules(session: Session) -> list[AlertRule]:
    """Every threshold-alert rule, oldest first."""
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)))


def save_rule(session: Session, fields: dict[str, Any], rule_id: int | None = None) -> AlertRule:
    """Create or update an alert rule; it needs a problem type or a keyword, and a team."""
    rule = get_rule(session, rule_id) if rule_id else AlertRule()
    for key, value in fields.items():
        if value is not None:
            setattr(rule, key, value if value != "" else None)
    if rule.problem_type and rule.problem_type not in PROBLEM_TYPES:
        raise ValidationFailed(f"未知问题类型 '{rule.problem_type}' / unknown problem type")
    if not rule.problem_type and not rule.keyword:
        raise ValidationFailed("请填写问题类型或关键词 / give a problem type or a keyword")
    if not 0 < rule.threshold_pct <= 100 or rule.window_hours < 1:
        raise ValidationFailed("阈值须在 0–100%，窗口至少 1 小时 / threshold 0–100 %, window ≥ 1 h")
    get_team(session, rule.team_id)
    if rule_id is None:
        session.add(rule)
    session.commit()
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"预警规则 {rule_id} 不存在 / alert rule {rule_id} not found")
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id))
    session.commit()


def _category(rule: AlertRule) -> Any:
    conds = []
    if rule.problem_type:
        conds.append(Feedback.problem_type == rule.problem_type)
    if rule.keyword:
        escaped = rule.keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(Feedback.content.like(f"%{escaped}%", escape="\\"))
    return and_(*conds)


def _complaint() -> Any:
    return or_(Feedback.sentiment == "negative", and_(Feedback.sentiment.is_(None), Feedback.rating <= 2))


def evaluate(session: Session, rule: AlertRule, now: datetime) -> AlertEvent | None:
    """Fire the rule if its window is over the threshold and it has not fired within the last window."""
    window = timedelta(hours=rule.window_hours)
    if rule.last_fired_at and now - rule.last_fired_at < window:
        return None
    start = now - window
    in_window = and_(Feedback.received_at > start, Feedback.received_at <= now, Feedback.status != "spam")
    total = session.scalar(select(func.count()).where(in_window)) or 0
    matched_stmt = select(Feedback.id).where(in_window, _category(rule), _complaint())
    matched = session.scalar(select(func.count()).select_from(matched_stmt.subquery())) or 0
    share = 100.0 * matched / total if total else 0.0
    if matched < rule.min_items or share <= rule.threshold_pct:
        return None
    ids = list(session.scalars(matched_stmt.order_by(Feedback.received_at.desc()).limit(MAX_CAUSES)))
    event = AlertEvent(
        rule_id=rule.id,
        window_start=start,
        window_end=now,
        matched=matched,
        total=total,
        share_pct=round(share, 2),
        feedback_ids=ids,
        created_at=now,
    )
    session.add(event)
    rule.last_fired_at = now
    members = list(
        session.scalars(select(User.id).where(User.team_id == rule.team_id, User.is_active.is_(True)))
    )
    from feedbackloop.workflow.services import notify

    hours = f"{window.total_seconds() / 3600:.0f}"
    title = (
        f"预警「{rule.name}」：{hours} 小时内投诉占比 {share:.1f}%（阈值 {rule.threshold_pct}%，{matched}/{total}） / "
        f"Alert '{rule.name}': complaints were {share:.1f}% of the items of the last {hours} h "
        f"(threshold {rule.threshold_pct}%, {matched}/{total})"
    )
    shown = ids[:50]
    notify(session, members, None, "alert", title, f"相关反馈：{'、'.join(shown)} / Items: {', '.join(shown)}")
    return event


def run_all(session: Session, now: datetime | None = None) -> list[AlertEvent]:
    """Evaluate every enabled rule; commits."""
    from feedbackloop.db import begin_write

    now = now or clock.now()
    begin_write(session)
    fired = []
    for rule in session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True))).all():
        event = evaluate(session, rule, now)
        if event:
            fired.append(event)
    try:
        session.commit()
    except IntegrityError:  # another worker fired the same rule for the same window first
        session.rollback()
        return []
    return fired


def events(session: Session, rule_id: int | None = None, limit: int = 100) -> list[AlertEvent]:
    stmt = select(AlertEvent)
    if rule_id:
        stmt = stmt.where(AlertEvent.rule_id == rule_id)
    return list(session.scalars(stmt.order_by(AlertEvent.id.desc()).limit(limit)))
