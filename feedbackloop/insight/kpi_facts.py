"""Per-item durations for the time KPIs, kept up to date incrementally.

`refresh` recomputes the rows of items changed since the last refresh (Feedback.updated_at, indexed), a
batch at a time: first response, resolution, follow-up confirmation and every hand-off, each in calendar
and business minutes (workflow.calendar: working hours, holidays, make-up workdays), with the time spent
waiting on the customer left out. The KPI queries then aggregate these rows in SQL. `rebuild` recomputes
everything (after the business calendar changed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight.kpi_models import KpiHandoff, KpiItemTimes
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.calendar import Hours, working_minutes
from feedbackloop.workflow.models import HistoryEntry, Reply

BATCH = 2000
HISTORIC_AFTER = timedelta(days=30)  # as workflow.sla: an item imported long after it was written is history
OVERLAP = timedelta(minutes=5)  # re-read items changed just before the last refresh (commits land late)


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def _minutes(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / 60)


def _net(a: datetime, b: datetime, waits: list[Span], hours: Hours) -> tuple[float, float]:
    """Calendar and business minutes from a to b, less the waiting spans inside them."""
    cal, biz = _minutes(a, b), working_minutes(a, b, hours)
    for w in waits:
        lo, hi = max(a, w.start), min(b, w.end)
        if lo < hi:
            cal -= _minutes(lo, hi)
            biz -= working_minutes(lo, hi, hours)
    return round(max(cal, 0.0), 4), round(max(biz, 0.0), 4)


def _start(record: Feedback) -> datetime:
    """When the clock starts: the customer's time, unless the item was imported long after it was written."""
    if record.created_at and record.received_at and record.created_at - record.received_at > HISTORIC_AFTER:
        return record.created_at
    return record.received_at or record.created_at


def _waits(events: list[HistoryEntry], now: datetime) -> list[Span]:
    spans, opened = [], None
    for e in events:
        if e.kind != "status":
            continue
        if e.to_status == "waiting_customer" and opened is None:
            opened = e.at
        elif e.from_status == "waiting_customer" and opened is not None:
            spans.append(Span(opened, e.at))
            opened = None
    if opened is not None:
        spans.append(Span(opened, now))
    return spans


def _new_owner(e: HistoryEntry) -> int | None:
    data = e.data or {}
    if e.kind == "assign":
        return data.get("to_owner")
    if e.kind == "status" and e.to_status == "assigned" and data.get("owner_id"):
        return data.get("owner_id")
    return None


def _handoffs(record: Feedback, events: list[HistoryEntry], replies: list[Reply], hours: Hours) -> list[KpiHandoff]:
    out = []
    for n, e in enumerate(events):
        owner = _new_owner(e)
        if not owner:
            continue
        acts = [x.at for x in events[n + 1:] if x.actor_id == owner and x.at >= e.at]
        acts += [r.created_at for r in replies if r.author_id == owner and r.created_at >= e.at]
        if not acts:
            continue
        acted = min(acts)
        out.append(KpiHandoff(
            feedback_id=record.id, owner_id=owner, team_id=record.team_id, channel=record.channel,
            problem_type=record.problem_type, product=record.product, customer_type=record.customer_type,
            assigned_at=e.at, acted_at=acted, minutes=round(_minutes(e.at, acted), 4),
            business_minutes=round(working_minutes(e.at, acted, hours), 4),
        ))  # fmt: skip
    return out


def item_times(record: Feedback, events: list[HistoryEntry], confirmations: list[datetime], hours: Hours,
               now: datetime) -> KpiItemTimes:  # fmt: skip
    """One item's durations (pure: the caller loads its history and the customer's confirmations)."""
    start = _start(record)
    waits = _waits(events, now)
    row = KpiItemTimes(
        feedback_id=record.id, computed_at=now, channel=record.channel, team_id=record.team_id,
        agent_id=record.owner_id, problem_type=record.problem_type, product=record.product,
        customer_type=record.customer_type, reopened=(record.reopen_count or 0) > 0,
        source_updated_at=record.updated_at,
    )  # fmt: skip
    if record.first_responded_at:
        row.first_response_at = record.first_responded_at
        row.first_response_minutes, row.first_response_business_minutes = _net(
            start, record.first_responded_at, waits, hours)  # fmt: skip
    resolved = record.resolved_at or (record.closed_at if record.status == "closed" else None)
    if resolved:
        row.resolved_at = resolved
        row.resolution_minutes, row.resolution_business_minutes = _net(start, resolved, waits, hours)
        later = [c for c in confirmations if c >= resolved]
        if later:
            row.confirmed_at = min(later)
            row.followup_minutes = round(_minutes(resolved, row.confirmed_at), 4)
            row.followup_business_minutes = round(working_minutes(resolved, row.confirmed_at, hours), 4)
    return row


