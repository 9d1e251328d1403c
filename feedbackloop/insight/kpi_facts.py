"""Per-item durations for the time KPIs, kept up to date incrementally.

`refresh` recomputes the rows of items changed since the last refresh (Feedback.updated_at, indexed), a
batch at a time: first response, resolution, follow-up confirmation and every hand-off, each in calendar
and business minutes (workflow.calendar: working hours, holidays, make-up workdays), with the time spent
waiting on the customer left out. The KPI queries then aggregate these rows in SQL. `rebuild` recomputes
everything (after the business calendar changed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write, xact_lock
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight import daily
from feedbackloop.insight.kpi_models import KpiHandoff, KpiItemTimes
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.calendar import Hours
from feedbackloop.workflow.models import HistoryEntry, Reply

BATCH = 2000
FACTS_LOCK = 0x46_4C_4B_46  # "FLKF": one writer of the per-item durations at a time on PostgreSQL (db.xact_lock)
ERASED = "[已删除]"
HISTORIC_AFTER = timedelta(days=30)  # as workflow.sla: an item imported long after it was written is history
OVERLAP = timedelta(minutes=5)  # re-read items changed just before the last refresh (commits land late)


class BusinessClock:
    """Working minutes between two instants in O(1): a running total of working minutes per local day
    (workflow.calendar's rules: hours, weekdays, holidays, make-up workdays), extended as needed. Gives the
    same figures as calendar.working_minutes, which walks the days on every call."""

    ANCHOR = date(2000, 1, 1)

    def __init__(self, hours: Hours) -> None:
        self.hours = hours
        self._before: list[float] = [0.0]  # working minutes before ANCHOR + i days
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day not in self._windows:
            self._windows[day] = self.hours.window(day) if self.hours.is_workday(day) else None
        return self._windows[day]

    def _total_before(self, day: date) -> float:
        index = (day - self.ANCHOR).days
        if index < 0:
            raise ValueError("dates before 2000 are not supported")
        while len(self._before) <= index:
            current = self.ANCHOR + timedelta(days=len(self._before) - 1)
            win = self._window(current)
            self._before.append(self._before[-1] + ((win[1] - win[0]).total_seconds() / 60 if win else 0.0))
        return self._before[index]

    def at(self, moment: datetime) -> float:
        """Working minutes from ANCHOR to `moment`."""
        day = moment.astimezone(self.hours.zone).date()
        total = self._total_before(day)
        win = self._window(day)
        if win is not None:
            total += min(max((moment - win[0]).total_seconds() / 60, 0.0), (win[1] - win[0]).total_seconds() / 60)
        return total

    def minutes(self, a: datetime, b: datetime) -> float:
        """Working minutes from a to b (0 if b <= a)."""
        return max(0.0, self.at(b) - self.at(a)) if b > a else 0.0


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def _minutes(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / 60)


def _net(a: datetime, b: datetime, waits: list[Span], work: BusinessClock) -> tuple[float, float]:
    """Calendar and business minutes from a to b, less the waiting spans inside them."""
    cal, biz = _minutes(a, b), work.minutes(a, b)
    for w in waits:
        lo, hi = max(a, w.start), min(b, w.end)
        if lo < hi:
            cal -= _minutes(lo, hi)
            biz -= work.minutes(lo, hi)
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


def _handoffs(record: Feedback, events: list[HistoryEntry], replies: list[Reply], work: BusinessClock) -> list[KpiHandoff]:
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
            business_minutes=round(work.minutes(e.at, acted), 4),
        ))  # fmt: skip
    return out


@dataclass(frozen=True)
class Contact:
    """Another item of the same customer, as the repeat check needs it."""

    id: str
    received_at: datetime
    problem_type: str | None


def again_within(record: Feedback, resolved: datetime, others: list[Contact], days: int) -> bool:
    """Did the customer raise the same problem type again after this item, within `days` of its resolution?"""
    if not record.problem_type:
        return False
    limit = resolved + timedelta(days=days)
    return any(o.id != record.id and o.problem_type == record.problem_type and record.received_at < o.received_at <= limit
               for o in others)  # fmt: skip


def item_times(record: Feedback, events: list[HistoryEntry], confirmations: list[datetime], work: BusinessClock,
               now: datetime, others: list[Contact] | None = None, said_no: bool = False) -> KpiItemTimes:  # fmt: skip
    """One item's durations and repeat flags (pure: the caller loads its history, the customer's confirmations
    and the customer's other items)."""
    start = _start(record)
    waits = _waits(events, now)
    row = KpiItemTimes(
        feedback_id=record.id, computed_at=now, channel=record.channel, team_id=record.team_id,
        agent_id=record.owner_id, problem_type=record.problem_type, product=record.product,
        customer_type=record.customer_type, reopened=(record.reopen_count or 0) > 0,
        source_updated_at=record.updated_at, said_not_first=said_no, again_7d=False, again_30d=False,
    )  # fmt: skip
    if record.first_responded_at:
        row.first_response_at = record.first_responded_at
        row.first_response_minutes, row.first_response_business_minutes = _net(
            start, record.first_responded_at, waits, work)  # fmt: skip
    resolved = record.resolved_at or (record.closed_at if record.status == "closed" else None)
    if resolved:
        row.resolved_at = resolved
        row.resolution_minutes, row.resolution_business_minutes = _net(start, resolved, waits, work)
        row.again_7d = again_within(record, resolved, others or [], 7)
        row.again_30d = again_within(record, resolved, others or [], 30)
        later = [c for c in confirmations if c >= resolved]
        if later:
            row.confirmed_at = min(later)
            row.followup_minutes = round(_minutes(resolved, row.confirmed_at), 4)
            row.followup_business_minutes = round(work.minutes(resolved, row.confirmed_at), 4)
    return row


def _confirmations(session: Session, records: list[Feedback]) -> tuple[dict[str, list[datetime]], set[str]]:
    """The customer's confirmations per item (满意 answer, survey answers), and the items whose customer
    answered "not solved the first time"."""
    from feedbackloop.surveys.models import SurveyResponse

    out: dict[str, list[datetime]] = defaultdict(list)
    said_no: set[str] = set()
    for r in records:
        if r.satisfaction_at:
            out[r.id].append(r.satisfaction_at)
    ids = [r.id for r in records]
    for fid, at, fcr in session.execute(
        select(SurveyResponse.feedback_id, SurveyResponse.answered_at, SurveyResponse.fcr_answer)
        .where(SurveyResponse.feedback_id.in_(ids))
    ):
        if fid:
            out[fid].append(at)
            if fcr is False:
                said_no.add(fid)
    return out, said_no


def _known_contact(value: str | None) -> bool:
    return bool(value) and value != ERASED


def _others(session: Session, records: list[Feedback]) -> dict[str, list[Contact]]:
    """Every item of these items' customers (survey comments left out: an answer is not a new contact)."""
    contacts = {r.contact for r in records if _known_contact(r.contact)}
    out: dict[str, list[Contact]] = defaultdict(list)
    if not contacts:
        return out
    for fid, contact, received, problem in session.execute(
        select(Feedback.id, Feedback.contact, Feedback.received_at, Feedback.problem_type)
        .where(Feedback.contact.in_(contacts), Feedback.channel != "survey")
    ):
        if contact:
            out[contact].append(Contact(fid, received, problem))
    return out


def _with_earlier_items(session: Session, records: list[Feedback]) -> list[Feedback]:
    """The batch plus the same customers' earlier items: a new item can make them repeat issues."""
    have = {r.id for r in records}
    contacts = {r.contact for r in records if _known_contact(r.contact) and r.channel != "survey"}
    if not contacts:
        return records
    extra = session.scalars(select(Feedback).where(Feedback.contact.in_(contacts), Feedback.id.not_in(have),
                                                   Feedback.resolved_at.is_not(None)))  # fmt: skip
    return records + list(extra)


def _anchor_days(session: Session, ids: list[str]) -> dict[str, set[str]]:
    """The days the daily rows count these items' durations under (insight.daily.recount_fact_days)."""
    out: dict[str, set[str]] = defaultdict(set)
    t = KpiItemTimes
    for row in session.execute(select(t.resolved_at, t.first_response_at, t.confirmed_at).where(t.feedback_id.in_(ids))):
        for name, at in zip(("resolution", "first_response", "followup"), row, strict=True):
            if at is not None:
                out[name].add(daily.day_of(at))
    out["resolved"] = out["resolution"]
    for (at,) in session.execute(select(KpiHandoff.assigned_at).where(KpiHandoff.feedback_id.in_(ids))):
        out["handoff"].add(daily.day_of(at))
    return out


def compute_batch(session: Session, records: list[Feedback], work: BusinessClock, now: datetime,
                  recount: bool = True) -> int:  # fmt: skip
    """Replace the rows of these items with freshly computed ones, and recount the daily rows of the days
    they counted under before and count under now (in the caller's transaction)."""
    if not records:
        return 0
    xact_lock(session, FACTS_LOCK)
    ids = [r.id for r in records]
    before = _anchor_days(session, ids) if recount else {}
    events: dict[str, list[HistoryEntry]] = defaultdict(list)
    for e in session.scalars(select(HistoryEntry).where(HistoryEntry.feedback_id.in_(ids))
                             .order_by(HistoryEntry.at, HistoryEntry.id)):  # fmt: skip
        events[e.feedback_id].append(e)
    replies: dict[str, list[Reply]] = defaultdict(list)
    for rp in session.scalars(select(Reply).where(Reply.feedback_id.in_(ids), Reply.author_id.is_not(None))):
        replies[rp.feedback_id].append(rp)
    confirmations, said_no = _confirmations(session, records)
    others = _others(session, records)
    session.execute(delete(KpiItemTimes).where(KpiItemTimes.feedback_id.in_(ids)))
    session.execute(delete(KpiHandoff).where(KpiHandoff.feedback_id.in_(ids)))
    for record in records:
        mine = others.get(record.contact or "", []) if _known_contact(record.contact) else []
        session.add(item_times(record, events[record.id], confirmations[record.id], work, now, mine,
                               record.id in said_no))  # fmt: skip
        session.add_all(_handoffs(record, events[record.id], replies[record.id], work))
    session.flush()
    if recount:
        after = _anchor_days(session, ids)
        daily.recount_fact_days(session, {k: before.get(k, set()) | after.get(k, set()) for k in {*before, *after}})
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


def refresh(session: Session, *, limit: int | None = None, recount: bool = True) -> int:
    """Recompute the rows of items changed since the last refresh (all of them with limit None), and bring the
    daily rows up to date (insight.daily.sync). Commits."""
    from feedbackloop.workflow.sla import business_hours

    daily.sync(session)
    done, work = 0, None
    while limit is None or done < limit:
        begin_write(session)
        xact_lock(session, FACTS_LOCK)  # pick the stale items once the previous writer has committed its rows
        work = work or BusinessClock(business_hours(session))
        batch = _stale(session, BATCH if limit is None else min(BATCH, limit - done))
        if not batch:
            session.commit()
            break
        compute_batch(session, _with_earlier_items(session, batch), work, clock.now(), recount)
        done += len(batch)
        session.commit()
        if len(batch) < BATCH:
            break
    return done


def rebuild(session: Session) -> int:
    """Recompute every item's row in place (the business calendar changed, say): batch by batch, each one
    committed, so that the KPIs read the old durations of an item until its new ones replace them; the daily
    rows are recounted once at the end. Commits per batch."""
    from feedbackloop.workflow.sla import business_hours

    begin_write(session)
    for table in (KpiItemTimes, KpiHandoff):  # rows of items that are gone (erased) are not recomputed
        session.execute(delete(table).where(~select(Feedback.id).where(Feedback.id == table.feedback_id).exists()))
    session.commit()
    last, done = "", 0
    while True:
        begin_write(session)
        work = BusinessClock(business_hours(session))
        batch = list(session.scalars(select(Feedback).where(Feedback.id > last).order_by(Feedback.id).limit(BATCH)))
        if not batch:
            session.commit()
            break
        compute_batch(session, batch, work, clock.now(), recount=False)
        last, done = batch[-1].id, done + len(batch)
        session.commit()
    daily.rebuild(session)
    return done


def pending(session: Session) -> int:
    """How many items the next refresh would recompute (for status output)."""
    stmt = select(func.count()).select_from(Feedback).outerjoin(
        KpiItemTimes, KpiItemTimes.feedback_id == Feedback.id
    ).where(or_(KpiItemTimes.feedback_id.is_(None), and_(KpiItemTimes.source_updated_at != Feedback.updated_at)))
    return session.scalar(stmt) or 0
