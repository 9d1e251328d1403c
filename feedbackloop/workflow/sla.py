"""SLA policies, the business calendar, per-item due dates, pause/resume, and the set-based sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, insert, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import User
from feedbackloop.db import rows_changed
from feedbackloop.errors import NotFound, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.workflow.calendar import Hours, add_minutes, working_minutes
from feedbackloop.workflow.models import (
    LEVEL_KINDS,
    BusinessCalendar,
    HistoryEntry,
    Notification,
    SlaPolicy,
    TeamSettings,
)
from feedbackloop.workflow.states import ACTIVE_STATUSES, OPEN_STATUSES

MAX_FIRST_RESPONSE_MINUTES = 48 * 60  # SPEC §5: a first response is never due later than 48 h
FOLLOWUP_AFTER = timedelta(days=2)  # SPEC §5: follow-up check 1–3 days after resolution
NOTIFY_CUSTOMER_WITHIN = timedelta(hours=24)
# Items imported long after the fact (old platform reviews) are history, not work with a clock running.
HISTORIC_AFTER = timedelta(days=30)

# priority → (name, first response min, resolution min, business hours?, remind before min)
DEFAULT_POLICIES: dict[str, tuple[str, int, int, bool, int]] = {
    "urgent": ("紧急（安全、法律、健康）：1 小时响应", 60, 8 * 60, False, 15),
    "high": ("投诉 4 小时响应", 4 * 60, 24 * 60, True, 30),
    "normal": ("一般 24 小时响应", 24 * 60, 72 * 60, True, 60),
    "low": ("建议/表扬 48 小时响应", 48 * 60, 120 * 60, True, 120),
}


def ensure_defaults(session: Session) -> None:
    """Create the default SLA policies and calendar if they are missing.

    Several workers meet a fresh database at once: each missing row is added in a savepoint, and a row that
    another transaction stored meanwhile (unique priority or id) is taken as there, not as an error that
    cost the item in hand its triage.
    """
    have = set(session.scalars(select(SlaPolicy.priority)))
    for prio, (name, first, resolve, biz, remind) in DEFAULT_POLICIES.items():
        if prio not in have:
            _add_unless_there(
                session,
                SlaPolicy(
                    priority=prio,
                    name=name,
                    first_response_minutes=first,
                    resolution_minutes=resolve,
                    business_hours=biz,
                    remind_before_minutes=remind,
                ),
            )
    if session.get(BusinessCalendar, 1) is None:
        _add_unless_there(session, BusinessCalendar(id=1, weekdays=[0, 1, 2, 3, 4], holidays=[], extra_workdays=[]))
    session.flush()


def _add_unless_there(session: Session, row: SlaPolicy | BusinessCalendar) -> None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass  # a concurrent transaction created it first; the savepoint undid only our copy


def policies(session: Session) -> dict[str, SlaPolicy]:
    """SLA policies by priority (defaults created on first use)."""
    rows = {p.priority: p for p in session.scalars(select(SlaPolicy))}
    if len(rows) < len(DEFAULT_POLICIES):
        ensure_defaults(session)
        rows = {p.priority: p for p in session.scalars(select(SlaPolicy))}
    return rows


def _hm(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def business_hours(session: Session) -> Hours:
    """The configured business calendar."""
    cal = session.get(BusinessCalendar, 1)
    if cal is None:
        ensure_defaults(session)
        cal = session.get(BusinessCalendar, 1)
    assert cal is not None
    return Hours(
        tz=cal.timezone,
        start=_hm(cal.day_start),
        end=_hm(cal.day_end),
        weekdays=frozenset(cal.weekdays),
        holidays=frozenset(date.fromisoformat(d) for d in cal.holidays),
        extra_workdays=frozenset(date.fromisoformat(d) for d in cal.extra_workdays),
    )


def update_calendar(session: Session, fields: dict[str, Any]) -> BusinessCalendar:
    """Change working hours, weekdays, holidays or make-up working days."""
    business_hours(session)
    cal = session.get(BusinessCalendar, 1)
    assert cal is not None
    for key, value in fields.items():
        if value is not None:
            setattr(cal, key, value)
    try:
        hours = business_hours(session)
    except (ValueError, KeyError) as exc:
        raise ValidationFailed(f"营业日历无效：{exc} / invalid business calendar") from exc
    if hours.start >= hours.end:
        raise ValidationFailed("上班时间必须早于下班时间 / day_start must be before day_end")
    _check_calendar_days(cal)
    session.flush()
    return cal


def _check_calendar_days(cal: BusinessCalendar) -> None:
    """Weekdays 0–6 once each; holidays and make-up days in a plausible range and never the same day."""
    weekdays = list(cal.weekdays or [])
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays) or len(set(weekdays)) != len(weekdays):
        raise ValidationFailed("工作日须为 0（周一）到 6（周日）且不重复 / weekdays must be 0 (Mon) to 6 (Sun), each once")
    for key in ("holidays", "extra_workdays"):
        for day in getattr(cal, key) or []:
            if not "2000-01-01" <= str(day) <= "2100-12-31":
                raise ValidationFailed(f"日期 {day} 超出 2000–2100 年的范围 / date {day} is outside 2000–2100")
    both = sorted(set(map(str, cal.holidays or [])) & set(map(str, cal.extra_workdays or [])))
    if both:
        raise ValidationFailed(
            f"{'、'.join(both)} 不能同时是节假日和调休上班日 / {', '.join(both)} cannot be both a holiday and a make-up workday"
        )


def update_policy(session: Session, priority: str, fields: dict[str, Any]) -> SlaPolicy:
    """Change one priority's SLA targets; a first response may never be due more than 48 h later."""
    policy = policies(session).get(priority)
    if policy is None:
        raise NotFound(f"没有优先级 {priority} 的 SLA 策略 / no SLA policy for priority {priority}")
    for key, value in fields.items():
        if value is not None:
            setattr(policy, key, value)
    if policy.first_response_minutes > MAX_FIRST_RESPONSE_MINUTES:
        raise ValidationFailed("首次响应时限不得超过 48 小时 / first response may not exceed 48 h")
    if policy.resolution_minutes < policy.first_response_minutes:
        raise ValidationFailed("解决时限不得短于首次响应时限 / resolution target shorter than first response")
    session.flush()
    return policy


