"""Pre-aggregated daily rows for the KPIs and the dashboard (issues 12 and 13), and how they stay exact.

What keeps them, and when (see insight/daily_models.py for the tables):

- Item rows (agg_daily_items, agg_daily_counts, agg_contact_days) follow `feedback` through `sync`, the same
  incremental pattern as kpi_facts: an item whose updated_at differs from the version it was last counted
  under (agg_item_keys) is due, and every day it counted under before or counts under now is **recounted
  from the raw rows** (one GROUP BY per day and table), in one transaction with the keys. Recounting instead
  of adding deltas means a missed decrement cannot exist: after a sync a day's rows are by construction what
  the raw query says. Every change of an item (intake, analysis or correction with its facets, status,
  assignment, SLA marks, erasure) goes through the ORM, whose onupdate bumps updated_at.
- Rows from the per-item durations (agg_daily_resolved, agg_daily_minutes) are recounted by
  kpi_facts.compute_batch, in the transaction that rewrites those durations, for the days of the old and the
  new rows.
- Survey rows (agg_daily_surveys, agg_daily_invitations) are recounted in the transaction that sends an
  invitation or stores an answer (surveys.services.invite, surveys.answers.answer).

Readers use the item rows only when `fresh` says no item is due (else they answer from the raw rows: never a
stale figure), and only for whole China-time days; `rebuild` recounts everything (migration 0008a, `feedbackloop
kpi --rebuild`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, literal, null, or_, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write, xact_lock
from feedbackloop.feedback.facets import FeedbackFacet
from feedbackloop.feedback.models import Feedback
from feedbackloop.insight.daily_models import (
    ContactDays,
    DailyCounts,
    DailyInvitations,
    DailyItemKeys,
    DailyItems,
    DailyMinutes,
    DailyResolved,
    DailySurveys,
)
from feedbackloop.lib.clock import CHINA

BATCH = 2000
ERASED = "[已删除]"
HANDLED = ("resolved", "closed", "merged", "spam")
DAILY_LOCK = 0x46_4C_44_41  # "FLDA": one writer of the daily rows at a time on PostgreSQL (see xact_lock)
OVERLAP = timedelta(minutes=5)  # as kpi_facts: re-read items changed just before the last sync
EPS = 1e-6  # a value bucket's bounds are widened by this much before the exact bucket test


# --- days ------------------------------------------------------------------------------------------------------


def day_of(moment: datetime) -> str:
    return moment.astimezone(CHINA).date().isoformat()


_PATTERNS = {  # (PostgreSQL to_char, SQLite strftime)
    "day": ("YYYY-MM-DD", "%Y-%m-%d"),
    "second": ("YYYY-MM-DD HH24:MI:SS", "%Y-%m-%d %H:%M:%S"),
}


def china_text(session: Session, column: Any, unit: str = "day") -> Any:
    """A timestamp column in China time as text, by the database: 'YYYY-MM-DD' (unit "day") or
    'YYYY-MM-DD HH:MM:SS' ("second"), cut (as Python's strftime does), never rounded up. SQLite stores UTC text
    "YYYY-MM-DD HH:MM:SS.ffffff", whose fraction its date functions round to milliseconds (23:59:59.9996 would be
    the next day), so it is dropped first; China has kept UTC+8 without DST since 1991."""
    pg, lite = _PATTERNS[unit]
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), pg)
    return func.strftime(lite, func.substr(column, 1, 19), "+8 hours")


def day_sql(session: Session, column: Any) -> Any:
    """The China-time day of a timestamp column as 'YYYY-MM-DD'."""
    return china_text(session, column)


def day_start(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(), CHINA)


def whole_days(lo: datetime, hi: datetime) -> tuple[str, str] | None:
    """('first day', 'last day') when [lo, hi) is exactly whole China days, else None."""
    a, b = lo.astimezone(CHINA), hi.astimezone(CHINA)
    if a.timetz().replace(tzinfo=None) != time() or b.timetz().replace(tzinfo=None) != time() or b <= a:
        return None
    return a.date().isoformat(), (b.date() - timedelta(days=1)).isoformat()


def _runs(days: Iterable[str]) -> list[tuple[str, str]]:
    """Contiguous runs of days as (first, last)."""
    out: list[tuple[str, str]] = []
    for d in sorted(set(days)):
        if out and date.fromisoformat(out[-1][1]) + timedelta(days=1) == date.fromisoformat(d):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


# --- what each table counts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One table's rows (or one kind/metric of them): how to count them from the raw rows for a time range."""

    table: Any
    columns: tuple[str, ...]
    build: Callable[[Session, int, list[Any]], Any]  # (session, grain, time conditions) → SELECT
    anchor: Any  # the raw timestamp whose day a row counts under
    grains: tuple[int, ...] = (0, 1)
    only: tuple[Any, ...] = ()  # conditions that select this spec's rows of a shared table (kind, metric)


def _int(expr: Any) -> Any:
    return func.sum(case((expr, 1), else_=0))


def _nulls(n: int) -> list[Any]:
    return [null() for _ in range(n)]


_DIMS = ("channel", "team_id", "agent_id", "problem_type", "product", "customer_type")


def sla_parts() -> tuple[Any, Any, Any]:
    """kpis._sla's conditions: feedback.services.sla_parts (has an SLA, outcome known, missed)."""
    from feedbackloop.feedback.services import sla_parts as parts

    return parts()


def _items(session: Session, grain: int, conds: list[Any]) -> Any:
    f = Feedback
    day = day_sql(session, f.received_at)
    dims = [f.channel, f.team_id, f.owner_id, f.problem_type, f.product, f.customer_type] if grain else _nulls(6)
    has_sla, done, missed = sla_parts()
    stmt = select(
        literal(grain), day, *dims, func.count(), _int(f.status.in_(HANDLED)), _int(and_(has_sla, done)),
        _int(and_(has_sla, done, missed)), _int(f.sentiment.is_not(None)), _int(f.sentiment == "negative"),
        _int(f.sentiment == "positive"),
    ).where(f.duplicate_of.is_(None), *conds)  # fmt: skip
    return stmt.group_by(day, *dims) if grain else stmt.group_by(day)


def _resolved(session: Session, grain: int, conds: list[Any]) -> Any:
    from feedbackloop.insight.kpi_models import KpiItemTimes as t

    day = day_sql(session, t.resolved_at)
    dims = [getattr(t, d) for d in _DIMS] if grain else _nulls(6)
    not_first = or_(t.reopened.is_(True), t.again_7d.is_(True), t.said_not_first.is_(True))
    stmt = select(literal(grain), day, *dims, func.count(), _int(not_first), _int(t.again_30d.is_(True))).where(
        t.resolved_at.is_not(None), *conds)  # fmt: skip
    return stmt.group_by(day, *dims) if grain else stmt.group_by(day)


def _surveys(session: Session, grain: int, conds: list[Any]) -> Any:
    from feedbackloop.surveys.models import SurveyResponse as r

    day = day_sql(session, r.answered_at)
    dims = [getattr(r, d) for d in _DIMS] if grain else _nulls(6)
    stmt = select(literal(grain), day, r.kind, r.score, *dims, func.count()).where(*conds)
    return stmt.group_by(day, r.kind, r.score, *dims) if grain else stmt.group_by(day, r.kind, r.score)


def _invitations(session: Session, grain: int, conds: list[Any]) -> Any:
    from feedbackloop.surveys.models import SurveyInvitation as i

    day = day_sql(session, i.sent_at)
    dims = [getattr(i, d) for d in _DIMS] if grain else _nulls(6)
    stmt = select(literal(grain), day, i.kind, *dims, func.count(), func.count(i.answered_at)).where(*conds)
    return stmt.group_by(day, i.kind, *dims) if grain else stmt.group_by(day, i.kind)


_DIM_COLS = ("grain", "day", *_DIMS)
_COUNT_COLS = ("grain", "kind", "day", "channel", "team_id", "product", "customer_type", "key1", "key2", "n")


def _counts(kind: str, key1: Callable[[], Any], key2: Callable[[], Any] | None = None,
            where: Callable[[], list[Any]] | None = None) -> Spec:  # fmt: skip
    """A dashboard count over `feedback` (duplicates included, as the inbox counts them)."""

    def build(session: Session, grain: int, conds: list[Any]) -> Any:
        f = Feedback
        day = day_sql(session, f.received_at)
        dims = [f.channel, f.team_id, f.product, f.customer_type] if grain else _nulls(4)
        k1, k2 = key1(), key2() if key2 else null()
        keys = [k1] + ([k2] if key2 else [])
        stmt = select(literal(grain), literal(kind), day, *dims, k1, k2, func.count()).where(
            *(where() if where else []), *conds)  # fmt: skip
        return stmt.group_by(day, *keys, *dims) if grain else stmt.group_by(day, *keys)

    return Spec(DailyCounts, _COUNT_COLS, build, Feedback.received_at, only=(DailyCounts.kind == kind,))


def _facet_counts(kind: str, kinds: tuple[str, ...], polarity: bool, distinct: bool = False) -> Spec:
    def build(session: Session, grain: int, conds: list[Any]) -> Any:
        x = FeedbackFacet
        day = day_sql(session, x.received_at)
        dims = [Feedback.channel, Feedback.team_id, Feedback.product, Feedback.customer_type] if grain else _nulls(4)
        k2 = x.polarity if polarity else null()
        n = func.count(func.distinct(x.feedback_id)) if distinct else func.count()
        stmt = select(literal(grain), literal(kind), day, *dims, x.value, k2, n).where(x.kind.in_(kinds), *conds)
        if grain:
            stmt = stmt.join(Feedback, Feedback.id == x.feedback_id)
        keys = [x.value] + ([x.polarity] if polarity else [])
        return stmt.group_by(day, *keys, *dims) if grain else stmt.group_by(day, *keys)

    return Spec(DailyCounts, _COUNT_COLS, build, FeedbackFacet.received_at, only=(DailyCounts.kind == kind,))


def _sla_flag() -> Any:
    from feedbackloop.feedback.services import sla_outcomes

    _, breached = sla_outcomes()
    return case((breached, "breached"), else_="met")


def _sla_where() -> list[Any]:
    from feedbackloop.feedback.services import sla_outcomes

    met, breached = sla_outcomes()
    return [met | breached]


MENTION_SPEC = _facet_counts("mention", ("product", "module"), polarity=True, distinct=True)
SLA_SPEC = _counts("sla", _sla_flag, where=_sla_where)
ITEM_SPECS: tuple[Spec, ...] = (
    Spec(DailyItems, (*_DIM_COLS, "received", "handled", "sla_n", "sla_missed", "analysed", "negative", "positive"),
         _items, Feedback.received_at),
    _counts("ss", lambda: Feedback.sentiment, lambda: Feedback.status),
    _counts("pt", lambda: Feedback.problem_type, lambda: Feedback.sentiment),
    _counts("ver", lambda: Feedback.product_version),
    SLA_SPEC,
    _facet_counts("aspect", ("aspect",), polarity=True),
    _facet_counts("keyword", ("keyword",), polarity=False),
    _facet_counts("risk", ("risk",), polarity=False),
    MENTION_SPEC,
)  # fmt: skip


def _resolved_spec() -> Spec:
    from feedbackloop.insight.kpi_models import KpiItemTimes

    return Spec(DailyResolved, (*_DIM_COLS, "n", "not_first", "again_30d"), _resolved, KpiItemTimes.resolved_at)


def survey_specs() -> tuple[Spec, Spec]:
    from feedbackloop.surveys.models import SurveyInvitation, SurveyResponse

    return (
        Spec(DailySurveys, ("grain", "day", "kind", "score", *_DIMS, "n"), _surveys, SurveyResponse.answered_at),
        Spec(DailyInvitations, ("grain", "day", "kind", *_DIMS, "sent", "answered"), _invitations,
             SurveyInvitation.sent_at),
    )  # fmt: skip


# --- value buckets of the time KPIs --------------------------------------------------------------------------------

# Piecewise-linear buckets: 1 minute up to an hour, 10 up to 10 hours, 100 up to 100 hours, then 1,000 and 10,000.
_STEPS = ((0.0, 1.0, 60), (60.0, 10.0, 54), (600.0, 100.0, 54), (6000.0, 1000.0, 54), (60000.0, 10000.0, None))


def bucket_sql(session: Session, value: Any) -> Any:
    floor = (lambda x: cast(func.floor(x), Integer)) if session.get_bind().dialect.name == "postgresql" \
        else (lambda x: cast(x, Integer))  # values are never negative: truncation is floor  # fmt: skip
    whens, first = [], 0
    for start, width, count in _STEPS[:-1]:
        assert count is not None
        whens.append((value < start + width * count, first + floor((value - start) / width)))
        first += count
    start, width, _ = _STEPS[-1]
    return case(*whens, else_=first + floor((value - start) / width))


def bucket_bounds(bucket: int) -> tuple[float, float]:
    first = 0
    for start, width, count in _STEPS:
        if count is None or bucket < first + count:
            lo = start + width * (bucket - first)
            return lo, lo + width
        first += count
    raise AssertionError("unreachable")


def time_metrics() -> dict[str, tuple[Any, Any, Any]]:
    """metric → (model, anchor column, value column), one per time KPI column (business and calendar)."""
    from feedbackloop.insight.kpi_models import KpiHandoff as h
    from feedbackloop.insight.kpi_models import KpiItemTimes as t

    return {
        "first_response_business": (t, t.first_response_at, t.first_response_business_minutes),
        "first_response_calendar": (t, t.first_response_at, t.first_response_minutes),
        "resolution_business": (t, t.resolved_at, t.resolution_business_minutes),
        "resolution_calendar": (t, t.resolved_at, t.resolution_minutes),
        "followup_business": (t, t.confirmed_at, t.followup_business_minutes),
        "followup_calendar": (t, t.confirmed_at, t.followup_minutes),
        "handoff_business": (h, h.assigned_at, h.business_minutes),
        "handoff_calendar": (h, h.assigned_at, h.minutes),
    }


def _minutes_spec(metric: str) -> Spec:
    _, anchor, value = time_metrics()[metric]

    def build(session: Session, grain: int, conds: list[Any]) -> Any:
        day, bucket = day_sql(session, anchor), bucket_sql(session, value)
        return (select(literal(metric), day, bucket, func.count()).where(anchor.is_not(None), value.is_not(None), *conds)
                .group_by(day, bucket))  # fmt: skip

    return Spec(DailyMinutes, ("metric", "day", "bucket", "n"), build, anchor, grains=(0,),
                only=(DailyMinutes.metric == metric,))


# --- recounting ------------------------------------------------------------------------------------------------


def recount(session: Session, spec: Spec, days: Iterable[str] | None) -> None:
    """Replace the spec's rows of these days (all days with None) by a fresh count of the raw rows."""
    table = spec.table
    xact_lock(session, DAILY_LOCK)
    if days is None:
        ranges: list[tuple[str, str] | None] = [None]
    else:
        ranges = list(_runs(days))
    for run in ranges:
        conds: list[Any] = []
        dele = delete(table).where(*spec.only)
        if run is not None:
            lo, hi = day_start(run[0]), day_start(run[1]) + timedelta(days=1)
            conds = [spec.anchor >= lo, spec.anchor < hi]
            dele = dele.where(table.day >= run[0], table.day <= run[1])
        session.execute(dele)
        for grain in spec.grains:
            session.execute(insert(table).from_select(list(spec.columns), spec.build(session, grain, conds)))


def recount_days(session: Session, specs: Sequence[Spec], days: Iterable[str] | None) -> None:
    days = None if days is None else set(days)
    if days is not None and not days:
        return
    for spec in specs:
        recount(session, spec, days)


def recount_contacts(session: Session, contacts: Iterable[str | None] | None) -> None:
    """Rewrite the contact-day rows of these customers (all with None) from `feedback`."""
    wanted = None if contacts is None else sorted({c for c in contacts if c and c != ERASED})
    if wanted is not None and not wanted:
        return
    xact_lock(session, DAILY_LOCK)
    chunks: list[list[str] | None] = [None] if wanted is None else [wanted[i:i + 500] for i in range(0, len(wanted), 500)]
    for chunk in chunks:
        day = day_sql(session, Feedback.received_at)
        stmt = select(Feedback.contact, day).where(Feedback.contact.is_not(None), Feedback.contact != ERASED).distinct()
        if chunk is None:
            session.execute(delete(ContactDays))
        else:
            stmt = stmt.where(Feedback.contact.in_(chunk))
            session.execute(delete(ContactDays).where(ContactDays.contact.in_(chunk)))
        seen: dict[str, list[str]] = defaultdict(list)
        for contact, d in session.execute(stmt):
            seen[contact].append(str(d))
        rows = []
        for contact, ds in seen.items():
            ds.sort()
            rows += [{"contact": contact, "day": d, "next_day": ds[i + 1] if i + 1 < len(ds) else None}
                     for i, d in enumerate(ds)]  # fmt: skip
        for i in range(0, len(rows), 5000):
            session.execute(insert(ContactDays), rows[i:i + 5000])


def _stale_stmt(session: Session) -> Any:
    k = DailyItemKeys
    mark = session.scalar(select(func.max(k.source_updated_at)))
    stmt = select(Feedback.id, Feedback.updated_at, Feedback.received_at, Feedback.contact, k.day, k.contact).outerjoin(
        k, k.feedback_id == Feedback.id)  # fmt: skip
    changed = or_(k.feedback_id.is_(None), k.source_updated_at != Feedback.updated_at)
    if mark is not None:
        return stmt.where(Feedback.updated_at >= mark - OVERLAP, changed)
    return stmt.where(changed)


def _unkeyed_stmt() -> Any:
    """Items that were never counted, whatever their updated_at (a writer whose clock or transaction put it
    before the window of `_stale_stmt`): the full anti-join, used only when the key count says there are some."""
    k = DailyItemKeys
    return select(Feedback.id, Feedback.updated_at, Feedback.received_at, Feedback.contact, k.day, k.contact).outerjoin(
        k, k.feedback_id == Feedback.id).where(k.feedback_id.is_(None))  # fmt: skip


def _all_keyed(session: Session) -> bool:
    items = session.scalar(select(func.count()).select_from(Feedback))
    return items == session.scalar(select(func.count()).select_from(DailyItemKeys))


# The two counts of _all_keyed read every item (125 ms at 1,000,000 items on PostgreSQL, the most of a dashboard
# request). A request trusts a "yes" for KEYED_RECHECK seconds: the stale-item probe still sees every item written
# since the last count at once; what the counts alone find (an item committed long after its updated_at) the
# background sync (every minute, exact counts) finds as soon.
KEYED_RECHECK = 60.0
_keyed_seen: dict[str, float] = {}  # database URL → when the counts last agreed (time.monotonic)


def _all_keyed_lately(session: Session) -> bool:
    url, now = str(session.get_bind().engine.url), monotonic()
    if now - _keyed_seen.get(url, -KEYED_RECHECK) < KEYED_RECHECK:
        return True
    if _all_keyed(session):
        _keyed_seen[url] = now
        return True
    _keyed_seen.pop(url, None)
    return False


def _fresh_now(session: Session) -> bool:
    return session.execute(_stale_stmt(session).limit(1)).first() is None and _all_keyed_lately(session)


def fresh(session: Session) -> bool:
    """Whether every item is counted as it is now (the readers' condition for using the item rows); the
    answer `pin_fresh` gave, in a session it was called on."""
    pinned = session.info.get(_PINNED)
    return pinned if pinned is not None else _fresh_now(session)


_PINNED = "feedbackloop.daily.fresh"


def sync_and_pin(session: Session) -> bool:
    """A read-only request's start: count what changed since the last request, then pin `fresh`. When nothing
    is due (the usual case) that is one freshness probe, not one in `sync` and another in `pin_fresh`."""
    session.info.pop(_PINNED, None)
    if _fresh_now(session):
        session.rollback()
        session.info[_PINNED] = True
        return True
    sync(session)
    return pin_fresh(session)


def pin_fresh(session: Session) -> bool:
    """Decide `fresh` once for the rest of a read-only request's session (a dashboard request asks it of every
    chart: one stale-item probe and two counts instead of a dozen). Call it right after `sync`."""
    session.info[_PINNED] = value = _fresh_now(session)
    return value


def sync(session: Session, *, limit: int | None = None) -> int:
    """Recount the days and customers of the items changed since the last sync. Commits per batch."""
    done = 0
    session.info.pop(_PINNED, None)
    if _fresh_now(session):
        session.rollback()
        return 0
    while limit is None or done < limit:
        begin_write(session)
        xact_lock(session, DAILY_LOCK)  # read the due items only once the previous writer has committed
        k = DailyItemKeys
        size = BATCH if limit is None else min(BATCH, limit - done)
        batch = session.execute(_stale_stmt(session).order_by(Feedback.updated_at).limit(size)).all()
        if not batch and not _all_keyed(session):
            batch = session.execute(_unkeyed_stmt().limit(size)).all()
        if not batch:
            session.commit()
            break
        days = {day_of(r[2]) for r in batch} | {r[4] for r in batch if r[4]}
        recount_days(session, ITEM_SPECS, days)
        recount_contacts(session, [r[3] for r in batch] + [r[5] for r in batch])
        ids = [r[0] for r in batch]
        session.execute(delete(k).where(k.feedback_id.in_(ids)))
        session.execute(insert(k), [{"feedback_id": r[0], "source_updated_at": r[1], "day": day_of(r[2]),
                                     "contact": r[3]} for r in batch])  # fmt: skip
        session.commit()
        done += len(batch)
        if len(batch) < size and _all_keyed(session):
            break
    session.rollback()
    return done


def fact_specs() -> tuple[Spec, ...]:
    return (_resolved_spec(), *(_minutes_spec(m) for m in time_metrics()))


def recount_fact_days(session: Session, days: dict[str, set[str]]) -> None:
    """Recount the rows built from the per-item durations: days per anchor ('resolved', 'first_response',
    'followup', 'handoff'), in the caller's transaction (kpi_facts.compute_batch)."""
    if days.get("resolved"):
        recount(session, _resolved_spec(), days["resolved"])
    for metric in time_metrics():
        anchor = metric.rsplit("_", 1)[0]
        if days.get(anchor):
            recount(session, _minutes_spec(metric), days[anchor])


def recount_surveys(session: Session, answered: datetime | None = None, sent: datetime | None = None) -> None:
    """Recount the survey rows of the day an answer was given and of the day its invitation was sent, in the
    caller's transaction (surveys.services.invite, surveys.answers.answer)."""
    responses, invitations = survey_specs()
    session.flush()
    if answered is not None:
        recount(session, responses, [day_of(answered)])
    if sent is not None:
        recount(session, invitations, [day_of(sent)])


def rebuild(session: Session) -> None:
    """Recount every table from the raw rows (after bulk loads, `feedbackloop kpi --rebuild`). Commits."""
    begin_write(session)
    recount_all(session)
    session.commit()


def recount_all(session: Session) -> None:
    """Recount every table from the raw rows, in the caller's transaction (migration 0008a)."""
    xact_lock(session, DAILY_LOCK)
    recount_days(session, ITEM_SPECS, None)
    recount_days(session, fact_specs(), None)
    recount_days(session, survey_specs(), None)
    recount_contacts(session, None)
    k = DailyItemKeys
    session.execute(delete(k))
    day = day_sql(session, Feedback.received_at)
    session.execute(insert(k).from_select(["feedback_id", "source_updated_at", "day", "contact"],
                                          select(Feedback.id, Feedback.updated_at, day, Feedback.contact)))  # fmt: skip


# --- reading ---------------------------------------------------------------------------------------------------


def dims_where(model: Any, dims: dict[str, Any]) -> list[Any]:
    """grain and filter conditions on an aggregate table: grain 0 without filters, grain 1 with them."""
    return [model.grain == (1 if dims else 0), *(getattr(model, k) == v for k, v in dims.items())]


def percentile_values(session: Session, metric: str, first: str, last: str, ps: Sequence[float]
                      ) -> tuple[int, list[float | None]]:  # fmt: skip
    """(n, percentiles) of one time KPI over whole days, exactly as kpis.percentiles computes them."""
    m = DailyMinutes
    rows = session.execute(select(m.bucket, func.sum(m.n)).where(m.metric == metric, m.day >= first, m.day <= last)
                           .group_by(m.bucket).order_by(m.bucket)).all()  # fmt: skip
    n = sum(int(c) for _, c in rows)
    if not n:
        return 0, [None for _ in ps]
    _, anchor, value = time_metrics()[metric]
    lo, hi = day_start(first), day_start(last) + timedelta(days=1)
    cache: dict[int, float] = {}

    def nth(rank: int) -> float:  # 0-based rank in value order
        if rank not in cache:
            before = 0
            for bucket, count in rows:
                if rank < before + int(count):
                    b_lo, b_hi = bucket_bounds(int(bucket))
                    stmt = (select(value).where(value >= b_lo - EPS, value < b_hi + EPS,
                                                bucket_sql(session, value) == int(bucket), anchor >= lo, anchor < hi)
                            .order_by(value).offset(rank - before).limit(1))  # fmt: skip
                    found = session.scalar(stmt)
                    assert found is not None, f"value bucket {bucket} of {metric} holds fewer rows than counted"
                    cache[rank] = float(found)
                    break
                before += int(count)
        return cache[rank]

    pg = session.get_bind().dialect.name == "postgresql"
    out: list[float | None] = []
    for p in ps:
        pos = (n - 1) * p
        if pg:  # percentile_cont: lo + (hi - lo) * fraction
            a, b = math.floor(pos), math.ceil(pos)
            v = nth(a) if a == b else nth(a) + (nth(b) - nth(a)) * (pos - a)
        else:  # kpis.percentiles' window-function formula on SQLite
            a = int(pos)
            frac = pos - a
            v = nth(a) * (1 - frac) + (nth(a + 1) * frac if a + 1 < n else 0.0)
        out.append(round(float(v), 2))
    return n, out
