"""The service-health dashboard's figures (issue 13, SPEC §8): plain functions over a session, one per chart.

Every figure is a count of `feedback` rows under the inbox's own filter conditions (feedback.services
.filter_conditions), grouped by one more dimension, and every chart element carries the inbox URL of exactly
those rows (`href`): the same filters plus the element's own. The counts a manager sees are therefore the
counts the inbox shows after the click.

Speed: a view of whole days whose only other filters are the shared ones (channel, team, product, customer
type) is answered from the daily rows (insight/daily.py: agg_daily_counts, counted per received day and filter
value from the same conditions), once every item is counted as it is now (daily.fresh); any other filter
(status, sentiment, a search word, an aspect…) or a stale item falls back to the raw query: columns grouped
straight from `feedback` over the received_at index, aspects, keywords and mentions from `feedback_facets`,
whose (kind, received_at, value, polarity) index answers a date range without touching `feedback` unless
another filter is set. Both give the same counts (tests/insight/test_daily_aggregates.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from feedbackloop.feedback.facets import FeedbackFacet
from feedbackloop.feedback.models import CHANNELS, SENTIMENTS, Feedback
from feedbackloop.feedback.services import FeedbackFilter, filter_conditions, sla_outcomes
from feedbackloop.insight import daily, quotes
from feedbackloop.insight.daily_models import DailyCounts
from feedbackloop.lib.clock import CHINA
from feedbackloop.workflow.states import STATUSES

HANDLED = ("resolved", "closed", "merged", "spam")
SENTIMENT_ORDER = ("negative", "neutral", "positive")
AGE_BUCKETS = ((0, 0, "今天"), (1, 2, "1–2 天"), (3, 6, "3–6 天"), (7, 29, "7–29 天"), (30, None, "30 天以上"))
_DATE_FIELDS = ("date_from", "date_to")


@dataclass(frozen=True)
class View:
    """The dashboard's filters: whole China days [start, end] plus the shared filters, and how to link them."""

    filters: FeedbackFilter
    start: date
    end: date
    href: Callable[..., str]  # href(**params) → the inbox URL of these filters plus params (None drops one)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def conditions(self, **changes: Any) -> list[Any]:
        return filter_conditions(replace(self.filters, **changes))

    def only_dates(self) -> bool:
        """Whether no filter but the date range is set (facet counts then need no join)."""
        return all(
            getattr(self.filters, name) in (None, "") for name in self.filters.__dataclass_fields__
            if name not in _DATE_FIELDS
        )


_AGG_FILTERS = ("channel", "team_id", "product", "customer_type")


@dataclass(frozen=True)
class Agg:
    """A view the daily rows can answer: its first and last day and its shared filters."""

    first: str
    last: str
    dims: dict[str, Any]

    def rows(self, session: Session, kind: str, *columns: Any, split: bool = False, where: Iterable[Any] = ()) -> Any:
        """sum(n) of one kind's rows grouped by `columns` (split: the per-filter-value rows even without a
        filter, for grouping by a filter column)."""
        t = DailyCounts
        grain = 1 if (self.dims or split) else 0
        stmt = select(*columns, func.sum(t.n)).where(t.kind == kind, t.grain == grain, t.day >= self.first,
                                                     t.day <= self.last, *where,
                                                     *(getattr(t, k) == v for k, v in self.dims.items()))  # fmt: skip
        return [(*r[:-1], int(r[-1] or 0)) for r in session.execute(stmt.group_by(*columns) if columns else stmt)]


def _agg(session: Session, view: View) -> Agg | None:
    """The daily rows' reading of a view, or None where only the raw rows can answer it."""
    f = view.filters
    for name in f.__dataclass_fields__:
        value = getattr(f, name)
        if name in _DATE_FIELDS or name in _AGG_FILTERS:
            continue
        if (value is not None) if name == "ids" else value not in (None, "", ()):
            return None
    if not f.date_from or not f.date_to:
        return None
    first, last = f.date_from.astimezone(CHINA).date(), f.date_to.astimezone(CHINA).date()
    if (f.date_from, f.date_to) != (bounds(first, first)[0], bounds(last, last)[1]) or not daily.fresh(session):
        return None
    dims = {k: getattr(f, k) for k in _AGG_FILTERS if getattr(f, k) not in (None, "")}
    return Agg(first.isoformat(), last.isoformat(), dims)


