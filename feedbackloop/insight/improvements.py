"""Improvement plans and their effect review (SPEC §6): did the linked themes shrink after the change shipped?

A plan links theme keys (`aspect:送餐速度:negative`, `risk:食品安全`, `problem_type:物流`, as
`analysis.themes.theme_keys` gives them); an item is linked to a plan when its theme keys meet the plan's.
The review compares the N days before `shipped_at` with the N days after it (N = 30, or the whole days since
shipping when fewer, at least 1): linked items per day, their negative share, and all feedback as context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import Team, User
from feedbackloop.analysis.themes import theme_label
from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.feedback.models import PROBLEM_TYPES, Feedback
from feedbackloop.insight.models import PLAN_STATUSES, PLAN_TRANSITIONS, ImprovementPlan
from feedbackloop.lib.clock import CHINA, clock
from feedbackloop.workflow.routing import Router

REVIEW_DAYS = 30
OPEN_PLAN_STATUSES = ("planned", "in_progress", "shipped")  # shipped stays open until its effect is verified
UNFINISHED = ("planned", "in_progress")  # the ones a due date still applies to
EDITABLE = ("title", "problem_type", "team_id", "owner_id", "due_date", "measures", "theme_keys")
# Called with the plan's id after a status change is committed (the idea board mirrors it and, once the plan
# ships, tells the customers who asked for it); this module knows nothing of them.
after_status_hooks: list[Callable[[int], None]] = []
# Called in the saving transaction (before the commit) with each plan created or changed: the idea board
# recounts the plan's priority from its ideas' votes and the feedback that asked for it.
priority_hooks: list[Callable[[Session, ImprovementPlan], None]] = []
SORTS = ("due", "priority")


# --- Theme labels ------------------------------------------------------------------------------------------


def theme_problem_type(key: str) -> str | None:
    """The problem type a theme belongs to (what routing rules are written for), if it has one."""
    from feedbackloop.analysis.lexicon import BUILTIN_ASPECTS

    kind, _, rest = key.partition(":")
    if kind == "problem_type":
        return rest
    if kind == "aspect":
        name = rest.rpartition(":")[0]
        return next((a.problem_type for a in BUILTIN_ASPECTS if a.name == name), None)
    return None


def linked_keys(content: str, analysis: dict[str, Any] | None) -> set[str]:
    """The theme keys of one stored item."""
    from feedbackloop.analysis.themes import theme_keys

    return {key for key, *_ in theme_keys(content, analysis)} if analysis else set()


# --- Plans ---------------------------------------------------------------------------------------------------


def get_plan(session: Session, plan_id: int) -> ImprovementPlan:
    plan = session.get(ImprovementPlan, plan_id)
    if plan is None:
        raise NotFound(f"改进计划 {plan_id} 不存在 / improvement plan {plan_id} not found")
    return plan


def list_plans(session: Session, status: str | None = None, sort: str = "due") -> list[ImprovementPlan]:
    """Plans, the nearest due date first (plans without one last) or, with sort="priority", the highest
    priority first; optionally of one status."""
    if sort not in SORTS:
        raise ValidationFailed(f"排序方式应为 {' 或 '.join(SORTS)} / sort must be one of {SORTS}", code="invalid_sort")
    stmt = select(ImprovementPlan)
    if status:
        _check_status(status)
        stmt = stmt.where(ImprovementPlan.status == status)
    due = (ImprovementPlan.due_date.is_(None), ImprovementPlan.due_date)
    order = (ImprovementPlan.priority.desc(), *due) if sort == "priority" else due
    return list(session.scalars(stmt.order_by(*order, ImprovementPlan.id)))


# --- Priority (SPEC §5: impact × frequency) ------------------------------------------------------------------


def priority_of(votes: int, feedback: int, negative: int, urgent: int) -> tuple[float, float]:
    """(impact, score): frequency = votes + feedback items; impact = 1 + their negative share + 1 if any is 紧急;
    score = impact × frequency, to one decimal. The one formula behind the stored `ImprovementPlan.priority`."""
    impact = 1.0 + (negative / feedback if feedback else 0.0) + (1.0 if urgent else 0.0)
    return round(impact, 2), round(impact * (votes + feedback), 1)


def set_priority(plan: ImprovementPlan, votes: int, feedback: int, negative: int, urgent: int) -> None:
    """Store the counts the priority comes from and the priority itself (in the caller's transaction)."""
    plan.priority_votes, plan.priority_feedback = votes, feedback
    plan.priority_negative, plan.priority_urgent = negative, urgent
    plan.priority = priority_of(votes, feedback, negative, urgent)[1]
    plan.priority_at = clock.now()


def priority_view(plan: ImprovementPlan) -> dict[str, Any]:
    """The stored priority with what it is made of, and the reasons as staff read them (zh-CN)."""
    votes, feedback = plan.priority_votes or 0, plan.priority_feedback or 0
    negative, urgent = plan.priority_negative or 0, plan.priority_urgent or 0
    impact, score = priority_of(votes, feedback, negative, urgent)
    reasons = [f"{votes} 票", f"关联反馈 {feedback} 条"]
    if feedback:
        reasons.append(f"负面占比 {negative / feedback:.0%}")
    if urgent:
        reasons.append(f"紧急反馈 {urgent} 条")
    return {"score": score, "impact": impact, "frequency": votes + feedback, "votes": votes, "feedback": feedback,
            "negative": negative, "urgent": urgent, "reasons": reasons, "updated_at": plan.priority_at}  # fmt: skip


def _priority_hooks(session: Session, plan: ImprovementPlan) -> None:
    session.flush()
    for hook in priority_hooks:
        hook(session, plan)


def _check_status(status: str) -> None:
    if status not in PLAN_STATUSES:
        raise ValidationFailed(
            f"未知状态 '{status}'，可用：{', '.join(PLAN_STATUSES)} / unknown status", code="invalid_status"
        )


def _check_fields(session: Session, fields: dict[str, Any]) -> None:
    if fields.get("problem_type") and fields["problem_type"] not in PROBLEM_TYPES:
        raise ValidationFailed(
            f"问题类型 '{fields['problem_type']}' 无效，可用：{', '.join(PROBLEM_TYPES)} / invalid problem_type"
        )
    if "team_id" in fields and fields["team_id"] is not None and session.get(Team, fields["team_id"]) is None:
        raise ValidationFailed(f"负责部门 {fields['team_id']} 不存在，请先在管理页创建团队 / unknown team_id")
    if fields.get("owner_id") is not None:
        owner = session.get(User, fields["owner_id"])
        if owner is None or owner.role == "customer":
            raise ValidationFailed(f"负责人 {fields['owner_id']} 不是员工账号 / owner_id is not a staff user")
    keys = fields.get("theme_keys") or []
    bad = [k for k in keys if k.partition(":")[0] not in ("aspect", "risk", "problem_type")]
    if bad:
        raise ValidationFailed(
            f"主题键无效：{bad}，应形如 aspect:送餐速度:negative 或 problem_type:物流 / invalid theme keys: use aspect:送餐速度:negative or problem_type:物流",
            details={"theme_keys": bad},
        )


def create_plan(session: Session, fields: dict[str, Any]) -> ImprovementPlan:
    """A new plan in status 计划中; commits."""
    if fields.get("team_id") is None:
        raise ValidationFailed("请选择负责部门 / choose the responsible department (team_id)")
    _check_fields(session, fields)
    plan = ImprovementPlan(status="planned", **{k: v for k, v in fields.items() if k in EDITABLE})
    plan.theme_keys = _dedupe(plan.theme_keys or [])
    plan.measures = plan.measures or ""
    session.add(plan)
    _priority_hooks(session, plan)
    session.commit()
    return plan


def update_plan(session: Session, plan_id: int, fields: dict[str, Any]) -> ImprovementPlan:
    """Change the given fields and, with `status`, move the plan along its life cycle; commits."""
    plan = get_plan(session, plan_id)
    if "team_id" in fields and fields["team_id"] is None:
        raise ValidationFailed("负责部门不能为空 / team_id cannot be cleared")
    if "title" in fields and not fields["title"]:
        raise ValidationFailed("标题不能为空 / title cannot be empty")
    _check_fields(session, fields)
    for key in EDITABLE:
        if key in fields:
            value = fields[key]
            setattr(plan, key, _dedupe(value or []) if key == "theme_keys" else value)
    moved = bool(fields.get("status") and fields["status"] != plan.status)
    if moved:
        _move(plan, fields["status"])
    plan.measures = plan.measures or ""
    _priority_hooks(session, plan)  # its themes or its shipping date decide which feedback asked for it
    session.commit()
    if moved:
        for hook in after_status_hooks:
            hook(plan.id)
    return plan


def _move(plan: ImprovementPlan, to: str) -> None:
    _check_status(to)
    allowed = PLAN_TRANSITIONS.get(plan.status, ())
    if to not in allowed:
        names = "、".join(PLAN_STATUSES[s] for s in allowed) or "无"
        raise Conflict(
            f"改进计划不能从「{plan.status_label}」改为「{PLAN_STATUSES[to]}」, 可改为: {names} "
            f"/ cannot move from {plan.status} to {to}; allowed: {list(allowed)}",
            code="invalid_transition",
            details={"allowed": list(allowed)},
        )
    if to == "shipped":
        plan.shipped_at = clock.now()
    elif to == "in_progress":
        plan.shipped_at = None  # back to work: the next shipping date starts a new review
    plan.status = to


def _dedupe(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))


