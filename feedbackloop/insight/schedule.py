"""Scheduled reports (issue 13): a supervisor subscribes addresses to the weekly or monthly report; the task
queue's scheduler (insight/tasks.py, hourly) mails each completed period once, with the PDF attached.

Periods are calendar periods in China time: a week is Monday–Sunday, a month the calendar month. A period is
due once it has ended; a new subscription starts with the next one. Several workers may run the check: each
subscription's period is claimed with a conditional UPDATE, so it is mailed exactly once, and handed back
if the mail server refuses it (the next run tries again).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.db import begin_write, rows_changed
from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.insight.periodic import CHINA, build_report
from feedbackloop.insight.render import as_text
from feedbackloop.insight.report_files import as_pdf
from feedbackloop.insight.report_models import SUBSCRIPTION_PERIODS, ReportSubscription
from feedbackloop.lib.clock import clock
from feedbackloop.lib.masking import mask_contact

log = logging.getLogger(__name__)
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
MAX_RECIPIENTS = 50
Sender = Callable[..., Any]  # workflow.mail.send's shape: (to, subject, body, attachments=[…])


def due_period(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The last completed week (Monday–Sunday) or calendar month before `now`, as [start, end) in China time."""
    today = now.astimezone(CHINA).date()
    if period == "week":
        end = today - timedelta(days=today.weekday())
        start = end - timedelta(days=7)
    else:
        end = today.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
    return _at(start), _at(end)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA)


def parse_recipients(raw: Any) -> list[str]:
    """A list of addresses from a list or a comma/semicolon/newline separated text, checked and de-duplicated."""
    items = raw if isinstance(raw, list) else re.split(r"[,;\s，；、]+", str(raw or ""))  # a Chinese keyboard's too
    found = list(dict.fromkeys(str(a).strip().lower() for a in items if str(a).strip()))
    bad = [a for a in found if not EMAIL.match(a)]
    if bad:
        raise ValidationFailed(f"无效的邮箱地址：{', '.join(bad[:5])} / invalid e-mail address")
    if not 1 <= len(found) <= MAX_RECIPIENTS:
        raise ValidationFailed(f"请填写 1–{MAX_RECIPIENTS} 个收件地址 / give 1–{MAX_RECIPIENTS} addresses")
    return found


def _logged(sub: ReportSubscription) -> dict[str, Any]:
    # The audit log keeps no address in the clear (they are people's mailboxes).
    return {"period": sub.period, "recipients": [mask_contact(r) for r in sub.recipients], "enabled": sub.enabled}


def save(session: Session, fields: dict[str, Any], sub_id: int | None = None, actor: Any = None) -> ReportSubscription:
    """Create or change a subscription; audited (as `actor`, or the request's signed-in user); commits."""
    actor = actor or session.info.get("actor")
    begin_write(session)
    sub = get(session, sub_id) if sub_id else ReportSubscription(created_by=getattr(actor, "id", None))
    before = _logged(sub) if sub_id else None
    period = fields.get("period") or sub.period
    if period not in SUBSCRIPTION_PERIODS:
        raise ValidationFailed(f"周期只能是 {' / '.join(SUBSCRIPTION_PERIODS)} / period must be week or month")
    if sub_id is None or fields.get("recipients") is not None:
        sub.recipients = parse_recipients(fields.get("recipients"))
        _refuse_second_copy(session, sub, period)
    if fields.get("enabled") is not None:
        sub.enabled = bool(fields["enabled"])
    if period != sub.period or sub_id is None:
        sub.period = period
        sub.last_period_end = due_period(period, clock.now())[1]  # the first mail is the next period's
    if sub_id is None:
        session.add(sub)
        session.flush()
    audit.record(session, actor, "report_subscription.save", "report_subscription", sub.id, before, _logged(sub))
    session.commit()
    return sub


