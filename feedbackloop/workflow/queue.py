"""The agent's work queue: views (我的 / 未分配 / 即将超时 / 已超时), saved views, bulk actions, and
assignment to a person or to a team (the team's routing strategy picks the owner).

Plain functions over a session. A bulk action checks every item first and then changes them all in one
transaction, so a bad item changes nothing; the audit trail records one entry per changed item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import Team, User
from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.workflow import services
from feedbackloop.workflow.models import SavedView
from feedbackloop.workflow.routing import Router
from feedbackloop.workflow.states import ACTIVE_STATUSES, OPEN_STATUSES, allowed_next, label

VIEWS: dict[str, str] = {"mine": "我的", "unassigned": "未分配", "due_soon": "即将超时", "breached": "已超时"}
SORTS: dict[str, str] = {"newest": "最新", "oldest": "最早", "priority": "优先级", "sla": "SLA 到期"}
DUE_SOON = timedelta(hours=2)  # 即将超时: the next SLA target falls within this
BULK_ACTIONS = ("assign", "assign_team", "status", "merge", "tag")
BULK_MAX = 500
MAX_SAVED_VIEWS = 30


def view_filters(view: str | None, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The FeedbackFilter fields of a queue view."""
    now = now or clock.now()
    if view == "mine":
        return {"owner_id": user.id, "statuses": OPEN_STATUSES}
    if view == "unassigned":
        return {"unowned": True, "statuses": OPEN_STATUSES}
    if view == "due_soon":
        return {"statuses": ACTIVE_STATUSES, "due_after": now, "due_before": now + DUE_SOON}
    if view == "breached":
        return {"statuses": OPEN_STATUSES, "due_before": now}
    return {}


# --- Assignment -------------------------------------------------------------------------------------------


def _check_reassign(user: User, record: Feedback) -> None:
    if user.role not in services.SUPERVISORS and record.owner_id not in (None, user.id):
        raise PermissionDenied(
            f"反馈 {record.id} 由其他客服负责，只有主管可以改派 / only supervisors reassign others' items"
        )


def _give(session: Session, record: Feedback, owner: User | None, team: Team | None, user: User, why: str) -> None:
    before, old_owner = record.status, record.owner_id
    if team is not None:
        record.team_id = team.id
    record.owner_id = owner.id if owner else None
    if owner is not None and record.status in ("new", "triaged", "reopened"):
        record.status = "assigned"
    elif owner is None and record.status == "assigned":
        record.status = "triaged"  # into the team's pool
    services.add_history(
        session, record, "assign", user, why, from_status=before, to_status=record.status,
        data={"from_owner": old_owner, "to_owner": record.owner_id, "team_id": record.team_id},
    )
    if owner is not None:
        services.notify(session, [owner.id], record, "assigned", services.assigned_title(record.id))


def assign_to_team(session: Session, feedback_id: str, team_id: int, user: User, reason: str | None = None) -> Feedback:
    """Give one item to a team: its routing strategy picks the owner (or leaves it in the team's pool)."""
    bulk(session, user, [feedback_id], "assign_team", team_id=team_id, reason=reason)
    return services.get_record(session, feedback_id)


# --- Bulk actions -----------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    action: str
    changed: list[str]
    unchanged: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "changed": self.changed, "unchanged": self.unchanged}


def _load(session: Session, ids: list[str]) -> list[Feedback]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ValidationFailed("请至少选择一条反馈 / select at least one item")
    if len(unique) > BULK_MAX:
        raise ValidationFailed(f"一次最多处理 {BULK_MAX} 条 / at most {BULK_MAX} items at once")
    found = {r.id: r for r in session.scalars(select(Feedback).where(Feedback.id.in_(unique)).with_for_update())}
    missing = [i for i in unique if i not in found]
    if missing:
        shown = ", ".join(i[:24] for i in missing[:10])  # ids are at most 24 characters: never echo a long input back
        raise NotFound(f"反馈不存在：{shown} / Unknown items: {shown}", details={"missing": [i[:24] for i in missing[:50]]})
    return [found[i] for i in unique]


