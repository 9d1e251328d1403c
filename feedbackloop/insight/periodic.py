"""The periodic report (week / month / custom range): volume and channel share, sentiment against the previous
period of the same length, the top issues with numbers and example quotes, how much was handled, improvement
suggestions for top issues no plan covers yet, and the open improvement plans."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedbackloop.errors import ValidationFailed
from feedbackloop.feedback.models import CHANNELS, Feedback
from feedbackloop.insight import daily, dashboard, improvements, kpis, quotes
from feedbackloop.lib.clock import CHINA, clock

PERIODS = {"week": 7, "month": 30}
MAX_DAYS = 731  # the longest custom range: two years
TOP_ISSUES = 5
SENTIMENTS = ("negative", "neutral", "positive")
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面"}
HANDLED = ("resolved", "closed", "merged", "spam")
REPORT_KPIS = ("handling_rate", "first_response_minutes_median", "first_response_minutes_p90", "resolution_minutes_median",
               "resolution_minutes_p90", "sla_compliance", "fcr", "repeat_rate", "csat", "nps", "ces", "response_rate",
               "complaint_rate", "positive_rate")  # fmt: skip


@dataclass
class Share:
    key: str
    label: str
    count: int
    share: float
    previous_count: int = 0
    previous_share: float = 0.0


@dataclass
class Issue:
    """A negative theme of the period: how many items, how that moved, and what customers said."""

    label: str
    count: int
    share: float
    previous_count: int
    trend: str
    emerging: bool
    examples: list[str] = field(default_factory=list)
    key: str = ""  # the theme key, as improvement plans link it


@dataclass
class PeriodReport:
    start: datetime
    end: datetime
    previous_start: datetime
    total: int
    previous_total: int
    analysed: int
    channels: list[Share]
    sentiment: list[Share]
    top_issues: list[Issue]
    handled: int
    open: int
    duplicates: int
    # SPEC §8: what to improve next (top issues no open plan covers) and the plans still open.
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    # SPEC §7: the period's KPIs (value, n, target, change against the previous period), insight/kpis.py.
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)

    def days(self) -> tuple[str, str, str, str]:
        """First and last China-time day of this period and of the previous one, the end inclusive: how every
        format (text, HTML, PDF, XLSX, the mail's subject) names the period, as the dashboard's from/to do."""
        last = timedelta(microseconds=1)
        return (self.start.astimezone(CHINA).date().isoformat(), (self.end - last).astimezone(CHINA).date().isoformat(),
                self.previous_start.astimezone(CHINA).date().isoformat(),
                (self.start - last).astimezone(CHINA).date().isoformat())  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("start", "end", "previous_start"):
            out[key] = getattr(self, key).astimezone(CHINA).isoformat()
        out["from"], out["to"], out["previous_from"], out["previous_to"] = self.days()
        return out


def period_bounds(period: str = "week", start: date | None = None, end: date | None = None) -> tuple[datetime, datetime]:
    """[start, end) in China time, always whole days: the last 7 or 30 days up to and including today (as the
    dashboard's and the KPIs' default range), or the days from `start` through `end`."""
    if start or end:
        if not (start and end):
            raise ValidationFailed("自定义区间需要同时给出开始和结束日期。 / A range needs both a start and an end date.")
        if end < start:
            raise ValidationFailed(f"结束日期 {end} 早于开始日期 {start}。 / The end date {end} is before the start {start}.")
        for day in (start, end):
            if not 1970 <= day.year <= 2099:
                raise ValidationFailed("日期须在 1970–2099 年之间。 / Dates must lie within 1970–2099.")
        if (end - start).days > MAX_DAYS:
            raise ValidationFailed(f"报告区间最多 {MAX_DAYS} 天。 / A report spans at most {MAX_DAYS} days.")
        return (datetime.combine(start, time(), CHINA), datetime.combine(end + timedelta(days=1), time(), CHINA))
    if period not in PERIODS:
        raise ValidationFailed(f"未知周期 '{period}'，可用：{', '.join(PERIODS)} / unknown period")
    tomorrow = datetime.combine(clock.now().astimezone(CHINA).date() + timedelta(days=1), time(), CHINA)
    return tomorrow - timedelta(days=PERIODS[period]), tomorrow


def _shares(current: dict[str, int], previous: dict[str, int], labels: dict[str, str], keys: Any) -> list[Share]:
    total, prev_total = sum(current.values()), sum(previous.values())
    rows = [
        Share(k, labels.get(k, k), current.get(k, 0), round(current.get(k, 0) / total, 4) if total else 0.0,
              previous.get(k, 0), round(previous.get(k, 0) / prev_total, 4) if prev_total else 0.0)
        for k in keys
    ]  # fmt: skip
    return [r for r in rows if r.count or r.previous_count]


def _original_themes(session: Session, view: dashboard.View) -> tuple[int, dict[str, int]]:
    """dashboard.theme_counts without the duplicates (the dashboard counts items as the inbox lists them; the
    report counts each complaint once, as its sentiment and status figures do). Duplicates are few: their
    counts come from the raw rows and are taken off."""
    total, counts = dashboard.theme_counts(session, view)
    dup_view = replace(view, filters=replace(view.filters, duplicates=True))
    dup_total, dups = dashboard.theme_counts(session, dup_view)
    for key, n in dups.items():
        counts[key] = counts.get(key, 0) - n
    return total - dup_total, {key: n for key, n in counts.items() if n > 0}


def _top_issues(session: Session, start: datetime, end: datetime) -> list[Issue]:
    """The period's biggest negative themes against the period before, counted as the dashboard counts them
    (the daily rows where they are current, SQL aggregates otherwise), with find_themes' trend and emerging
    rules, and quotes from items that really carry the complaint (quotes.pick)."""
    from feedbackloop.analysis.themes import _is_emerging, theme_label, trend_of

    length = end - start
    view, before = dashboard.view_between(start, end), dashboard.view_between(start - length, start)
    (total, current), (prev_total, previous) = _original_themes(session, view), _original_themes(session, before)
    issues = []
    for key, n in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < 2:
            break
        share, prev_n = n / total if total else 0.0, previous.get(key, 0)
        prev_share = prev_n / prev_total if prev_total else 0.0
        change = share - prev_share
        issues.append(Issue(theme_label(key), n, round(share, 4), prev_n, trend_of(prev_n, change),
                            _is_emerging(share, [prev_share], 2.0, 0.05), [], key))  # fmt: skip
        if len(issues) == TOP_ISSUES:
            break
    for issue in issues:
        issue.examples = quotes.pick(issue.key, dashboard.theme_candidates(session, view, issue.key))
    return issues


def build_report(session: Session, start: datetime, end: datetime) -> PeriodReport:
    """The report of [start, end), compared with the period of the same length just before it."""
    daily.sync_and_pin(session)  # as a dashboard request: count what changed, then let the daily rows answer
    length = end - start
    prev_start = start - length
    original = Feedback.duplicate_of.is_(None)

    def counts(column: Any, lo: datetime, hi: datetime, *where: Any) -> dict[str, int]:
        stmt = select(column, func.count()).where(Feedback.received_at >= lo, Feedback.received_at < hi, *where)
        return {str(k): n for k, n in session.execute(stmt.group_by(column)) if k is not None}

    channels = counts(Feedback.channel, start, end)
    prev_channels = counts(Feedback.channel, prev_start, start)
    sentiment = counts(Feedback.sentiment, start, end, original)
    prev_sentiment = counts(Feedback.sentiment, prev_start, start, original)
    statuses = counts(Feedback.status, start, end, original)
    issues = _top_issues(session, start, end)
    total = sum(channels.values())
    return PeriodReport(
        start=start,
        end=end,
        previous_start=prev_start,
        total=total,
        previous_total=sum(prev_channels.values()),
        analysed=sum(sentiment.values()),
        channels=sorted(_shares(channels, prev_channels, CHANNELS, CHANNELS), key=lambda s: -s.count),
        sentiment=_shares(sentiment, prev_sentiment, SENTIMENT_LABELS, SENTIMENTS),
        top_issues=issues,
        handled=sum(n for s, n in statuses.items() if s in HANDLED),
        open=sum(n for s, n in statuses.items() if s not in HANDLED),
        duplicates=total - sum(statuses.values()),
        suggestions=improvements.suggestions(session, issues),
        plans=improvements.open_plans(session),
        kpis=kpis.overview_range(session, start, end, keys=list(REPORT_KPIS)),
    )