def _refuse_second_copy(session: Session, sub: ReportSubscription, period: str) -> None:
    """One mail per address and period: an address another subscription of the period already holds is a 409."""
    others = session.scalars(select(ReportSubscription).where(ReportSubscription.period == period,
                                                              ReportSubscription.id != (sub.id or 0)))  # fmt: skip
    taken = sorted({a for other in others for a in other.recipients} & set(sub.recipients))
    if taken:
        name = SUBSCRIPTION_PERIODS[period]
        raise Conflict(f"以下地址已订阅{name}报告：{'，'.join(taken[:5])}。每个地址每个周期只收一份，请修改已有的订阅。 / "
                       f"Already subscribed to the {period}ly report: {', '.join(taken[:5])}. Each address gets one "
                       "copy per period: change the existing subscription instead.")  # fmt: skip


def get(session: Session, sub_id: int) -> ReportSubscription:
    sub = session.get(ReportSubscription, sub_id)
    if sub is None:
        raise NotFound(f"报告订阅 {sub_id} 不存在 / report subscription {sub_id} not found")
    return sub


def list_all(session: Session) -> list[ReportSubscription]:
    """Every subscription, oldest first."""
    return list(session.scalars(select(ReportSubscription).order_by(ReportSubscription.id)))


def delete(session: Session, sub_id: int, actor: Any = None) -> None:
    """Remove a subscription; audited; commits."""
    actor = actor or session.info.get("actor")
    begin_write(session)
    sub = get(session, sub_id)
    audit.record(session, actor, "report_subscription.delete", "report_subscription", sub.id, _logged(sub), None)
    session.delete(sub)
    session.commit()


def _claim(session: Session, sub: ReportSubscription, end: datetime) -> bool:
    begin_write(session)
    stmt = (
        update(ReportSubscription)
        .where(ReportSubscription.id == sub.id, ReportSubscription.enabled.is_(True),
               or_(ReportSubscription.last_period_end.is_(None), ReportSubscription.last_period_end < end))
        .values(last_period_end=end)
    )  # fmt: skip
    won = rows_changed(session, stmt) == 1
    session.commit()
    return won


def send_due(session: Session, send: Sender, now: datetime | None = None) -> int:
    """Mail every subscription whose period has ended since its last mail; returns how many mails went out."""
    now = now or clock.now()
    sent = 0
    for sub in list_all(session):
        start, end = due_period(sub.period, now)
        previous = sub.last_period_end
        if not sub.enabled or (previous is not None and previous >= end) or not _claim(session, sub, end):
            continue
        try:
            sent += _mail(session, sub, start, end, send)
            _finish(session, sub.id, None)
        except OSError as exc:  # the mail server is down or refused: hand the period back for the next run
            log.warning("scheduled report %s not sent: %s", sub.id, exc)
            _finish(session, sub.id, str(exc)[:500], previous)
    return sent


def _mail(session: Session, sub: ReportSubscription, start: datetime, end: datetime, send: Sender) -> int:
    report = build_report(session, start, end)
    pdf = as_pdf(report)
    first, last, _previous_first, _previous_last = report.days()
    subject = f"[FeedbackLoop] {SUBSCRIPTION_PERIODS[sub.period]}反馈报告 {first} 至 {last}"
    name = f"feedback-report-{first.replace('-', '')}-{last.replace('-', '')}.pdf"
    body = f"您订阅的{SUBSCRIPTION_PERIODS[sub.period]}反馈报告见附件（PDF）。\n\n" + as_text(report)
    for to in sub.recipients:
        send(to, subject, body, attachments=[(name, "application/pdf", pdf)])
    return len(sub.recipients)


def _finish(session: Session, sub_id: int, error: str | None, hand_back: datetime | None = None) -> None:
    begin_write(session)
    values: dict[str, Any] = {"last_error": error}
    if error is None:
        values["last_sent_at"] = clock.now()
    else:
        values["last_period_end"] = hand_back
    session.execute(update(ReportSubscription).where(ReportSubscription.id == sub_id).values(**values))
    session.commit()