@dataclass
class Clockwork:
    """What due-date arithmetic needs, loaded once per batch."""

    policies: dict[str, SlaPolicy]
    hours: Hours

    @classmethod
    def load(cls, session: Session) -> Clockwork:
        return cls(policies(session), business_hours(session))

    def hours_for(self, priority: str | None) -> Hours | None:
        policy = self.policies[priority or "normal"]
        return self.hours if policy.business_hours else None


def apply_policy(record: Feedback, work: Clockwork, now: datetime) -> None:
    """Set due dates for the record's priority, counted from its arrival (not for historic imports)."""
    start = record.created_at or now
    if record.received_at and start - record.received_at > HISTORIC_AFTER:
        return
    policy = work.policies[record.priority or "normal"]
    hours = work.hours_for(record.priority)
    if record.first_responded_at is None:
        record.first_response_due = add_minutes(start, policy.first_response_minutes, hours)
    record.resolution_due = add_minutes(start, policy.resolution_minutes, hours)
    if record.sla_paused_seconds and record.resolution_due:
        # Time spent waiting on the customer was already excluded from the old dates; keep excluding it.
        record.resolution_due += timedelta(seconds=record.sla_paused_seconds)


def pause(record: Feedback, now: datetime) -> None:
    """Stop the clock while waiting on the customer."""
    if record.sla_paused_at is None:
        record.sla_paused_at = now


