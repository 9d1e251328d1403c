"""Background work of the idea board on Huey: announce what shipped and deliver the notices (and retry)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import crontab
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write, session_scope
from feedbackloop.ideas import notify, plan_priority, queue, staff
from feedbackloop.insight import improvements
from feedbackloop.privacy import services as privacy
from feedbackloop.tasks import huey, once_per_period

log = logging.getLogger(__name__)


def _queue_and_send(announce: Callable[[Session, int], int], entity_id: int) -> dict[str, int]:
    with session_scope() as session:
        queued = announce(session, entity_id)
    return {"queued": queued, **((deliver_notices.call_local() or {}) if queued else {})}  # None: already ran this period


@huey.task(retries=3, retry_delay=60)
def plan_status_changed(plan_id: int) -> dict[str, int]:
    """Mirror the plan on its ideas; once shipped, queue and send the notices."""
    return _queue_and_send(notify.on_plan_status, plan_id)


@huey.task(retries=3, retry_delay=60)
def idea_shipped(idea_id: int) -> dict[str, int]:
    """Queue and send the notices for an idea shipped on its own."""
    return _queue_and_send(notify.on_idea_shipped, idea_id)


@huey.task(retries=3, retry_delay=60)
def idea_linked(idea_id: int) -> dict[str, int]:
    """Queue and send the notices for an idea that joined a plan that has shipped."""
    return _queue_and_send(notify.on_idea_linked, idea_id)


@huey.periodic_task(crontab(minute="*/5"))
@once_per_period(300)
def deliver_notices() -> dict[str, int]:
    """Every 5 minutes: send what is queued, retry what failed (at most 5 tries each)."""
    with session_scope() as session:
        return notify.deliver(session)


@huey.periodic_task(crontab(minute="17"))
@once_per_period(3600)
def refresh_plan_priorities() -> dict[str, int]:
    """Hourly: recount the open plans' priority (the feedback in their themes' 30-day window moves on), and
    queue the ideas at the vote threshold that a vote never checked (FEEDBACKLOOP_IDEA_VOTE_THRESHOLD lowered)."""
    with session_scope() as session:
        plans = plan_priority.refresh_open(session)
        begin_write(session)
        queued = queue.sweep(session)
        session.commit()
        return {"plans": plans, "queued": queued}


def _register(hooks: list[Any], hook: Any) -> None:
    if hook not in hooks:  # a test may import this module again
        hooks.append(hook)


_register(improvements.after_status_hooks, plan_status_changed)
_register(staff.after_ship_hooks, idea_shipped)
_register(staff.after_link_hooks, idea_linked)
_register(privacy.erase_hooks, notify.erase_person)
_register(improvements.priority_hooks, plan_priority.on_plan_saved)
