"""Working an item: triage, transitions, claim/assign, escalation, notifications, the customer's answer.

Plain functions over a session; each public write commits its own unit of work."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import ROLES_EN, User
from feedbackloop.accounts.policy import HANDLERS
from feedbackloop.config import get_settings
from feedbackloop.db import begin_write, rows_changed
from feedbackloop.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.lib.humanize import both_sides
from feedbackloop.workflow import priority as prio
from feedbackloop.workflow import sla
from feedbackloop.workflow.models import LEVEL_KINDS, HistoryEntry, Notification, TeamSettings
from feedbackloop.workflow.states import STATUS_EN, allowed_next, label

SUPERVISORS = ("supervisor", "admin")
# Called with the item's id after a transition to "resolved" is committed. The task layer registers the
# customer's resolution notice here (workflow/tasks.py), so this module knows nothing of the queue.
after_resolve_hooks: list[Callable[[str], None]] = []


def status_link(record: Feedback) -> str:
    """The customer's page showing this item's progress."""
    return f"{get_settings().link_base()}/s/{record.status_token}"


def _actor(user: User | None) -> tuple[int | None, str]:
    return (user.id, user.display_name or user.username) if user else (None, "system")


def add_history(
    session: Session,
    record: Feedback,
    kind: str,
    user: User | None = None,
    reason: str | None = None,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Keep one event in the item's history (who, when, why)."""
    actor_id, actor = _actor(user)
    session.add(
        HistoryEntry(
            feedback_id=record.id,
            at=clock.now(),
            actor_id=actor_id,
            actor=actor,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            data=data,
        )
    )


def history(session: Session, feedback_id: str) -> list[HistoryEntry]:
    """The item's history, oldest first."""
    get_record(session, feedback_id)
    return list(
        session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.feedback_id == feedback_id)
            .order_by(HistoryEntry.at, HistoryEntry.id)
        )
    )


def assigned_title(feedback_id: str, *, new: bool = False) -> str:
    """The notification an item's new owner gets."""
    if new:
        return f"新反馈 {feedback_id} 已分配给您 / New item {feedback_id} was assigned to you"
    return f"反馈 {feedback_id} 已分配给您 / Item {feedback_id} was assigned to you"


def notify(
    session: Session, user_ids: list[int], record: Feedback | None, kind: str, title: str, body: str = ""
) -> int:
    """In-app notifications (the mailer task emails them to users who have an address).

    `title` and `body` are stored once as "中文 / English" and shown in the reader's language
    (lib.humanize.localize_message; the pages' `|msg` filter)."""
    now = clock.now()
    for uid in dict.fromkeys(u for u in user_ids if u):
        session.add(
            Notification(
                user_id=uid,
                feedback_id=record.id if record else None,
                kind=kind,
                title=title,
                body=body,
                created_at=now,
            )
        )
    return len(user_ids)


def level_members(session: Session, level: int) -> list[int]:
    """Active members of every team at an escalation level."""
    return list(
        session.scalars(
            select(User.id)
            .join(TeamSettings, TeamSettings.team_id == User.team_id)
            .where(TeamSettings.kind == LEVEL_KINDS[level], User.is_active.is_(True))
        )
    )


def get_record(session: Session, feedback_id: str, *, lock: bool = False) -> Feedback:
    record = session.get(Feedback, feedback_id, with_for_update=lock or None)
    if record is None:
        raise NotFound(f"反馈 {feedback_id} 不存在 / feedback {feedback_id} not found")
    return record


def _pair(zh: str, en: str, reason: str) -> str:
    """"<zh>：<reason> / <en>: <reason>", with each side of a "中文 / English" reason on its own side."""
    zh_reason, en_reason = both_sides(reason)
    return f"{zh}：{zh_reason} / {en}: {en_reason}"


def escalate(
    session: Session,
    record: Feedback,
    reason: str,
    user: User | None = None,
    *,
    to_level: int | None = None,
    members: dict[int, list[int]] | None = None,
) -> None:
    """Move the item up the four levels (一线客服 → 专家团队 → 部门经理 → 高管) and notify that level."""
    new = min(4, to_level if to_level else record.escalation_level + 1)
    if new <= record.escalation_level:
        return
    record.escalation_level = new
    add_history(
        session, record, "escalation", user, _pair(f"升级到{LEVEL_KINDS[new]}", f"Escalated to level {new}", reason), data={"level": new}
    )
    title = _pair(f"【{LEVEL_KINDS[new]}】反馈 {record.id} 已升级", f"Item {record.id} was escalated to level {new}", reason)
    if members is not None and new not in members:
        members[new] = level_members(session, new)
    people = members[new] if members is not None else level_members(session, new)
    notify(session, people + [record.owner_id or 0], record, "escalation", title)


