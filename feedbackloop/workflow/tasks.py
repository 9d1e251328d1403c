"""Background work of the workflow on Huey: triage after analysis, mail, and the periodic SLA sweep,
reminders, follow-ups, threshold alerts and notification mail (embedded consumer or worker machines)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from huey import crontab
from sqlalchemy import select, update

from feedbackloop.accounts.models import User
from feedbackloop.config import get_settings
from feedbackloop.db import get_read_sessionmaker, session_scope
from feedbackloop.feedback import analyzing
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.lib.humanize import localize_message
from feedbackloop.tasks import PRIORITY_INTAKE, huey, once_per_period, register_reconciler
from feedbackloop.workflow import replies
from feedbackloop.workflow import services as workflow_services
from feedbackloop.workflow.models import Notification

log = logging.getLogger(__name__)
T = TypeVar("T")
MAIL_BATCH = 200
# Items per triage unit of work: big enough to share the rule/team lookups, small enough that per-flush
# work over the session's objects (the audit trail's, for one) stays cheap.
TRIAGE_BATCH = 250


BUSY_RETRIES = 5


@huey.task(retries=5, retry_delay=2, priority=PRIORITY_INTAKE)
def triage_items(ids: list[str], attempt: int = 0) -> dict[str, int]:
    """Prioritise and route newly stored items; items another transaction held at that moment are tried
    again a second later (a few times; the reconciler remains behind that)."""
    from feedbackloop.workflow.triage import triage

    busy: list[str] = []
    with session_scope() as session:
        result = triage(session, ids, busy)
    if busy and attempt < BUSY_RETRIES:
        triage_items.schedule(args=(busy, attempt + 1), delay=1)
    return result


def on_analysed(ids: list[str]) -> None:
    """after_analysis hook: triage the freshly analysed items on the queue (intake → analysis → triage)."""
    for start in range(0, len(ids), TRIAGE_BATCH):
        triage_items(ids[start : start + TRIAGE_BATCH])


@register_reconciler
def requeue_owed_triage() -> int:
    """Queue triage for analysed items still 新建 and unprioritised past the grace period (their triage task
    was lost: a dead worker, a Redis outage); returns how many."""
    before = clock.now() - timedelta(seconds=get_settings().reconcile_after_seconds)
    with get_read_sessionmaker()() as session:
        ids = list(
            session.scalars(
                select(Feedback.id)
                .where(Feedback.status == "new", Feedback.prioritized_at.is_(None))
                .where(Feedback.analyzed_at.is_not(None), Feedback.analyzed_at < before)
                .order_by(Feedback.created_at)
                .limit(80 * TRIAGE_BATCH)
            )
        )
    for start in range(0, len(ids), TRIAGE_BATCH):
        triage_items(ids[start : start + TRIAGE_BATCH])
    if ids:
        log.info("reconciler: %d analysed items owed triage for over the grace period, queued again", len(ids))
    return len(ids)


def on_corrected(feedback_id: str) -> None:
    """after_correction hook: triage the item again at once, so the agent sees the new priority and team."""
    from feedbackloop.workflow.triage import retriage

    with session_scope() as session:
        retriage(session, feedback_id)


@huey.task(retries=3, retry_delay=60)
def send_reply(reply_id: int) -> str:
    """Send one queued customer reply on its channel (e-mail, SMS, WeChat; or record 待人工外呼)."""
    from feedbackloop.workflow.replies import deliver

    with session_scope() as session:
        reply = deliver(session, reply_id)
        return reply.state if reply else "gone"


@huey.task(retries=3, retry_delay=300)
def notify_resolution(feedback_id: str) -> bool:
    """Email the customer that the item is resolved, with the satisfaction question."""
    from feedbackloop.workflow.replies import resolution_notice

    with session_scope() as session:
        reply = resolution_notice(session, feedback_id)
        return bool(reply and reply.state == "sent")


@huey.task(retries=3, retry_delay=300)
def send_followup_check(feedback_id: str) -> bool:
    """Email the customer the follow-up check: is the problem still solved?"""
    from feedbackloop.workflow.replies import followup_notice

    with session_scope() as session:
        reply = followup_notice(session, feedback_id)
        return bool(reply and reply.state == "sent")


def run_sweep() -> dict[str, int]:
    """One SLA sweep plus the follow-ups it found due (also used by the CLI)."""
    from feedbackloop.workflow import sla
    from feedbackloop.workflow.services import notify

    with session_scope() as session:
        result = sla.sweep(session, clock.now())
        for fid in result.followups or []:
            record = session.get(Feedback, fid)
            if record is not None and record.owner_id:
                notify(
                    session,
                    [record.owner_id],
                    record,
                    "followup",
                    f"请回访 {fid}，确认问题是否彻底解决 / Follow up on item {fid}: check that the problem is solved",
                )
        _retry_resolution_notices(session)
    for fid in result.followups or []:
        send_followup_check(fid)
    send_notification_mail()
    return result.as_dict()


def _retry_resolution_notices(session) -> None:
    from feedbackloop.workflow.sla import NOTIFY_CUSTOMER_WITHIN

    now = clock.now()
    pending = session.scalars(
        select(Feedback.id)
        .where(
            Feedback.status.in_(("resolved", "closed")),
            Feedback.customer_notified_at.is_(None),
            Feedback.resolved_at >= now - NOTIFY_CUSTOMER_WITHIN,
            Feedback.contact.like("%@%"),
        )
        .limit(100)
    ).all()
    for fid in pending:
        notify_resolution(fid)


@huey.periodic_task(crontab(minute="*"))
@once_per_period(60)
def sla_sweep() -> dict[str, int]:
    """Every minute: reminders, breaches and escalations, follow-ups."""
    return run_sweep()


@huey.periodic_task(crontab(minute="*/5"))
@once_per_period(300)
def threshold_alerts() -> int:
    """Every five minutes: evaluate the threshold alert rules."""
    from feedbackloop.workflow import alerts

    with session_scope() as session:
        fired = alerts.run_all(session)
    if fired:
        send_notification_mail()
    return len(fired)


@huey.periodic_task(crontab(minute="*/2"))
@once_per_period(120)
def reprioritise() -> int:
    """Every two minutes: re-score items re-analysed after triage; triage items whose analysis never came."""
    from feedbackloop.workflow.triage import reprioritise_analysed, triage_stale

    with session_scope() as session:
        triage_stale(session)
        return reprioritise_analysed(session)


@huey.task()
def send_notification_mail() -> int:
    """Email pending notifications to users who have an address; others are marked done."""
    from feedbackloop.workflow.mail import send

    sent = 0
    with session_scope() as session:
        rows = session.execute(
            select(Notification, User.email)
            .join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None))
            .order_by(Notification.id)
            .limit(MAIL_BATCH)
        ).all()
        for note, email in rows:
            if email:
                try:
                    title = localize_message(note.title, "zh-CN")  # staff mail is in the product language
                    send(email, f"[FeedbackLoop] {title}", localize_message(note.body or note.title, "zh-CN"))
                    sent += 1
                except OSError as exc:
                    log.warning("notification mail to %s failed: %s", email, exc)
                    continue
            session.execute(
                update(Notification).where(Notification.id == note.id).values(emailed_at=clock.now())
            )
    return sent


def _register(hooks: list[Callable[[T], None]], hook: Callable[[T], None]) -> None:
    if hook not in hooks:  # a test may import this module again
        hooks.append(hook)


# The lower modules raise these events; the queue is this module's business, not theirs.
_register(analyzing.after_analysis_hooks, on_analysed)
_register(analyzing.after_correction_hooks, on_corrected)
_register(workflow_services.after_resolve_hooks, notify_resolution)
_register(replies.after_email_reply_hooks, send_reply)