def resume(record: Feedback, work: Clockwork, now: datetime) -> None:
    """Restart the clock, moving due dates later by the working time spent paused."""
    if record.sla_paused_at is None:
        return
    hours = work.hours_for(record.priority)
    paused = working_minutes(record.sla_paused_at, now, hours)
    if record.first_responded_at is None and record.first_response_due:
        record.first_response_due = add_minutes(record.first_response_due, paused, hours)
    if record.resolution_due:
        record.resolution_due = add_minutes(record.resolution_due, paused, hours)
    record.sla_paused_seconds += int((now - record.sla_paused_at).total_seconds())
    record.sla_paused_at = None


def restart_resolution(record: Feedback, work: Clockwork, now: datetime) -> None:
    """A reopened item gets a fresh resolution target from now."""
    policy = work.policies[record.priority or "normal"]
    record.resolution_due = add_minutes(now, policy.resolution_minutes, work.hours_for(record.priority))
    record.resolution_breached_at = None
    record.sla_reminded_at = None


def view(record: Feedback, now: datetime) -> dict[str, Any]:
    """The SLA state an agent sees: the next target, time left (negative = overdue), paused or met."""
    if record.status not in OPEN_STATUSES:
        return {"state": "done", "label": "已完成", "label_en": "done", "due": None, "seconds_left": None}
    if record.first_responded_at is None and record.first_response_due:
        target, due = "first_response", record.first_response_due
    elif record.resolution_due:
        target, due = "resolution", record.resolution_due
    else:
        return {"state": "none", "label": "无 SLA", "label_en": "no SLA", "due": None, "seconds_left": None}
    ref = record.sla_paused_at or now
    left = int((due - ref).total_seconds())
    state = "paused" if record.sla_paused_at else ("breached" if left < 0 else "ok")
    from feedbackloop.lib.humanize import duration

    names = {"first_response": "首次响应", "resolution": "解决"}
    names_en = {"first_response": "first response", "resolution": "resolution"}
    text = f"{names[target]}{'已超时' if left < 0 else '剩余'} {duration(left)}"
    text_en = f"{names_en[target]} {'overdue by' if left < 0 else 'due in'} {duration(left, 'en')}"
    if state == "paused":
        text += "（等待客户，计时暂停）"
        text_en += " (waiting on the customer, paused)"
    return {"state": state, "target": target, "due": due, "seconds_left": left, "label": text, "label_en": text_en}


# --- The sweep: a handful of set-based statements, whatever the number of open items ----------------------


def _level_kind() -> Any:
    return case(
        *((Feedback.escalation_level == lvl, kind) for lvl, kind in LEVEL_KINDS.items()), else_="高管"
    )