def is_overdue(plan: ImprovementPlan, today: date | None = None) -> bool:
    """Past its due date (China time) and not shipped yet."""
    today = today or clock.now().astimezone(CHINA).date()
    return plan.status in UNFINISHED and plan.due_date is not None and plan.due_date < today


def team_names(session: Session) -> dict[int, str]:
    return {tid: name for tid, name in session.execute(select(Team.id, Team.name))}


def plan_view(session: Session, plan: ImprovementPlan, *, effect: bool = False,
              teams: dict[int, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """A plan as the API and the pages show it: names, allowed next states, overdue flag, effect review."""
    teams = teams if teams is not None else team_names(session)
    return {
        "id": plan.id, "title": plan.title, "problem_type": plan.problem_type, "team_id": plan.team_id,
        "team": teams.get(plan.team_id) if plan.team_id else None, "owner_id": plan.owner_id,
        "due_date": plan.due_date, "overdue": is_overdue(plan), "measures": plan.measures,
        "status": plan.status, "status_label": plan.status_label,
        "allowed_next": list(PLAN_TRANSITIONS.get(plan.status, ())),
        "themes": [{"key": k, "label": theme_label(k)} for k in plan.theme_keys or []],
        "shipped_at": plan.shipped_at, "created_at": plan.created_at, "updated_at": plan.updated_at,
        "priority": priority_view(plan),
        "effect": review(session, plan).as_dict() if effect else None,
    }  # fmt: skip


# --- Effect review -------------------------------------------------------------------------------------------


@dataclass
class Window:
    """One side of the comparison: linked items (and their negative share) against all feedback."""

    start: datetime
    end: datetime
    days: int
    linked: int
    negative: int
    total: int

    @property
    def per_day(self) -> float:
        return self.linked / self.days

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.linked if self.linked else None


@dataclass
class EffectReview:
    """Before/after (or, before shipping, the baseline alone) for one plan; `summary` reads as one line."""

    plan_id: int
    stage: str  # "baseline" | "review" | "no_themes"
    days: int
    before: Window
    after: Window | None
    volume_change: float | None  # after / before − 1; None when there is no baseline
    negative_change: float | None  # share points, after − before
    total_change: float | None
    summary: str
    partial: bool = False  # shipped less than a day ago: the after window has not filled yet
    daily: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for side in ("before", "after"):
            window: Window | None = getattr(self, side)
            if window is not None:
                out[side].update(per_day=round(window.per_day, 2), negative_share=_round(window.negative_share))
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _linked_rows(session: Session, start: datetime, end: datetime) -> list[tuple[str, datetime, Any, Any]]:
    return list(
        session.execute(
            select(Feedback.content, Feedback.received_at, Feedback.analysis, Feedback.sentiment).where(
                Feedback.received_at >= start,
                Feedback.received_at < end,
                Feedback.duplicate_of.is_(None),
                Feedback.analysis.is_not(None),
            )
        )
    )


def _total(session: Session, start: datetime, end: datetime) -> int:
    stmt = select(func.count()).where(
        Feedback.received_at >= start, Feedback.received_at < end, Feedback.duplicate_of.is_(None)
    )
    return int(session.scalar(stmt) or 0)


def _is_negative(analysis: dict[str, Any], sentiment: str | None) -> bool:
    return (sentiment or (analysis.get("sentiment") or {}).get("label")) == "negative"


def _window(session: Session, keys: set[str], start: datetime, days: int, daily: list[dict[str, Any]],
            offset: int) -> Window:  # fmt: skip
    """Count one window; add its per-day linked counts to `daily` (day index from `offset`)."""
    end = start + timedelta(days=days)
    per_day = [0] * days
    linked = negative = 0
    for content, received, analysis, sentiment in _linked_rows(session, start, end):
        if not keys & linked_keys(content, analysis):
            continue
        linked += 1
        negative += _is_negative(analysis, sentiment)
        per_day[min(int((received - start) / timedelta(days=1)), days - 1)] += 1
    for i, count in enumerate(per_day):
        day = (start + timedelta(days=i)).astimezone(CHINA)
        daily.append({"offset": offset + i, "date": day.strftime("%m-%d"), "count": count})
    return Window(start, end, days, linked, negative, _total(session, start, end))


def review(session: Session, plan: ImprovementPlan, *, max_days: int = REVIEW_DAYS) -> EffectReview:
    """The plan's effect review: before vs after shipping, or the current baseline while not shipped."""
    keys = set(plan.theme_keys or [])
    now = clock.now()
    daily: list[dict[str, Any]] = []
    if plan.shipped_at is None:
        start = now - timedelta(days=max_days)
        before = _window(session, keys, start, max_days, daily, -max_days)
        stage = "baseline" if keys else "no_themes"
        return EffectReview(plan.id, stage, max_days, before, None, None, None, None,
                            _baseline_text(before, keys), daily=daily)  # fmt: skip
    elapsed = now - plan.shipped_at
    days = max(1, min(max_days, elapsed.days))
    before = _window(session, keys, plan.shipped_at - timedelta(days=days), days, daily, -days)
    after = _window(session, keys, plan.shipped_at, days, daily, 0)
    volume = _change(after.linked, before.linked)
    negative = (
        after.negative_share - before.negative_share
        if after.negative_share is not None and before.negative_share is not None
        else None
    )
    result = EffectReview(plan.id, "review" if keys else "no_themes", days, before, after, volume, negative,
                          _change(after.total, before.total), "", elapsed < timedelta(days=1), daily)  # fmt: skip
    result.summary = _review_text(result, keys)
    return result


def _change(after: int, before: int) -> float | None:
    """Relative change; None without a baseline (nothing to divide by)."""
    return after / before - 1 if before else None


def percent(change: float | None) -> str:
    """−70% style, with a real minus sign; 无基线 when there was nothing before."""
    if change is None:
        return "无基线"
    value = round(change * 100)
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}{abs(value)}%"


def points(change: float | None) -> str:
    if change is None:
        return "—"
    value = change * 100
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}{abs(value):.1f} 个百分点"


