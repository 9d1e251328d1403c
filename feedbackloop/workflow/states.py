"""The status life cycle (issue 5.1): which status may follow which."""

from __future__ import annotations

STATUSES: dict[str, str] = {
    "new": "新建",
    "triaged": "已分诊",
    "assigned": "已分配",
    "in_progress": "处理中",
    "waiting_customer": "等待客户",
    "resolved": "已解决",
    "closed": "已关闭",
    "reopened": "已重开",
    "merged": "已合并（重复）",
    "spam": "垃圾信息",
}
STATUS_EN: dict[str, str] = {
    "new": "new",
    "triaged": "triaged",
    "assigned": "assigned",
    "in_progress": "in progress",
    "waiting_customer": "waiting on customer",
    "resolved": "resolved",
    "closed": "closed",
    "reopened": "reopened",
    "merged": "merged as duplicate",
    "spam": "spam",
}

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "assigned", "merged", "spam"),
    "triaged": ("assigned", "in_progress", "merged", "spam"),
    "assigned": ("in_progress", "waiting_customer", "resolved", "triaged", "merged", "spam"),
    "in_progress": ("waiting_customer", "resolved", "assigned", "merged"),
    "waiting_customer": ("in_progress", "resolved", "closed"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("assigned", "in_progress", "waiting_customer", "resolved", "merged"),
    "merged": ("reopened",),
    "spam": ("triaged",),
}

# Statuses in which an item still needs work and its SLA clock matters.
OPEN_STATUSES = ("new", "triaged", "assigned", "in_progress", "waiting_customer", "reopened")
ACTIVE_STATUSES = ("new", "triaged", "assigned", "in_progress", "reopened")  # clock running
DONE_STATUSES = ("resolved", "closed", "merged", "spam")


def allowed_next(status: str) -> tuple[str, ...]:
    """The statuses an item in `status` may move to."""
    return TRANSITIONS.get(status, ())


def label(status: str) -> str:
    return STATUSES.get(status, status)