def view_between(lo: datetime, hi: datetime) -> View:
    """The unfiltered view of [lo, hi) (the periodic report's period; whole China days are read from the
    daily rows, other bounds from the raw rows)."""
    last_instant = hi - timedelta(microseconds=1)
    return View(FeedbackFilter(date_from=lo, date_to=last_instant), lo.astimezone(CHINA).date(),
                last_instant.astimezone(CHINA).date(), lambda **changes: "")


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants the inbox's from/to mean for these days (to includes its whole day)."""
    lo = datetime.combine(start, time.min, tzinfo=CHINA)
    return lo, datetime.combine(end, time.min, tzinfo=CHINA) + timedelta(days=1, microseconds=-1)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- volume and sentiment over time -----------------------------------------------------------------------


def _buckets(view: View, granularity: str) -> list[tuple[date, date]]:
    if granularity == "day":
        return [(d, d) for d in _days(view.start, view.end)]
    out, d = [], view.start
    while d <= view.end:
        last = min(d + timedelta(days=6 - d.weekday()), view.end)  # weeks end on Sunday
        out.append((d, last))
        d = last + timedelta(days=1)
    return out


def volume(session: Session, view: View, granularity: str = "day") -> dict[str, Any]:
    """Items per day or week, split by sentiment (unanalysed items count in the total only)."""
    day = daily.day_sql(session, Feedback.received_at)
    agg = _agg(session, view)
    stmt = select(day, Feedback.sentiment, func.count()).where(*view.conditions()).group_by(day, Feedback.sentiment)
    per_day: dict[str, dict[str | None, int]] = {}
    found: Iterable[Any] = agg.rows(session, "ss", DailyCounts.day, DailyCounts.key1) if agg else list(session.execute(stmt))
    for d, sentiment, n in found:
        per_day.setdefault(str(d), {})[sentiment] = n
    buckets = []
    for lo, hi in _buckets(view, granularity):
        counts: dict[str | None, int] = {}
        for d in _days(lo, hi):
            for sentiment, n in per_day.get(d.isoformat(), {}).items():
                counts[sentiment] = counts.get(sentiment, 0) + n
        span = {"from": lo.isoformat(), "to": hi.isoformat()}
        buckets.append({
            "key": lo.isoformat(), "label": lo.strftime("%m-%d") if lo == hi else f"{lo:%m-%d}–{hi:%m-%d}",
            "total": sum(counts.values()), "href": view.href(**span),
            "sentiment": {s: {"count": counts.get(s, 0), "href": view.href(**span, sentiment=s)}
                          for s in SENTIMENT_ORDER},
            "unanalysed": counts.get(None, 0),
        })  # fmt: skip
    return {"granularity": granularity, "buckets": buckets, "labels": SENTIMENTS}


# --- shares of one column ---------------------------------------------------------------------------------