def _baseline_text(before: Window, keys: set[str]) -> str:
    if not keys:
        return "未关联主题，无法评估效果"
    share = f", 负面占比 {before.negative_share:.0%}" if before.negative_share is not None else ""
    return f"尚未上线; 近 {before.days} 天关联反馈 {before.linked} 条 (日均 {before.per_day:.1f}){share}"


def _review_text(r: EffectReview, keys: set[str]) -> str:
    if not keys:
        return "未关联主题，无法评估效果"
    assert r.after is not None
    head = f"上线前后各 {r.days} 天：关联反馈 {r.before.linked} → {r.after.linked} 条"
    if r.volume_change is None:
        text = f"{head}（无基线：上线前没有关联反馈，无法计算变化率）"
    else:
        text = f"{head}（{percent(r.volume_change)}）"
    if r.negative_change is not None:
        text += f"，负面占比 {points(r.negative_change)}"
    text += f"；全部反馈 {r.before.total} → {r.after.total} 条（{percent(r.total_change)}）"
    return text + ("；上线不足 1 天，仅供参考" if r.partial else "")


# --- For the periodic report -----------------------------------------------------------------------------------


def department_for(router: Router, problem_type: str | None) -> str | None:
    """The team routing sends a negative item of this problem type to (its rules, else the default team)."""
    team, _ = router.team_for(Feedback(content="", problem_type=problem_type))
    return team.name if team else None