def ensure_token(record: Feedback) -> str:
    """The unguessable token of the customer's status link."""
    if not record.status_token:
        record.status_token = secrets.token_urlsafe(24)
    return record.status_token


# --- Transitions, claim, assign -------------------------------------------------------------------------


def _check_allowed(record: Feedback, to: str) -> None:
    nexts = allowed_next(record.status)
    if to not in nexts:
        names = ", ".join(f"{s} ({label(s)})" for s in nexts) or "无 / none"
        raise Conflict(
            f"不能从「{label(record.status)}」变为「{label(to)}」；允许的下一状态：{names} / "
            f"cannot move from {STATUS_EN.get(record.status, record.status)} to {STATUS_EN.get(to, to)}",
            code="invalid_transition",
            details={"from": record.status, "to": to, "allowed": list(nexts)},
        )


def apply_status(
    session: Session, record: Feedback, to: str, user: User | None, now: datetime, merged_into: str | None
) -> None:
    work = sla.Clockwork.load(session)
    if record.status == "waiting_customer":
        sla.resume(record, work, now)
    if to == "assigned" and record.owner_id is None:
        if user is None or user.role == "customer":
            raise Conflict("请先指派负责人 / assign an owner first", code="owner_required")
        record.owner_id = user.id
    if to == "waiting_customer":
        sla.pause(record, now)
        record.first_responded_at = record.first_responded_at or now
    elif to == "resolved":
        record.resolved_at = now
        record.first_responded_at = record.first_responded_at or now
        record.followup_due_at = now + sla.FOLLOWUP_AFTER
        record.followup_done_at = None
        record.customer_notified_at = None
        ensure_token(record)
    elif to == "closed":
        record.closed_at = now
    elif to == "reopened":
        record.reopen_count += 1
        record.resolved_at = record.closed_at = None
        sla.restart_resolution(record, work, now)
    elif to == "merged":
        if merged_into:
            get_record(session, merged_into)
            if merged_into == record.id:
                raise ValidationFailed("不能合并到自身 / cannot merge an item into itself")
            record.duplicate_of = merged_into
            record.duplicate_kind = record.duplicate_kind or "manual"


def transition(
    session: Session,
    feedback_id: str,
    to: str,
    user: User | None,
    reason: str | None = None,
    *,
    merged_into: str | None = None,
) -> Feedback:
    """Move the item to `to` if the life cycle allows it (409 naming the allowed states otherwise); commits."""
    begin_write(session)
    record = get_record(session, feedback_id, lock=True)
    if user is not None and user.role == "agent" and record.owner_id not in (None, user.id):
        raise PermissionDenied("该反馈由其他客服负责，请联系主管改派 / another agent owns this item")
    _check_allowed(record, to)
    now = clock.now()
    before = record.status
    apply_status(session, record, to, user, now, merged_into)
    record.status = to
    add_history(session, record, "status", user, reason, from_status=before, to_status=to)
    if to == "reopened" and record.owner_id:
        notify(session, [record.owner_id], record, "reopened", f"反馈 {record.id} 已重开 / Item {record.id} was reopened")
    session.commit()
    if to == "resolved":
        for hook in after_resolve_hooks:
            hook(record.id)
    return record