def _confirmations(session: Session, records: list[Feedback]) -> dict[str, list[datetime]]:
    from feedbackloop.surveys.models import SurveyResponse

    out: dict[str, list[datetime]] = defaultdict(list)
    for r in records:
        if r.satisfaction_at:
            out[r.id].append(r.satisfaction_at)
    ids = [r.id for r in records]
    for fid, at in session.execute(
        select(SurveyResponse.feedback_id, SurveyResponse.answered_at).where(SurveyResponse.feedback_id.in_(ids))
    ):
        if fid:
            out[fid].append(at)
    return out


def compute_batch(session: Session, records: list[Feedback], hours: Hours, now: datetime) -> int:
    """Replace the rows of these items with freshly computed ones (in the caller's transaction)."""
    if not records:
        return 0
    ids = [r.id for r in records]
    events: dict[str, list[HistoryEntry]] = defaultdict(list)
    for e in session.scalars(select(HistoryEntry).where(HistoryEntry.feedback_id.in_(ids))
                             .order_by(HistoryEntry.at, HistoryEntry.id)):  # fmt: skip
        events[e.feedback_id].append(e)
    replies: dict[str, list[Reply]] = defaultdict(list)
    for rp in session.scalars(select(Reply).where(Reply.feedback_id.in_(ids), Reply.author_id.is_not(None))):
        replies[rp.feedback_id].append(rp)
    confirmations = _confirmations(session, records)
    session.execute(delete(KpiItemTimes).where(KpiItemTimes.feedback_id.in_(ids)))
    session.execute(delete(KpiHandoff).where(KpiHandoff.feedback_id.in_(ids)))
    for record in records:
        session.add(item_times(record, events[record.id], confirmations[record.id], hours, now))
        session.add_all(_handoffs(record, events[record.id], replies[record.id], hours))
    session.flush()
    return len(records)


def _stale(session: Session, limit: int) -> list[Feedback]:
    mark = session.scalar(select(func.max(KpiItemTimes.source_updated_at)))
    stmt = select(Feedback).outerjoin(KpiItemTimes, KpiItemTimes.feedback_id == Feedback.id)
    changed = or_(KpiItemTimes.feedback_id.is_(None), KpiItemTimes.source_updated_at != Feedback.updated_at)
    if mark is not None:
        stmt = stmt.where(Feedback.updated_at >= mark - OVERLAP, changed)
    else:
        stmt = stmt.where(changed)
    return list(session.scalars(stmt.order_by(Feedback.updated_at).limit(limit)))


def refresh(session: Session, *, limit: int | None = None) -> int:
    """Recompute the rows of items changed since the last refresh (all of them with limit None). Commits."""
    from feedbackloop.workflow.sla import business_hours

    done = 0
    while limit is None or done < limit:
        begin_write(session)
        hours = business_hours(session)
        batch = _stale(session, BATCH if limit is None else min(BATCH, limit - done))
        if not batch:
            session.commit()
            break
        done += compute_batch(session, batch, hours, clock.now())
        session.commit()
        if len(batch) < BATCH:
            break
    return done


def rebuild(session: Session) -> int:
    """Recompute every item's row (the business calendar changed, say). Commits per batch."""
    begin_write(session)
    session.execute(delete(KpiHandoff))
    session.execute(delete(KpiItemTimes))
    session.commit()
    return refresh(session)


def pending(session: Session) -> int:
    """How many items the next refresh would recompute (for status output)."""
    stmt = select(func.count()).select_from(Feedback).outerjoin(
        KpiItemTimes, KpiItemTimes.feedback_id == Feedback.id
    ).where(or_(KpiItemTimes.feedback_id.is_(None), and_(KpiItemTimes.source_updated_at != Feedback.updated_at)))
    return session.scalar(stmt) or 0