def bulk(
    session: Session,
    user: User,
    ids: list[str],
    action: str,
    *,
    owner_id: int | None = None,
    team_id: int | None = None,
    to: str | None = None,
    merged_into: str | None = None,
    tag: str | None = None,
    reason: str | None = None,
) -> BulkResult:
    """Apply one action to many items: assign (owner_id), assign_team (team_id, by its strategy), status (to),
    merge (close as duplicate of merged_into) or tag. All or nothing; commits."""
    if action not in BULK_ACTIONS:
        raise ValidationFailed(f"未知批量操作 '{action}'，可用：{', '.join(BULK_ACTIONS)} / unknown action")
    begin_write(session)
    records = _load(session, ids)
    now = clock.now()
    changed: list[str] = []
    with session.no_autoflush:  # one flush at commit: one audit entry per item
        if action == "assign":
            if owner_id is None:
                raise ValidationFailed("请选择负责人（owner_id） / owner_id required")
            owner = services.assignable(session, owner_id)
            for record in records:
                _check_open(record)
                _check_reassign(user, record)
            for record in records:
                if record.owner_id != owner.id:
                    name = owner.display_name or owner.username
                    _give(session, record, owner, None, user, reason or f"批量分配给{name} / Assigned to {name} in bulk")
                    changed.append(record.id)
        elif action == "assign_team":
            if team_id is None:
                raise ValidationFailed("请选择团队（team_id） / team_id required")
            router = Router(session)
            team = router.teams.get(team_id)
            if team is None:
                raise NotFound(f"团队 {team_id} 不存在 / team {team_id} not found")
            for record in records:
                _check_open(record)
                _check_reassign(user, record)
            owners = router.owners_for(team, len(records))
            for record, oid in zip(records, owners, strict=True):
                picked = session.get(User, oid) if oid else None
                picked_name = (picked.display_name or picked.username) if picked else None
                why = (f"分配到团队{team.name}：{picked_name} / Assigned to team {team.name}: {picked_name}" if picked_name
                       else f"分配到团队{team.name}，待认领 / Assigned to team {team.name}, waiting to be claimed")  # fmt: skip
                _give(session, record, picked, team, user, reason or why)
                changed.append(record.id)
        elif action in ("status", "merge"):
            target = "merged" if action == "merge" else to
            if not target:
                raise ValidationFailed("请选择目标状态（to） / target status required")
            if action == "merge" and not merged_into:
                raise ValidationFailed("请填写重复的原反馈编号（merged_into） / merged_into required")
            if merged_into and merged_into in {r.id for r in records}:
                raise ValidationFailed("不能把反馈合并到自身 / cannot merge an item into itself")
            if merged_into:
                services.get_record(session, merged_into)
            blocked = [r for r in records if r.status != target and target not in allowed_next(r.status)]
            if blocked:
                names = "; ".join(f"{r.id}「{label(r.status)}」" for r in blocked[:10])
                raise Conflict(
                    f"这些反馈不能变为「{label(target)}」：{names} / cannot move these items to {target}",
                    code="invalid_transition", details={"blocked": [r.id for r in blocked], "to": target},
                )
            for record in records:
                if user.role == "agent" and record.owner_id not in (None, user.id):
                    raise PermissionDenied(f"反馈 {record.id} 由其他客服负责 / another agent owns {record.id}")
            for record in records:
                if record.status == target:
                    continue
                before = record.status
                services.apply_status(session, record, target, user, now, merged_into)
                record.status = target
                services.add_history(session, record, "status", user, reason or "批量操作 / Bulk action", from_status=before, to_status=target)
                changed.append(record.id)
        else:  # tag
            clean = (tag or "").strip()
            if not clean or len(clean) > 30:
                raise ValidationFailed("标签应为 1–30 个字 / a tag has 1–30 characters")
            for record in records:
                if user.role == "agent" and record.owner_id not in (None, user.id):
                    raise PermissionDenied(f"反馈 {record.id} 由其他客服负责 / another agent owns {record.id}")
            for record in records:
                if clean not in (record.tags or []):
                    record.tags = [*(record.tags or []), clean]
                    services.add_history(session, record, "tag", user, f"添加标签「{clean}」 / Tag '{clean}' added")
                    changed.append(record.id)
    session.commit()
    if action == "status" and to == "resolved":
        for fid in changed:
            for hook in services.after_resolve_hooks:
                hook(fid)
    return BulkResult(action, changed, [r.id for r in records if r.id not in changed])


def _check_open(record: Feedback) -> None:
    if record.status in ("closed", "merged", "spam"):
        raise Conflict(
            f"反馈 {record.id} 状态为「{label(record.status)}」，不能分配 / cannot assign a {record.status} item"
        )


# --- Saved views ------------------------------------------------------------------------------------------

_SAVED_KEYS = {"view", "sort", "channel", "problem_type", "status", "customer_type", "sentiment", "urgency",
               "q", "touchpoint", "from", "to", "per_page"}  # fmt: skip


def clean_query(query: str) -> str:
    """The inbox query string with only the keys a view keeps (no paging)."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False) if k in _SAVED_KEYS]
    return urlencode(pairs)


def saved_views(session: Session, user: User) -> list[SavedView]:
    return list(session.scalars(select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.id)))


def save_view(session: Session, user: User, name: str, query: str) -> SavedView:
    """Keep the current inbox query under a name (the same name replaces it); commits."""
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationFailed("视图名称应为 1–60 个字 / a view name has 1–60 characters")
    clean = clean_query(query)
    if len(clean) > 1000:
        raise ValidationFailed("筛选条件太长 / the query is too long")
    begin_write(session)
    view = session.scalar(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if view is None:
        count = len(saved_views(session, user))
        if count >= MAX_SAVED_VIEWS:
            raise Conflict(f"最多保存 {MAX_SAVED_VIEWS} 个视图，请先删除一个 / at most {MAX_SAVED_VIEWS} views")
        view = SavedView(user_id=user.id, name=name, query=clean)
        session.add(view)
    else:
        view.query = clean
    session.commit()
    return view


def delete_view(session: Session, user: User, view_id: int) -> None:
    begin_write(session)
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound(f"视图 {view_id} 不存在 / view {view_id} not found")
    session.delete(view)
    session.commit()
