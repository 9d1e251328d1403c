"""流失预警 / churn early warning (issue 13): customers at risk, ranked, each with the reasons and their items.

A customer is a contact (phone or e-mail); erased customers are left out. Over the 90 days up to the end of
the dashboard's range (and under its other filters), per customer:

    risk  = 1.0 for a first negative item + 2.0 for each further one (repeated negative feedback)
          + 3.0 if they are a detractor (answered 不满意 to the satisfaction question, or rated 1–2)
          + 2.5 per complaint still open (negative and not resolved/closed), at most 3
          + 3.0 per reopened item (the fix did not hold)
    value = 1 + min(spend in the last six months, ¥50,000) / ¥10,000, and at least 2 for a 高价值客户
    score = risk × value

so that of two customers with the same signals the one worth more comes first. Customers with risk < 3 (one
negative item and nothing else) are not listed: one bad day is not a churn signal.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight.dashboard import HANDLED, View, bounds
from feedbackloop.insight.report_models import ChurnTask
from feedbackloop.lib.masking import mask_contact

LOOKBACK_DAYS = 90
MIN_RISK = 3.0
W_FIRST_NEGATIVE, W_REPEAT, W_DETRACTOR, W_OPEN, W_REOPENED = 1.0, 2.0, 3.0, 2.5, 3.0
MAX_OPEN = 3
ERASED = "[已删除]"


@dataclass
class Signals:
    """What one customer's items say."""

    negative: int = 0
    detractor: bool = False
    open_complaints: int = 0
    reopened: int = 0
    spend: float = 0.0
    high_value: bool = False

    def risk(self) -> float:
        repeat = max(0, self.negative - 1)
        return (W_FIRST_NEGATIVE * min(self.negative, 1) + W_REPEAT * repeat + W_DETRACTOR * self.detractor
                + W_OPEN * min(self.open_complaints, MAX_OPEN) + W_REOPENED * self.reopened)  # fmt: skip

    def value(self) -> float:
        weight = 1 + min(max(self.spend, 0.0), 50_000.0) / 10_000.0
        return max(weight, 2.0) if self.high_value else weight

    def reasons(self) -> list[str]:
        out = []
        if self.negative > 1:
            out.append(f"{self.negative} 条负面反馈")
        elif self.negative:
            out.append("1 条负面反馈")
        if self.detractor:
            out.append("不满意 / 低分评价")
        if self.open_complaints:
            out.append(f"{self.open_complaints} 条投诉未解决")
        if self.reopened:
            out.append(f"{self.reopened} 条反馈被重开")
        if self.high_value or self.spend:
            out.append(f"高价值客户（近 6 个月消费 ¥{self.spend:,.0f}）" if self.high_value else f"近 6 个月消费 ¥{self.spend:,.0f}")
        return out


@dataclass
class AtRisk:
    key: str
    contact: str
    name: str
    score: float
    reasons: list[str]
    ids: list[str] = field(default_factory=list)
    owner: str | None = None


def customer_key(contact: str) -> str:
    """The customer's name in URLs, tasks and the audit log: a digest, never the contact itself."""
    return hashlib.sha256(contact.strip().encode()).hexdigest()[:24]


def _lookback(view: View) -> list[Any]:
    start = view.end - timedelta(days=LOOKBACK_DAYS - 1)
    lo, hi = bounds(start, view.end)
    return view.conditions(date_from=lo, date_to=hi)


def ranking(session: Session, view: View, unmasked: bool, limit: int = 20) -> list[AtRisk]:
    """The customers at risk, highest score first."""
    negative = Feedback.sentiment == "negative"
    detractor = (Feedback.satisfaction == "dissatisfied") | (Feedback.rating <= 2)
    open_complaint = and_(negative, Feedback.status.not_in(HANDLED))
    stmt = (
        select(
            Feedback.contact,
            func.sum(case((negative, 1), else_=0)),
            func.max(case((detractor, 1), else_=0)),
            func.sum(case((open_complaint, 1), else_=0)),
            func.sum(case((Feedback.reopen_count > 0, 1), else_=0)),
            func.max(func.coalesce(Feedback.customer_spend_6m, 0.0)),
            func.max(case((Feedback.customer_type == "high_value", 1), else_=0)),
            func.max(Feedback.customer_name),
            func.max(Feedback.received_at),
        )
        .where(*_lookback(view), Feedback.contact.is_not(None), Feedback.contact != "", Feedback.contact != ERASED)
        .group_by(Feedback.contact)
    )
    scored = []
    for contact, neg, detr, open_, reopened, spend, high, name, latest in session.execute(stmt):
        s = Signals(int(neg or 0), bool(detr), int(open_ or 0), int(reopened or 0), float(spend or 0), bool(high))
        if s.risk() >= MIN_RISK:
            scored.append((round(s.risk() * s.value(), 1), latest, contact, name, s))
    scored.sort(key=lambda r: (-r[0], -r[1].timestamp(), r[2]))
    out = [
        AtRisk(customer_key(c), c if unmasked else mask_contact(c), _initial(name), score, s.reasons())
        for score, _, c, name, s in scored[:limit]
    ]
    _attach(session, view, out, [c for _, _, c, _, _ in scored[:limit]])
    return out


def _initial(name: str | None) -> str:
    return f"{name[0]}*" if name and name != ERASED else ""


def _attach(session: Session, view: View, rows: list[AtRisk], contacts: list[str]) -> None:
    """Each customer's item ids (newest first, for the inbox link) and who took them on."""
    if not rows:
        return
    by_contact: dict[str, list[str]] = {}
    stmt = select(Feedback.contact, Feedback.id).where(*_lookback(view), Feedback.contact.in_(contacts))
    for contact, fid in session.execute(stmt.order_by(Feedback.received_at.desc())):
        by_contact.setdefault(contact or "", []).append(fid)
    from feedbackloop.accounts.models import User

    owners = dict(
        session.execute(
            select(ChurnTask.customer_key, User.username)
            .join(User, User.id == ChurnTask.owner_id)
            .where(ChurnTask.customer_key.in_([r.key for r in rows]), ChurnTask.status == "open")
        ).all()
    )
    for row, contact in zip(rows, contacts, strict=True):
        row.ids = by_contact.get(contact, [])[:50]
        row.owner = owners.get(row.key)


def take(session: Session, view: View, key: str, user: Any) -> ChurnTask:
    """The user takes this at-risk customer on as a follow-up task; audited; commits."""
    begin_write(session)
    found = next((r for r in ranking(session, view, True, limit=500) if r.key == key), None)
    if found is None:
        raise NotFound("该客户不在当前流失预警名单中 / this customer is not on the at-risk list")
    task = session.scalar(select(ChurnTask).where(ChurnTask.customer_key == key))
    if task is not None and task.status == "open" and task.owner_id not in (None, user.id):
        raise Conflict("该客户已有人跟进 / someone already follows this customer up", code="already_taken")
    if task is None:
        task = ChurnTask(customer_key=key)
        session.add(task)
    task.owner_id, task.status, task.score, task.feedback_ids = user.id, "open", found.score, found.ids
    session.commit()
    return task