def open_plans(session: Session) -> list[dict[str, Any]]:
    """Plans not yet verified or cancelled, with department, due date, overdue flag and the effect so far."""
    teams = team_names(session)
    plans = session.scalars(
        select(ImprovementPlan)
        .where(ImprovementPlan.status.in_(OPEN_PLAN_STATUSES))
        .order_by(ImprovementPlan.due_date.is_(None), ImprovementPlan.due_date, ImprovementPlan.id)
    ).all()
    return [{"id": p.id, "title": p.title, "department": teams.get(p.team_id) if p.team_id else None,
             "due_date": p.due_date.isoformat() if p.due_date else None, "status": p.status,
             "status_label": p.status_label, "overdue": is_overdue(p), "effect": review(session, p).summary}
            for p in plans]  # fmt: skip


def suggestions(session: Session, issues: Iterable[Any]) -> list[dict[str, Any]]:
    """For each top negative theme (`key`, `label`, `count`, `previous_count`, `trend`) that no open plan
    links: a suggestion to plan an improvement, naming the department routing would send it to."""
    linked = {k for p in session.scalars(
        select(ImprovementPlan).where(ImprovementPlan.status.in_(OPEN_PLAN_STATUSES))) for k in p.theme_keys or []}  # fmt: skip
    router = Router(session)
    out = []
    for issue in issues:
        if not issue.key or issue.key in linked:
            continue
        department = department_for(router, theme_problem_type(issue.key))
        who = f"建议由「{department}」制定改进计划" if department else "建议指定负责部门并制定改进计划"
        text = f"「{issue.label}」本期 {issue.count} 条（上期 {issue.previous_count} 条），尚无改进计划 — {who}"
        out.append({"key": issue.key, "label": issue.label, "count": issue.count,
                    "previous_count": issue.previous_count, "trend": issue.trend, "department": department,
                    "text": text})  # fmt: skip
    return out