def _shares(session: Session, view: View, column: Any, param: str, labels: dict[str, str],
            daily_rows: tuple[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    agg = _agg(session, view) if daily_rows else None
    if agg and daily_rows:
        kind, key = daily_rows
        found: list[Any] = agg.rows(session, kind, key, split=key is DailyCounts.channel, where=[key.is_not(None)])
    else:
        found = list(session.execute(select(column, func.count()).where(*view.conditions(), column.is_not(None))
                                     .group_by(column)))  # fmt: skip
    rows = sorted(((str(k), n) for k, n in found if n), key=lambda r: (-r[1], r[0]))
    total = sum(n for _, n in rows)
    items = [
        {"key": k, "label": labels.get(k, k), "count": n, "share": _pct(n, total), "href": view.href(**{param: k})}
        for k, n in rows
    ]
    return {"total": total, "items": items}


def channels(session: Session, view: View) -> dict[str, Any]:
    """Items per channel."""
    return _shares(session, view, Feedback.channel, "channel", CHANNELS, ("ss", DailyCounts.channel))


def problem_types(session: Session, view: View) -> dict[str, Any]:
    """Items per problem type (items with none are left out)."""
    return _shares(session, view, Feedback.problem_type, "problem_type", {}, ("pt", DailyCounts.key1))


def versions(session: Session, view: View) -> dict[str, Any]:
    """Items per product version given by the customer."""
    return _shares(session, view, Feedback.product_version, "product_version", {}, ("ver", DailyCounts.key1))


# --- facets: aspects, keywords, mentions -------------------------------------------------------------------


def _facet_stmt(view: View, kinds: Iterable[str], *columns: Any) -> Any:
    lo, hi = view.filters.date_from, view.filters.date_to
    stmt = select(*columns).where(FeedbackFacet.kind.in_(list(kinds)))
    if lo:
        stmt = stmt.where(FeedbackFacet.received_at >= lo)
    if hi:
        stmt = stmt.where(FeedbackFacet.received_at <= hi)
    if not view.only_dates():
        stmt = stmt.join(Feedback, Feedback.id == FeedbackFacet.feedback_id).where(*view.conditions())
    return stmt


def aspects(session: Session, view: View, top: int = 15) -> dict[str, Any]:
    """Aspect × sentiment: items per aspect and polarity, the `top` most mentioned aspects."""
    stmt = _facet_stmt(view, ["aspect"], FeedbackFacet.value, FeedbackFacet.polarity, func.count())
    agg = _agg(session, view)
    cells: dict[str, dict[str, int]] = {}
    found: list[Any] = agg.rows(session, "aspect", DailyCounts.key1, DailyCounts.key2) if agg else \
        list(session.execute(stmt.group_by(FeedbackFacet.value, FeedbackFacet.polarity)))  # fmt: skip
    for value, polarity, n in found:
        if polarity in SENTIMENT_ORDER:
            cells.setdefault(value, {})[polarity] = n
    names = sorted(cells, key=lambda a: (-sum(cells[a].values()), a))[:top]
    return {
        "aspects": names,
        "sentiments": list(SENTIMENT_ORDER),
        "labels": SENTIMENTS,
        "cells": [
            {"aspect": a, "sentiment": s, "count": cells[a].get(s, 0),
             "href": view.href(aspect=a, aspect_sentiment=s)}
            for a in names for s in SENTIMENT_ORDER
        ],
    }  # fmt: skip


def keywords(session: Session, view: View, top: int = 40) -> dict[str, Any]:
    """The `top` keywords by the number of items."""
    agg = _agg(session, view)
    if agg:
        t, total = DailyCounts, func.sum(DailyCounts.n).label("n")
        stmt = select(t.key1, total).where(t.kind == "keyword", t.grain == (1 if agg.dims else 0), t.day >= agg.first,
                                           t.day <= agg.last, *(getattr(t, k) == v for k, v in agg.dims.items()))  # fmt: skip
        rows = session.execute(stmt.group_by(t.key1).order_by(total.desc(), t.key1).limit(top)).all()
    else:
        n = func.count().label("n")
        stmt = _facet_stmt(view, ["keyword"], FeedbackFacet.value, n).group_by(FeedbackFacet.value)
        rows = session.execute(stmt.order_by(n.desc(), FeedbackFacet.value).limit(top)).all()
    return {"items": [{"word": w, "count": c, "href": view.href(keyword=w)} for w, c in rows]}


def mentions(session: Session, view: View, top: int = 15) -> dict[str, Any]:
    """Products and modules the analysis found in the texts, with how many of those items are negative."""
    n = func.count(func.distinct(FeedbackFacet.feedback_id))
    stmt = _facet_stmt(view, ["product", "module"], FeedbackFacet.value, FeedbackFacet.polarity, n)
    agg = _agg(session, view)
    per: dict[str, dict[str | None, int]] = {}
    found: list[Any] = agg.rows(session, "mention", DailyCounts.key1, DailyCounts.key2) if agg else \
        list(session.execute(stmt.group_by(FeedbackFacet.value, FeedbackFacet.polarity)))  # fmt: skip
    for value, polarity, count in found:
        per.setdefault(value, {})[polarity] = count  # polarity is the item's sentiment (facets.facts)
    names = sorted(per, key=lambda v: (-sum(per[v].values()), v))[:top]
    items = [{"name": v, "count": sum(per[v].values()), "negative": per[v].get("negative", 0),
              "href": view.href(mention=v), "negative_href": view.href(mention=v, sentiment="negative")}
             for v in names]  # fmt: skip
    return {"items": items}


# --- handling: SLA and backlog ------------------------------------------------------------------------------


def sla(session: Session, view: View) -> dict[str, Any]:
    """Per day, items with an SLA deadline that met it and that breached it (first response or resolution)."""
    day = daily.day_sql(session, Feedback.received_at)
    met, breached = sla_outcomes()  # the inbox's sla=met / sla=breached, so the drill-down counts match
    flag = case((breached, "breached"), else_="met")
    conds = view.conditions() + [met | breached]  # open items whose deadlines lie ahead: no outcome yet
    stmt = select(day, flag, func.count()).where(*conds).group_by(day, flag)
    agg = _agg(session, view)
    per: dict[str, dict[str, int]] = {}
    found: list[Any] = agg.rows(session, "sla", DailyCounts.day, DailyCounts.key1) if agg else list(session.execute(stmt))
    for d, f, n in found:
        per.setdefault(str(d), {})[f] = n
    days: list[dict[str, Any]] = []
    for d in _days(view.start, view.end):
        c = per.get(d.isoformat(), {})
        met, late = c.get("met", 0), c.get("breached", 0)
        span = {"from": d.isoformat(), "to": d.isoformat()}
        days.append({"day": d.isoformat(), "met": met, "breached": late, "compliance": _pct(met, met + late),
                     "met_href": view.href(**span, sla="met"), "breached_href": view.href(**span, sla="breached")})
    met_all = sum(x["met"] for x in days)
    late_all = sum(x["breached"] for x in days)
    return {"days": days, "compliance": _pct(met_all, met_all + late_all), "met": met_all, "breached": late_all}


def backlog(session: Session, view: View, today: date) -> dict[str, Any]:
    """Open items by status and age (days since they came in), within the date range."""
    day = daily.day_sql(session, Feedback.received_at)
    stmt = (
        select(Feedback.status, day, func.count())
        .where(*view.conditions(), Feedback.status.not_in(HANDLED))
        .group_by(Feedback.status, day)
    )
    agg = _agg(session, view)
    found: list[Any] = agg.rows(session, "ss", DailyCounts.key2, DailyCounts.day, where=[DailyCounts.key2.not_in(HANDLED)]) \
        if agg else list(session.execute(stmt))  # fmt: skip
    per: dict[tuple[str, int], int] = {}
    for status, d, n in found:
        age = (today - date.fromisoformat(str(d))).days
        b = next(i for i, (lo, hi, _) in enumerate(AGE_BUCKETS) if age >= lo and (hi is None or age <= hi))
        per[(status, b)] = per.get((status, b), 0) + n
    statuses = [s for s in STATUSES if any(k[0] == s for k in per)]
    cells = []
    for b, (lo, hi, label) in enumerate(AGE_BUCKETS):
        first = max(view.start, today - timedelta(days=hi)) if hi is not None else view.start
        last = min(view.end, today - timedelta(days=lo))
        span = {"from": first.isoformat(), "to": last.isoformat()}
        for s in statuses:
            cells.append({"status": s, "age": label, "count": per.get((s, b), 0),
                          "href": view.href(status=s, **span) if first <= last else None})
    return {"statuses": statuses, "status_labels": {s: STATUSES[s] for s in statuses},
            "ages": [label for _, _, label in AGE_BUCKETS], "cells": cells, "open": sum(per.values())}  # fmt: skip


def products(session: Session, limit: int = 100) -> list[str]:
    """The products customers named most often (the filter's suggestions)."""
    n = func.count().label("n")
    stmt = select(Feedback.product, n).where(Feedback.product.is_not(None)).group_by(Feedback.product)
    return [str(p) for p, _ in session.execute(stmt.order_by(n.desc()).limit(limit))]


# --- summary tiles, themes, alerts ------------------------------------------------------------------------------


def summary(session: Session, view: View) -> dict[str, Any]:
    """Headline figures of the range against the range of the same length just before it."""
    prev_end = view.start - timedelta(days=1)
    prev = View(replace(view.filters, date_from=bounds(prev_end - timedelta(days=view.days - 1), prev_end)[0],
                        date_to=bounds(prev_end, prev_end)[1]), view.start, view.end, view.href)  # fmt: skip

    def figures(v: View) -> dict[str, Any]:
        stmt = select(Feedback.sentiment, Feedback.status, func.count()).where(*v.conditions())
        agg = _agg(session, v)
        total = analysed = negative = open_ = 0
        found: list[Any] = agg.rows(session, "ss", DailyCounts.key1, DailyCounts.key2) if agg else \
            list(session.execute(stmt.group_by(Feedback.sentiment, Feedback.status)))  # fmt: skip
        for sentiment, status, n in found:
            total += n
            analysed += n if sentiment else 0
            negative += n if sentiment == "negative" else 0
            open_ += n if status not in HANDLED else 0
        # The share is of the analysed items: an item still waiting for its analysis is neither.
        return {"total": total, "analysed": analysed, "negative": negative, "negative_share": _pct(negative, analysed),
                "open": open_}  # fmt: skip

    now, before = figures(view), figures(prev)
    return {**now, "sla_compliance": sla(session, view)["compliance"], "previous": before,
            "tiles": [{"key": "total", "count": now["total"], "href": view.href()},
                      {"key": "negative", "count": now["negative"], "href": view.href(sentiment="negative")}]}  # fmt: skip


def theme_counts(session: Session, view: View) -> tuple[int, dict[str, int]]:
    """(items in the range, items per negative theme key) — the keys find_themes uses."""
    agg = _agg(session, view)
    if agg:
        total = sum(n for (n,) in agg.rows(session, "ss"))
        counts: dict[str, int] = {f"risk:{value}": n for value, n in agg.rows(session, "risk", DailyCounts.key1)}
        counts.update({f"aspect:{value}:negative": n for value, n in
                       agg.rows(session, "aspect", DailyCounts.key1, where=[DailyCounts.key2 == "negative"])})  # fmt: skip
        for ptype_value, n in agg.rows(session, "pt", DailyCounts.key1, where=[DailyCounts.key2 == "negative"]):
            key = f"problem_type:{ptype_value or '其他'}"
            counts[key] = counts.get(key, 0) + n
        return total, counts
    total = session.scalar(select(func.count()).select_from(Feedback).where(*view.conditions())) or 0
    counts = {}
    stmt = _facet_stmt(view, ["aspect", "risk"], FeedbackFacet.kind, FeedbackFacet.value, FeedbackFacet.polarity,
                       func.count())  # fmt: skip
    for kind, value, polarity, n in session.execute(
        stmt.group_by(FeedbackFacet.kind, FeedbackFacet.value, FeedbackFacet.polarity)
    ):
        if kind == "risk":
            counts[f"risk:{value}"] = n
        elif polarity == "negative":
            counts[f"aspect:{value}:negative"] = n
    ptype = func.coalesce(Feedback.problem_type, "其他")
    stmt = select(ptype, func.count()).where(*view.conditions(), Feedback.sentiment == "negative").group_by(ptype)
    counts.update({f"problem_type:{p}": n for p, n in session.execute(stmt)})
    return total, counts


def theme_href(view: View, key: str, **extra: Any) -> str | None:
    """The inbox URL of the items behind a theme key."""
    kind, _, rest = key.partition(":")
    if kind == "aspect":
        name, _, polarity = rest.rpartition(":")
        return view.href(aspect=name, aspect_sentiment=polarity, **extra)
    if kind == "risk":
        return view.href(risk=rest, **extra)
    if kind == "problem_type" and rest != "其他":
        return view.href(problem_type=rest, sentiment="negative", **extra)
    return None


def _shifted(view: View, back: int, days: int) -> View:
    """The `days`-day range ending `back` ranges of that length before the view's last day."""
    end = view.end - timedelta(days=days * back)
    start = end - timedelta(days=days - 1)
    lo, hi = bounds(start, end)
    return View(replace(view.filters, date_from=lo, date_to=hi), start, end, view.href)


def themes(session: Session, view: View, top: int = 8, history: int = 4, week: int = 7) -> dict[str, Any]:
    """The biggest negative themes of the range (with the range before it and fitting quotes), and the emerging
    ones: themes whose share of the range's last 7 days jumps against their share in the `history` weeks
    before (the rule of analysis.themes, as `recent_themes` applies it)."""
    from feedbackloop.analysis.themes import _is_emerging, theme_label  # the same rule as find_themes

    (total, current), (_, previous) = (theme_counts(session, _shifted(view, k, view.days)) for k in (0, 1))
    items: list[dict[str, Any]] = [
        {"key": key, "label": theme_label(key), "count": n, "share": _pct(n, total), "previous": previous.get(key, 0),
         "href": theme_href(view, key)}
        for key, n in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2
    ][:top]  # fmt: skip
    for item in items[:5]:
        item["quotes"] = quotes.pick(item["key"], theme_candidates(session, view, item["key"]))
    weeks = [_shifted(view, k, week) for k in range(history + 1)]
    counts = [theme_counts(session, w) for w in weeks]
    last_total, last = counts[0]
    emerging = []
    for key, n in sorted(last.items(), key=lambda kv: (-kv[1], kv[0])):
        shares = [c.get(key, 0) / t if t else 0.0 for t, c in counts]
        if n >= 2 and _is_emerging(shares[0], shares[1:], 2.0, 0.05):
            span = {"from": weeks[0].start.isoformat(), "to": weeks[0].end.isoformat()}
            emerging.append({"key": key, "label": theme_label(key), "count": n, "share": _pct(n, last_total),
                             "previous": counts[1][1].get(key, 0), "href": theme_href(view, key, **span)})  # fmt: skip
    emerging_keys = {e["key"] for e in emerging}
    for item in items:
        item["emerging"] = item["key"] in emerging_keys
    return {"total": total, "top": items, "emerging": emerging}


def theme_candidates(session: Session, view: View, key: str, limit: int = 60) -> list[tuple[str, Any]]:
    kind, _, rest = key.partition(":")
    extra: dict[str, Any] = {"sentiment": "negative"}
    if kind == "aspect":
        name, _, polarity = rest.rpartition(":")
        extra.update(aspect=name, aspect_sentiment=polarity)
    elif kind == "risk":
        extra.update(risk=rest)
    elif rest != "其他":
        extra.update(problem_type=rest)
    stmt = (
        select(Feedback.content, Feedback.analysis)
        .where(*view.conditions(**extra), Feedback.analysis.is_not(None))
        .order_by(Feedback.received_at.desc())
        .limit(limit)
    )
    return [(text, analysis) for text, analysis in session.execute(stmt)]


def alerts(session: Session, view: View, now: datetime, days: int = 7) -> dict[str, Any]:
    """Threshold alerts fired in the last `days` days, newest first, each with a link to its items."""
    from feedbackloop.workflow.models import AlertEvent, AlertRule

    stmt = (
        select(AlertEvent, AlertRule.name)
        .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
        .where(AlertEvent.created_at >= now - timedelta(days=days))
        .order_by(AlertEvent.id.desc())
        .limit(20)
    )
    events = [
        {"id": e.id, "rule": name, "fired_at": e.created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
         "matched": e.matched, "total": e.total, "share_pct": e.share_pct,
         "href": f"/inbox?ids={','.join(e.feedback_ids[:200])}" if e.feedback_ids else None}
        for e, name in session.execute(stmt)
    ]  # fmt: skip
    return {"events": events}


# --- KPIs against target and survey scores (insight.kpis, issue 12) ---------------------------------------------

EXEC_KPIS = ["csat", "nps", "ces", "sla_compliance", "first_response_minutes_median", "resolution_minutes_median",
             "handling_rate", "repeat_rate"]  # fmt: skip
SURVEY_KPIS = ["csat", "nps", "ces"]


def _kpi_filters(view: View) -> Any:
    from feedbackloop.insight.kpis import Filters

    f = view.filters
    return Filters(channel=f.channel, team_id=f.team_id, problem_type=f.problem_type, product=f.product,
                   customer_type=f.customer_type)  # fmt: skip


def kpi_tiles(session: Session, view: View, lang: str = "zh-CN") -> dict[str, Any]:
    """The executives' KPI tiles: value, target, met or not, change against the previous range (insight.kpis)."""
    from feedbackloop.insight import kpis

    lo, hi = kpis.bounds(view.start, view.end)
    data = kpis.overview_range(session, lo, hi, _kpi_filters(view), EXEC_KPIS)
    tiles = []
    for key in EXEC_KPIS:
        k = data[key]
        tiles.append({"key": key, "name": k["name_en"] if lang == "en" else k["name"], "value": k["value"],
                      "shown": kpis.human(k["value"], k["unit"], lang), "n": k["n"], "low_n": k["low_n"],
                      "target": k["target"], "target_shown": kpis.human(k["target"], k["unit"], lang),
                      "met": k["met"], "previous": k["previous"], "better": k["better"],
                      "href": f"/kpis?from={view.start.isoformat()}&to={view.end.isoformat()}"})  # fmt: skip
    return {"tiles": tiles}


def survey_trend(session: Session, view: View) -> dict[str, Any]:
    """CSAT, NPS and CES per week of the range (answers given that week), with how many answers each."""
    from feedbackloop.insight import kpis

    weeks = []
    for lo_day, hi_day in _buckets(view, "week"):
        lo, hi = kpis.bounds(lo_day, hi_day)
        values = kpis.compute_range(session, lo, hi, _kpi_filters(view), SURVEY_KPIS)
        weeks.append({"label": lo_day.strftime("%m-%d"), "from": lo_day.isoformat(), "to": hi_day.isoformat(),
                      **{k: {"value": values[k].value, "n": values[k].n} for k in SURVEY_KPIS}})  # fmt: skip
    return {"weeks": weeks}