def claim(session: Session, feedback_id: str, user: User) -> Feedback:
    """Take an unowned item; of two agents claiming at once exactly one wins (conditional UPDATE)."""
    begin_write(session)
    record = get_record(session, feedback_id)
    before = record.status
    changed = rows_changed(
        session,
        update(Feedback)
        .where(Feedback.id == feedback_id, Feedback.owner_id.is_(None))
        .where(Feedback.status.in_(("new", "triaged", "reopened")))
        .values(owner_id=user.id, status="assigned", updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if changed != 1:
        session.rollback()
        session.expire_all()
        record = get_record(session, feedback_id)
        owner = session.get(User, record.owner_id) if record.owner_id else None
        who = (owner.display_name or owner.username) if owner else "无"
        raise Conflict(
            f"反馈 {feedback_id} 已被 {who} 认领或当前状态「{label(record.status)}」不可认领 / "
            f"already claimed by {who} or not claimable",
            code="already_claimed",
            details={"owner_id": record.owner_id, "status": record.status},
        )
    session.expire(record)
    add_history(session, record, "claim", user, "已认领 / Claimed", from_status=before, to_status="assigned")
    session.commit()
    return record


def assignable(session: Session, owner_id: int) -> User:
    """The user an item may be given to: an active agent, supervisor or admin (routing hands items to the same
    roles; product managers, customer success managers, analysts and customers never own one)."""
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise ValidationFailed(f"用户 {owner_id} 不存在或已停用 / User {owner_id} does not exist or is deactivated")
    if owner.role not in HANDLERS:
        raise ValidationFailed(
            f"{owner.display_name or owner.username}（{owner.role_label}）不能负责反馈，请选择客服、主管或管理员 / "
            f"{owner.display_name or owner.username} ({ROLES_EN.get(owner.role, owner.role)}) cannot own items: "
            "choose an agent, a supervisor or an admin"
        )
    return owner


def assignees(session: Session) -> list[dict[str, Any]]:
    """Everyone `assignable` accepts, for the pickers: id, name, team."""
    users = session.scalars(select(User).where(User.is_active.is_(True), User.role.in_(sorted(HANDLERS)))
                            .order_by(User.team_id.is_(None), User.team_id, User.id))  # fmt: skip
    return [{"id": u.id, "display_name": u.display_name or u.username, "team_id": u.team_id, "role": u.role}
            for u in users]  # fmt: skip


def assign(
    session: Session, feedback_id: str, owner_id: int, user: User, reason: str | None = None
) -> Feedback:
    """Give the item to one owner (supervisors any item; agents only their own or unowned ones)."""
    begin_write(session)
    record = get_record(session, feedback_id, lock=True)
    if user.role not in SUPERVISORS and record.owner_id not in (None, user.id):
        raise PermissionDenied("只有主管可以改派他人的反馈 / only supervisors reassign others' items")
    owner = assignable(session, owner_id)
    if record.status in ("closed", "merged", "spam"):
        raise Conflict(f"状态「{label(record.status)}」的反馈不能分配 / cannot assign a {record.status} item")
    before, old_owner = record.status, record.owner_id
    record.owner_id = owner.id
    if record.status in ("new", "triaged", "reopened"):
        record.status = "assigned"
    add_history(
        session,
        record,
        "assign",
        user,
        reason or f"分配给{owner.display_name or owner.username} / Assigned to {owner.display_name or owner.username}",
        from_status=before,
        to_status=record.status,
        data={"from_owner": old_owner, "to_owner": owner.id},
    )
    notify(session, [owner.id], record, "assigned", assigned_title(record.id))
    session.commit()
    return record


def manual_escalate(session: Session, feedback_id: str, user: User, reason: str) -> Feedback:
    """An agent escalates by hand to the next level."""
    begin_write(session)
    record = get_record(session, feedback_id, lock=True)
    if record.escalation_level >= 4:
        raise Conflict("已是最高级别（高管） / already at the top level")
    escalate(session, record, reason or "人工升级 / escalated by hand", user)
    session.commit()
    return record


def notifications_for(
    session: Session, user: User, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user: User, ids: list[int]) -> int:
    """Mark the user's own notifications read."""
    changed = rows_changed(
        session,
        update(Notification)
        .where(Notification.user_id == user.id, Notification.id.in_(ids), Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    session.commit()
    return changed


def state(session: Session, feedback_id: str) -> dict[str, Any]:
    """Everything an agent needs beside the item: status and next steps, owner, priority and reasons, SLA."""
    from feedbackloop.accounts.models import Team
    from feedbackloop.workflow.models import PRIORITY_LEVELS

    record = get_record(session, feedback_id)
    owner = session.get(User, record.owner_id) if record.owner_id else None
    team = session.get(Team, record.team_id) if record.team_id else None
    return {
        "id": record.id,
        "status": record.status,
        "status_label": label(record.status),
        "status_label_en": STATUS_EN.get(record.status, record.status),
        "allowed_next": list(allowed_next(record.status)),
        "owner_id": record.owner_id,
        "owner": (owner.display_name or owner.username) if owner else None,
        "team_id": record.team_id,
        "team": team.name if team else None,
        "priority": record.priority,
        "priority_label": PRIORITY_LEVELS.get(record.priority or ""),
        "priority_score": record.priority_score or 0,
        "priority_reasons": record.priority_reasons or [],
        "escalation_level": record.escalation_level,
        "escalation_label": LEVEL_KINDS.get(record.escalation_level, ""),
        "sla": sla.view(record, clock.now()),
        "first_response_due": record.first_response_due,
        "resolution_due": record.resolution_due,
        "first_responded_at": record.first_responded_at,
        "resolved_at": record.resolved_at,
        "satisfaction": record.satisfaction,
        "reopen_count": record.reopen_count,
        "status_link": status_link(record) if record.status_token else None,
    }


def admin_context(session: Session) -> dict[str, Any]:
    """What the rules/SLA admin page shows beside its API-driven tables."""
    from feedbackloop.workflow.models import BusinessCalendar

    policies = sorted(sla.policies(session).values(), key=lambda p: prio.LEVEL_ORDER[::-1].index(p.priority))
    sla.business_hours(session)
    session.commit()
    users = session.scalars(
        select(User).where(User.is_active.is_(True), User.role != "customer").order_by(User.id)
    )
    return {"policies": policies, "calendar": session.get(BusinessCalendar, 1), "users": list(users)}