def _remind(session: Session, now: datetime) -> int:
    count = 0
    running = and_(
        Feedback.status.in_(ACTIVE_STATUSES),
        Feedback.sla_paused_at.is_(None),
        Feedback.sla_reminded_at.is_(None),
        Feedback.owner_id.is_not(None),
    )
    for prio, policy in policies(session).items():
        horizon = now + timedelta(minutes=policy.remind_before_minutes)
        due_soon = or_(
            and_(
                Feedback.first_responded_at.is_(None),
                Feedback.first_response_due > now,
                Feedback.first_response_due <= horizon,
            ),
            and_(Feedback.resolution_due > now, Feedback.resolution_due <= horizon),
        )
        changed = rows_changed(
            session,
            update(Feedback)
            .where(running, Feedback.priority == prio, due_soon)
            .values(sla_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        count += changed
    if count:
        session.execute(
            insert(Notification).from_select(
                ["user_id", "feedback_id", "kind", "title", "created_at"],
                select(
                    Feedback.owner_id,
                    Feedback.id,
                    literal("sla_reminder"),
                    literal("反馈 ") + Feedback.id + literal(" 的 SLA 即将到期，请尽快处理 / The SLA of item ")
                    + Feedback.id + literal(" is due soon"),
                    literal(now, type_=Feedback.created_at.type),
                ).where(Feedback.sla_reminded_at == now),
            )
        )
    return count


def _breach(session: Session, due_col: Any, marker: Any, extra: Any, now: datetime) -> int:
    changed = rows_changed(
        session,
        update(Feedback)
        .where(
            Feedback.status.in_(ACTIVE_STATUSES),
            Feedback.sla_paused_at.is_(None),
            marker.is_(None),
            due_col <= now,
            extra,
        )
        .values(
            {
                marker: now,
                Feedback.escalation_level: case(
                    (Feedback.escalation_level < 4, Feedback.escalation_level + 1), else_=4
                ),
            }
        )
        .execution_options(synchronize_session=False)
    )
    return changed


def _record_breaches(session: Session, now: datetime) -> None:
    stamp = literal(now, type_=Feedback.created_at.type)
    just = or_(Feedback.first_response_breached_at == now, Feedback.resolution_breached_at == now)
    first = Feedback.first_response_breached_at == now
    kind_label = case((first, "首次响应超时"), else_="解决超时")
    kind_en = case((first, "first response"), else_="resolution")
    session.execute(
        insert(HistoryEntry).from_select(
            ["feedback_id", "at", "actor", "kind", "reason"],
            select(
                Feedback.id,
                stamp,
                literal("system"),
                literal("escalation"),
                literal("SLA ") + kind_label + literal("，升级到") + _level_kind()
                + literal(" / SLA breached (") + kind_en + literal("): escalated to level ")
                + cast(Feedback.escalation_level, String),
            ).where(just),
        )
    )
    title = (literal("反馈 ") + Feedback.id + literal(" SLA 超时，已升级 / Item ") + Feedback.id
             + literal(": SLA breached, escalated"))
    session.execute(
        insert(Notification).from_select(
            ["user_id", "feedback_id", "kind", "title", "created_at"],
            select(Feedback.owner_id, Feedback.id, literal("sla_breach"), title, stamp).where(
                just, Feedback.owner_id.is_not(None)
            ),
        )
    )
    session.execute(
        insert(Notification).from_select(
            ["user_id", "feedback_id", "kind", "title", "created_at"],
            select(User.id, Feedback.id, literal("escalation"), title, stamp)
            .select_from(Feedback)
            .join(TeamSettings, TeamSettings.kind == _level_kind())
            .join(User, User.team_id == TeamSettings.team_id)
            .where(just, User.is_active.is_(True)),
        )
    )


@dataclass
class SweepResult:
    reminded: int = 0
    first_response_breached: int = 0
    resolution_breached: int = 0
    followups: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reminded": self.reminded,
            "first_response_breached": self.first_response_breached,
            "resolution_breached": self.resolution_breached,
            "followups": len(self.followups or []),
        }


def sweep(session: Session, now: datetime) -> SweepResult:
    """Remind owners before a breach, mark breaches and escalate them, pick up due follow-ups. Commits."""
    from feedbackloop.db import begin_write

    begin_write(session)
    out = SweepResult()
    out.reminded = _remind(session, now)
    out.first_response_breached = _breach(
        session,
        Feedback.first_response_due,
        Feedback.first_response_breached_at,
        Feedback.first_responded_at.is_(None),
        now,
    )
    out.resolution_breached = _breach(
        session, Feedback.resolution_due, Feedback.resolution_breached_at, true(), now
    )
    if out.first_response_breached or out.resolution_breached:
        _record_breaches(session, now)
    due = session.execute(
        update(Feedback)
        .where(
            Feedback.status.in_(("resolved", "closed")),
            Feedback.followup_due_at <= now,
            Feedback.followup_done_at.is_(None),
        )
        .values(followup_done_at=now)
        .returning(Feedback.id)
        .execution_options(synchronize_session=False)
    )
    out.followups = list(due.scalars())
    session.commit()
    return out


def count_open(session: Session) -> int:
    return session.scalar(select(func.count()).where(Feedback.status.in_(OPEN_STATUSES))) or 0
