"""KPIs (SPEC §7, §11): definitions, targets, and their values for any date range and filters, computed by
the database.

Speed (1,000,000 items): whole China-time days are answered from the daily rows of insight/daily.py (counts per
day and filter values; survey scores per day, kind and score; exact medians and p90 from per-day value
buckets plus the one bucket's values; retention from each customer's days). The raw query answers ranges
that are not whole days, the time percentiles and retention under a filter, and item counts while an item
is not yet counted (daily.fresh).

The function API other features (dashboard, report) call:

    compute(session, "nps", date(2024, 3, 1), date(2024, 3, 31), Filters(channel="tmall")) -> KpiValue
    compute_all(session, date_from, date_to, filters)                                     -> {key: KpiValue}
    overview(session, date_from, date_to, filters)   # + targets, previous period, trend, met; what the API returns
    set_target(session, key, target, direction, actor)

A KpiValue has `value` (None without data), `n` (what the figure is computed over), `low_n` (n < 30) and
`extra` (e.g. the CSAT mean and 1–5 distribution). Every figure is one SQL aggregate: survey scores over
survey_responses, times over kpi_item_times / kpi_handoffs (insight/kpi_facts.py keeps them current; call
kpi_facts.refresh first), the rest over feedback. Medians and p90 are linear-interpolated percentiles
(PostgreSQL percentile_cont; the same formula with window functions on SQLite). Dates are whole days in
China time, `date_to` inclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, or_, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.errors import NotFound, ValidationFailed, unknown_values
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES, Feedback
from feedbackloop.insight import daily
from feedbackloop.insight.daily_models import (
    ContactDays,
    DailyInvitations,
    DailyItems,
    DailyResolved,
    DailySurveys,
)
from feedbackloop.insight.kpi_models import KpiHandoff, KpiItemTimes, KpiTarget
from feedbackloop.lib.clock import CHINA
from feedbackloop.surveys.models import SurveyInvitation, SurveyResponse

__all__ = ["DEFINITIONS", "Filters", "KpiDef", "KpiValue", "compute", "compute_all", "overview", "set_target"]

LOW_N = 30
HANDLED = ("resolved", "closed", "merged", "spam")
ERASED = "[已删除]"


@dataclass(frozen=True)
class KpiDef:
    key: str
    name: str
    name_en: str
    formula: str
    formula_en: str
    source: str
    unit: str  # percent | minutes | score | nps
    direction: str = "higher"  # higher | lower is better
    default_target: float | None = None


def _d(key: str, name: str, name_en: str, formula: str, formula_en: str, source: str, unit: str,
       direction: str = "higher", target: float | None = None) -> KpiDef:  # fmt: skip
    return KpiDef(key, name, name_en, formula, formula_en, source, unit, direction, target)


_S, _T, _F = "问卷回答（survey_responses）", "每条反馈的处理时长（kpi_item_times）", "反馈记录（feedback）"
_TIMES = []
for _key, _zh, _en, _what, _what_en, _src in (
    ("first_response", "首次响应时长", "First response time", "收到反馈 → 首次答复客户（回复、向客户提问或告知已解决，与 SLA 的首次响应相同）", "received → the first answer to the customer (a reply, a question to them, or the resolution notice; as the SLA counts it)", _T),
    ("resolution", "解决时长", "Resolution time", "收到反馈 → 解决，不含等待客户的时间", "received → resolved, less time waiting on the customer", _T),
    ("handoff", "交接时长", "Hand-off time", "分配 → 新负责人的第一次操作", "assignment → the new owner's first action", "分配记录（kpi_handoffs）"),
    ("followup", "回访确认时长", "Follow-up time", "解决 → 客户确认（满意评价或问卷回答）", "resolved → the customer's confirmation", _T),
):  # fmt: skip
    for _stat, _stat_zh in (("median", "中位数"), ("p90", "P90")):
        _TIMES.append(_d(f"{_key}_minutes_{_stat}", f"{_zh}（{_stat_zh}，工作分钟）", f"{_en} ({_stat}, business minutes)",
                         f"{_what}，按营业日历（含节假日与调休）计的工作分钟的{_stat_zh}",
                         f"{_stat} of {_what_en}, in business minutes (business calendar with holidays)", _src, "minutes", "lower"))  # fmt: skip
        _TIMES.append(_d(f"{_key}_calendar_minutes_{_stat}", f"{_zh}（{_stat_zh}，自然分钟）", f"{_en} ({_stat}, calendar minutes)",
                         f"{_what}，自然分钟的{_stat_zh}", f"{_stat} of {_what_en}, in calendar minutes", _src, "minutes", "lower"))  # fmt: skip

DEFINITIONS: dict[str, KpiDef] = {d.key: d for d in [
    _d("csat", "客户满意度 CSAT", "CSAT", "CSAT 回答中 4–5 分的占比（%）；另给出均分和 1–5 分布",
       "share of CSAT answers scoring 4–5 (%); also the mean and the 1–5 distribution", _S, "percent"),
    _d("nps", "净推荐值 NPS", "NPS", "推荐者（9–10）占比 − 贬损者（0–6）占比，−100…100；中立者计入分母，未回答的邀请不计",
       "% promoters (9–10) − % detractors (0–6) of answered NPS responses; passives count, unanswered invitations do not", _S, "nps"),
    _d("ces", "客户费力度 CES", "CES", "CES 回答（1–7，越高越容易）的平均分", "mean of the 1–7 CES answers (higher = easier)", _S, "score"),
    _d("ces_share", "CES 容易占比", "CES share easy", "CES 回答中 5–7 分的占比（%）", "share of CES answers scoring 5–7 (%)", _S, "percent"),
    _d("response_rate", "问卷回复率", "Survey response rate", "区间内发出的邀请中已回答的占比（%），按类型另列",
       "answered / sent of the invitations sent in the range (%), also per survey kind", "问卷邀请（survey_invitations）", "percent"),
    *_TIMES,
    _d("handling_rate", "处理率", "Handling rate", "区间内收到的反馈（不含重复）中已处理（已解决/已关闭/已合并/垃圾）的占比（%）",
       "handled / received of the items received in the range, duplicates left out (%)", _F, "percent"),
    _d("sla_compliance", "SLA 达标率", "SLA compliance", "区间内收到且 SLA 已有结果的反馈中，首次响应和解决都未超时的占比（%）",
       "of the items received in the range whose SLA outcome is known, the share that met both targets (%)", _F, "percent"),
    _d("fcr", "一次解决率", "First-contact resolution", "区间内解决的反馈中，未重开、同一客户 7 天内没有同类新反馈、且客户没有回答「未一次解决」的占比（%）",
       "resolved items with no reopen, no new item from the same customer on the same problem type within 7 days, and no 'not solved first time' answer (%)", _T, "percent"),
    _d("repeat_rate", "重复问题率", "Repeat-issue rate", "区间内解决的反馈中，同一客户 30 天内再次反馈同类问题的占比（%）；目标 < 15%",
       "resolved items whose customer raised the same problem type again within 30 days (%); target < 15%", _T, "percent", "lower", 15.0),
    _d("complaint_rate", "投诉率", "Complaint rate", "区间内收到且已分析的反馈中负面情感的占比（%）",
       "share of negative sentiment among the analysed items received in the range (%)", _F, "percent", "lower"),
    _d("positive_rate", "好评率", "Positive rate", "区间内收到且已分析的反馈中正面情感的占比（%）",
       "share of positive sentiment among the analysed items received in the range (%)", _F, "percent"),
    _d("retention", "客户留存率", "Retention", "上一同长周期内有反馈或问卷的客户中，本区间再次出现的占比（%）；仅计有联系方式的客户",
       "of the customers (by contact) seen in the previous period of the same length, the share seen again in this range (%)", _F, "percent"),
]}  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """The feedback list's filters that apply to KPIs; None = any."""

    channel: str | None = None
    team_id: int | None = None
    agent_id: int | None = None
    problem_type: str | None = None
    product: str | None = None
    customer_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def check(self) -> Filters:
        """Raise a 422 listing the accepted values when a channel, problem type or customer type is unknown:
        a typo must not read as a quiet month of zeros."""
        choices = {"channel": CHANNELS, "problem_type": PROBLEM_TYPES, "customer_type": CUSTOMER_TYPES}
        bad = {name: list(allowed) for name, allowed in choices.items()
               if getattr(self, name) is not None and getattr(self, name) not in allowed}  # fmt: skip
        if bad:
            raise unknown_values(bad)
        return self


@dataclass
class KpiValue:
    key: str
    value: float | None
    n: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def low_n(self) -> bool:
        return self.n < LOW_N


def bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) of whole days in China time, `date_to` inclusive."""
    if date_to < date_from:
        raise ValidationFailed(f"结束日期 {date_to} 早于开始日期 {date_from} / 'to' is before 'from'")
    if (date_to - date_from).days > 3660:
        raise ValidationFailed("区间最长 10 年 / the range may span at most 10 years")
    return datetime.combine(date_from, time(), CHINA), datetime.combine(date_to + timedelta(days=1), time(), CHINA)


def _pct(part: Any, whole: Any) -> float | None:
    return round(100.0 * float(part or 0) / whole, 2) if whole else None


def _where(model: Any, f: Filters) -> list[Any]:
    """The filter conditions on a table that carries the filter columns under their KPI names."""
    names = {"agent_id": "owner_id"} if model is Feedback else {}
    out = []
    for item in fields(f):
        value = getattr(f, item.name)
        if value is not None:
            out.append(getattr(model, names.get(item.name, item.name)) == value)
    return out


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- Percentiles ------------------------------------------------------------------------------------------------


def percentiles(session: Session, column: Any, where: list[Any], ps: tuple[float, ...] = (0.5, 0.9)
                ) -> tuple[int, list[float | None]]:  # fmt: skip
    """(n, [the p-th percentiles]) of a column, linearly interpolated (percentile_cont) in the database."""
    conds = [*where, column.is_not(None)]
    if _is_pg(session):
        cols = [func.percentile_cont(p).within_group(column) for p in ps]
        row = session.execute(select(func.count(column), *cols).where(*conds)).one()
        n = int(row[0] or 0)
        return n, [round(float(v), 2) if v is not None and n else None for v in row[1:]]
    ranked = select(column.label("x"), func.row_number().over(order_by=column).label("rn"),
                    func.count().over().label("cnt")).where(*conds).subquery()  # fmt: skip
    sums = []
    for p in ps:
        pos = (ranked.c.cnt - 1) * p
        lo = cast(pos, Integer) + 1
        frac = pos - cast(pos, Integer)
        sums.append(func.sum(case((ranked.c.rn == lo, ranked.c.x * (1 - frac)),
                                  (ranked.c.rn == lo + 1, ranked.c.x * frac), else_=0.0)))  # fmt: skip
    row = session.execute(select(func.max(ranked.c.cnt), *sums)).one()
    n = int(row[0] or 0)
    return n, [round(float(v), 2) if v is not None and n else None for v in row[1:]]


# --- Survey KPIs -----------------------------------------------------------------------------------------------


def _responses(kind: str, lo: datetime, hi: datetime, f: Filters) -> list[Any]:
    return [SurveyResponse.kind == kind, SurveyResponse.answered_at >= lo, SurveyResponse.answered_at < hi,
            *_where(SurveyResponse, f)]  # fmt: skip


def _scores(session: Session, kind: str, lo: datetime, hi: datetime, f: Filters) -> dict[int, int] | None:
    """{score: answers} of one survey kind from the daily rows, or None when the range is not whole days."""
    days = daily.whole_days(lo, hi)
    if days is None:
        return None
    t = DailySurveys
    rows = session.execute(select(t.score, func.sum(t.n)).where(t.kind == kind, t.day >= days[0], t.day <= days[1],
                                                                *daily.dims_where(t, f.as_dict())).group_by(t.score))  # fmt: skip
    return {int(score): int(n) for score, n in rows if n}


def _mean(scores: dict[int, int], n: int) -> float | None:
    return round(float(sum(s * c for s, c in scores.items())) / n, 2) if n else None


def _csat(session: Session, lo: datetime, hi: datetime, f: Filters) -> KpiValue:
    scores = _scores(session, "csat", lo, hi, f)
    if scores is not None:
        n = sum(scores.values())
        extra = {"mean": _mean(scores, n), "distribution": {str(s): scores.get(s, 0) for s in range(1, 6)}}
        return KpiValue("csat", _pct(sum(c for s, c in scores.items() if s >= 4), n), n, extra)
    where = _responses("csat", lo, hi, f)
    n, good, mean = session.execute(select(func.count(), func.sum(case((SurveyResponse.score >= 4, 1), else_=0)),
                                           func.avg(SurveyResponse.score)).where(*where)).one()  # fmt: skip
    dist = {s: c for s, c in session.execute(select(SurveyResponse.score, func.count()).where(*where).group_by(SurveyResponse.score))}
    extra = {"mean": round(float(mean), 2) if n else None, "distribution": {str(s): int(dist.get(s, 0)) for s in range(1, 6)}}
    return KpiValue("csat", _pct(good, n), int(n), extra)


def _nps(session: Session, lo: datetime, hi: datetime, f: Filters) -> KpiValue:
    scores = _scores(session, "nps", lo, hi, f)
    if scores is not None:
        total = sum(scores.values())
        pro, det = sum(c for s, c in scores.items() if s >= 9), sum(c for s, c in scores.items() if s <= 6)
        if not total:
            return KpiValue("nps", None, 0, {"promoters": 0, "passives": 0, "detractors": 0})
        return KpiValue("nps", round(100.0 * (pro - det) / total, 2), total,
                        {"promoters": pro, "passives": total - pro - det, "detractors": det})  # fmt: skip
    score = SurveyResponse.score
    n, pro, det = session.execute(select(func.count(), func.sum(case((score >= 9, 1), else_=0)),
                                         func.sum(case((score <= 6, 1), else_=0))).where(*_responses("nps", lo, hi, f))).one()  # fmt: skip
    if not n:
        return KpiValue("nps", None, 0, {"promoters": 0, "passives": 0, "detractors": 0})
    value = round(100.0 * (int(pro) - int(det)) / n, 2)
    return KpiValue("nps", value, int(n), {"promoters": int(pro), "passives": int(n - pro - det), "detractors": int(det)})


def _ces(session: Session, lo: datetime, hi: datetime, f: Filters) -> list[KpiValue]:
    scores = _scores(session, "ces", lo, hi, f)
    if scores is not None:
        total = sum(scores.values())
        easy_n = sum(c for s, c in scores.items() if s >= 5)
        return [KpiValue("ces", _mean(scores, total), total), KpiValue("ces_share", _pct(easy_n, total), total)]
    n, mean, easy = session.execute(select(func.count(), func.avg(SurveyResponse.score),
                                           func.sum(case((SurveyResponse.score >= 5, 1), else_=0)))
                                    .where(*_responses("ces", lo, hi, f))).one()  # fmt: skip
    return [KpiValue("ces", round(float(mean), 2) if n else None, int(n)), KpiValue("ces_share", _pct(easy, n), int(n))]


def _response_rate(session: Session, lo: datetime, hi: datetime, f: Filters) -> KpiValue:
    inv, days = SurveyInvitation, daily.whole_days(lo, hi)
    if days is not None:
        t = DailyInvitations
        summed = session.execute(select(t.kind, func.sum(t.sent), func.sum(t.answered))
                                 .where(t.day >= days[0], t.day <= days[1], *daily.dims_where(t, f.as_dict()))
                                 .group_by(t.kind).order_by(t.kind)).all()  # fmt: skip
        rows: list[Any] = [(kind, int(sent), int(answered)) for kind, sent, answered in summed if sent]
    else:
        rows = list(session.execute(select(inv.kind, func.count(), func.count(inv.answered_at))
                                    .where(inv.sent_at >= lo, inv.sent_at < hi, *_where(inv, f)).group_by(inv.kind)))  # fmt: skip
    sent = sum(r[1] for r in rows)
    answered = sum(r[2] for r in rows)
    per_kind = {kind: {"value": _pct(a, s), "n": int(s)} for kind, s, a in rows}
    return KpiValue("response_rate", _pct(answered, sent), int(sent), {"by_kind": per_kind})


# --- Times -----------------------------------------------------------------------------------------------------

_TIME_COLUMNS = {
    "first_response": (KpiItemTimes.first_response_at, KpiItemTimes.first_response_business_minutes, KpiItemTimes.first_response_minutes),
    "resolution": (KpiItemTimes.resolved_at, KpiItemTimes.resolution_business_minutes, KpiItemTimes.resolution_minutes),
    "followup": (KpiItemTimes.confirmed_at, KpiItemTimes.followup_business_minutes, KpiItemTimes.followup_minutes),
    "handoff": (KpiHandoff.assigned_at, KpiHandoff.business_minutes, KpiHandoff.minutes),
}  # fmt: skip


def _times(session: Session, what: str, lo: datetime, hi: datetime, f: Filters,
           wanted: set[str] | None = None) -> list[KpiValue]:  # fmt: skip
    anchor, business, calendar = _TIME_COLUMNS[what]
    model = KpiHandoff if what == "handoff" else KpiItemTimes
    filters = _where(model, f) if model is KpiItemTimes else _handoff_where(f)
    where = [anchor >= lo, anchor < hi, *filters]
    days = daily.whole_days(lo, hi) if not f.as_dict() else None  # the value buckets are unfiltered
    out = []
    for column, infix in ((business, ""), (calendar, "calendar_")):
        keys = {f"{what}_{infix}minutes_median", f"{what}_{infix}minutes_p90"}
        if wanted is not None and not wanted & keys:
            continue  # one KPI asked for: one percentile query, not four
        if days is not None:
            metric = f"{what}_{'calendar' if infix else 'business'}"
            n, (median, p90) = daily.percentile_values(session, metric, days[0], days[1], (0.5, 0.9))
        else:
            n, (median, p90) = percentiles(session, column, where)
        out += [KpiValue(f"{what}_{infix}minutes_median", median, n), KpiValue(f"{what}_{infix}minutes_p90", p90, n)]
    return out


def _handoff_where(f: Filters) -> list[Any]:
    names = {"agent_id": "owner_id"}
    return [getattr(KpiHandoff, names.get(i.name, i.name)) == getattr(f, i.name)
            for i in fields(f) if getattr(f, i.name) is not None]  # fmt: skip


# --- Items -----------------------------------------------------------------------------------------------------


def _received(lo: datetime, hi: datetime, f: Filters) -> list[Any]:
    return [Feedback.received_at >= lo, Feedback.received_at < hi, Feedback.duplicate_of.is_(None), *_where(Feedback, f)]


def _item_days(session: Session, lo: datetime, hi: datetime) -> tuple[str, str] | None:
    """The whole days of [lo, hi) when the item rows may answer it (every item counted as it is now)."""
    days = daily.whole_days(lo, hi)
    return days if days is not None and daily.fresh(session) else None


def _item_sums(session: Session, days: tuple[str, str], f: Filters, *columns: Any) -> list[int]:
    t = DailyItems
    row = session.execute(select(*(func.sum(getattr(t, c)) for c in columns))
                          .where(t.day >= days[0], t.day <= days[1], *daily.dims_where(t, f.as_dict()))).one()  # fmt: skip
    return [int(v or 0) for v in row]


def _handling(session: Session, lo: datetime, hi: datetime, f: Filters) -> KpiValue:
    days = _item_days(session, lo, hi)
    if days is not None:
        total, done = _item_sums(session, days, f, "received", "handled")
        return KpiValue("handling_rate", _pct(done, total), total, {"handled": done})
    n, handled = session.execute(select(func.count(), func.sum(case((Feedback.status.in_(HANDLED), 1), else_=0)))
                                 .where(*_received(lo, hi, f))).one()  # fmt: skip
    return KpiValue("handling_rate", _pct(handled, n), int(n), {"handled": int(handled or 0)})


def _sla(session: Session, lo: datetime, hi: datetime, f: Filters) -> KpiValue:
    days = _item_days(session, lo, hi)
    if days is not None:
        total, late = _item_sums(session, days, f, "sla_n", "sla_missed")
        return KpiValue("sla_compliance", _pct(total - late, total), total, {"missed": late})
    has_sla, done, missed = daily.sla_parts()
    n, bad = session.execute(select(func.count(), func.sum(case((missed, 1), else_=0)))
                             .where(*_received(lo, hi, f), has_sla, done)).one()  # fmt: skip
    return KpiValue("sla_compliance", _pct(int(n) - int(bad or 0), n), int(n), {"missed": int(bad or 0)})


def _resolved(lo: datetime, hi: datetime, f: Filters) -> list[Any]:
    return [KpiItemTimes.resolved_at >= lo, KpiItemTimes.resolved_at < hi, *_where(KpiItemTimes, f)]


def _fcr_and_repeat(session: Session, lo: datetime, hi: datetime, f: Filters) -> list[KpiValue]:
    days = daily.whole_days(lo, hi)
    if days is not None:  # the resolved-day rows change with the per-item rows, in the same transaction
        r = DailyResolved
        total, bad, again = (int(v or 0) for v in session.execute(
            select(func.sum(r.n), func.sum(r.not_first), func.sum(r.again_30d))
            .where(r.day >= days[0], r.day <= days[1], *daily.dims_where(r, f.as_dict()))).one())  # fmt: skip
        return [KpiValue("fcr", _pct(total - bad, total), total), KpiValue("repeat_rate", _pct(again, total), total)]
    t = KpiItemTimes
    not_first = or_(t.reopened.is_(True), t.again_7d.is_(True), t.said_not_first.is_(True))
    n, fcr_bad, repeats = session.execute(
        select(func.count(), func.sum(case((not_first, 1), else_=0)), func.sum(case((t.again_30d.is_(True), 1), else_=0)))
        .where(*_resolved(lo, hi, f))
    ).one()  # fmt: skip
    n = int(n)
    return [KpiValue("fcr", _pct(n - int(fcr_bad or 0), n), n), KpiValue("repeat_rate", _pct(repeats, n), n)]


def _sentiment(session: Session, lo: datetime, hi: datetime, f: Filters) -> list[KpiValue]:
    days = _item_days(session, lo, hi)
    if days is not None:
        total, negative, positive = _item_sums(session, days, f, "analysed", "negative", "positive")
        return [KpiValue("complaint_rate", _pct(negative, total), total),
                KpiValue("positive_rate", _pct(positive, total), total)]  # fmt: skip
    n, neg, pos = session.execute(
        select(func.count(), func.sum(case((Feedback.sentiment == "negative", 1), else_=0)),
               func.sum(case((Feedback.sentiment == "positive", 1), else_=0)))
        .where(*_received(lo, hi, f), Feedback.sentiment.is_not(None))
    ).one()  # fmt: skip
    return [KpiValue("complaint_rate", _pct(neg, n), int(n)), KpiValue("positive_rate", _pct(pos, n), int(n))]


def _customers_in(lo: datetime, hi: datetime, f: Filters) -> Any:
    return select(Feedback.contact.label("c")).where(
        Feedback.received_at >= lo, Feedback.received_at < hi, Feedback.contact.is_not(None),
        Feedback.contact != ERASED, *_where(Feedback, f)).distinct().subquery()  # fmt: skip


def _retention(session: Session, lo: datetime, hi: datetime, f: Filters) -> KpiValue:
    days, prior = _item_days(session, lo, hi), daily.whole_days(lo - (hi - lo), lo)
    if days is not None and prior is not None and not f.as_dict():  # contact days are unfiltered
        c = ContactDays
        last_seen = or_(c.next_day.is_(None), c.next_day >= days[0])  # each customer's last day of the period
        n, back = session.execute(select(func.count(), func.sum(case((c.next_day <= days[1], 1), else_=0)))
                                  .where(c.day >= prior[0], c.day <= prior[1], last_seen)).one()  # fmt: skip
        return KpiValue("retention", _pct(int(back or 0), int(n)), int(n))
    before = _customers_in(lo - (hi - lo), lo, f)
    now = _customers_in(lo, hi, f)
    n = session.scalar(select(func.count()).select_from(before)) or 0
    back = session.scalar(select(func.count()).select_from(before.join(now, now.c.c == before.c.c))) or 0
    return KpiValue("retention", _pct(back, n), int(n))


# --- The API ---------------------------------------------------------------------------------------------------

# Each group computes several keys in one query.
_GROUPS: list[tuple[tuple[str, ...], Any]] = [
    (("csat",), lambda s, lo, hi, f: [_csat(s, lo, hi, f)]),
    (("nps",), lambda s, lo, hi, f: [_nps(s, lo, hi, f)]),
    (("ces", "ces_share"), _ces),
    (("response_rate",), lambda s, lo, hi, f: [_response_rate(s, lo, hi, f)]),
    *[(tuple(k for k in DEFINITIONS if k.startswith(f"{what}_")),
       lambda s, lo, hi, f, wanted=None, w=what: _times(s, w, lo, hi, f, wanted)) for what in _TIME_COLUMNS],
    (("handling_rate",), lambda s, lo, hi, f: [_handling(s, lo, hi, f)]),
    (("sla_compliance",), lambda s, lo, hi, f: [_sla(s, lo, hi, f)]),
    (("fcr", "repeat_rate"), _fcr_and_repeat),
    (("complaint_rate", "positive_rate"), _sentiment),
    (("retention",), lambda s, lo, hi, f: [_retention(s, lo, hi, f)]),
]  # fmt: skip


def _check_key(key: str) -> None:
    if key not in DEFINITIONS:
        raise NotFound(f"没有指标 '{key}' / unknown KPI '{key}'; known: {', '.join(DEFINITIONS)}")


def compute_range(session: Session, lo: datetime, hi: datetime, f: Filters | None = None,
                  keys: list[str] | None = None) -> dict[str, KpiValue]:  # fmt: skip
    """The KPIs over [lo, hi) (aware datetimes), all of them or the given keys."""
    f = f or Filters()
    wanted = set(keys or DEFINITIONS)
    out: dict[str, KpiValue] = {}
    for group_keys, fn in _GROUPS:
        if wanted & set(group_keys):
            values = fn(session, lo, hi, f, wanted) if group_keys[0].endswith(("_median", "_p90")) else fn(session, lo, hi, f)
            out.update({v.key: v for v in values if v.key in wanted})
    return {k: out[k] for k in DEFINITIONS if k in out}


def compute(session: Session, key: str, date_from: date, date_to: date, filters: Filters | None = None) -> KpiValue:
    """One KPI over whole days `date_from`..`date_to` (China time)."""
    _check_key(key)
    lo, hi = bounds(date_from, date_to)
    return compute_range(session, lo, hi, filters, [key])[key]


def compute_all(session: Session, date_from: date, date_to: date, filters: Filters | None = None) -> dict[str, KpiValue]:
    """Every KPI over whole days `date_from`..`date_to` (China time)."""
    lo, hi = bounds(date_from, date_to)
    return compute_range(session, lo, hi, filters)


def targets(session: Session) -> dict[str, tuple[float | None, str]]:
    """Each KPI's (target, direction): the supervisor's, else the default."""
    out = {k: (d.default_target, d.direction) for k, d in DEFINITIONS.items()}
    for row in session.scalars(select(KpiTarget)):
        if row.key in out:
            out[row.key] = (row.target, row.direction)
    return out


def set_target(session: Session, key: str, target: float | None, direction: str | None, actor: object = None) -> KpiTarget:
    """Set (or clear, with None) a KPI's target and its direction; audited. Commits."""
    _check_key(key)
    definition = DEFINITIONS[key]
    if direction not in (None, "higher", "lower"):
        raise ValidationFailed("方向只能是 higher（越高越好）或 lower（越低越好） / direction is higher or lower")
    if target is not None:
        lo, hi = (-100.0, 100.0) if definition.unit == "nps" else (1.0, 7.0) if definition.unit == "score" else \
            (0.0, 100.0) if definition.unit == "percent" else (0.0, 525_600.0)  # fmt: skip
        if not lo <= target <= hi:
            raise ValidationFailed(f"{definition.name} 的目标应在 {lo:g}–{hi:g} 之间 / the target must be from {lo:g} to {hi:g}")
    begin_write(session)
    row = session.get(KpiTarget, key) or KpiTarget(key=key)
    row.target = target
    row.direction = direction or row.direction or definition.direction
    row.updated_by = getattr(actor, "username", None)
    session.add(row)
    session.commit()
    return row


def _met(value: float | None, target: float | None, direction: str) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if direction == "higher" else value <= target


def overview_range(session: Session, lo: datetime, hi: datetime, filters: Filters | None = None,
                   keys: list[str] | None = None) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Each KPI over [lo, hi) with its definition, target, whether it is met, and the change against the
    period of the same length just before."""
    now = compute_range(session, lo, hi, filters, keys)
    before = compute_range(session, lo - (hi - lo), lo, filters, keys)
    goals = targets(session)
    out: dict[str, Any] = {}
    for key, v in now.items():
        d, (target, direction) = DEFINITIONS[key], goals[key]
        prev = before[key].value
        change = round(v.value - prev, 2) if v.value is not None and prev is not None else None
        better = None if not change else (change > 0) == (direction == "higher")
        out[key] = {"value": v.value, "n": v.n, "low_n": v.low_n, "target": target, "direction": direction,
                    "met": _met(v.value, target, direction), "previous": prev, "previous_n": before[key].n,
                    "change": change, "better": better, "name": d.name, "name_en": d.name_en, "unit": d.unit,
                    "formula": d.formula, "formula_en": d.formula_en, "source": d.source, **v.extra}  # fmt: skip
    return out


def overview(session: Session, date_from: date, date_to: date, filters: Filters | None = None) -> dict[str, Any]:
    """Every KPI of whole days `date_from`..`date_to` with targets and trend (what the API, the KPI page and the
    CLI show)."""
    (filters or Filters()).check()
    lo, hi = bounds(date_from, date_to)
    days = (date_to - date_from).days + 1
    return {"from": date_from.isoformat(), "to": date_to.isoformat(),
            "previous_from": (date_from - timedelta(days=days)).isoformat(),
            "previous_to": (date_from - timedelta(days=1)).isoformat(), "filters": (filters or Filters()).as_dict(),
            "kpis": overview_range(session, lo, hi, filters)}  # fmt: skip


def default_range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The given range, else the last 30 days up to today (China time)."""
    from feedbackloop.lib.clock import clock

    date_to = date_to or clock.now().astimezone(CHINA).date()
    return date_from or date_to - timedelta(days=29), date_to


# unit → (a value, a change against the last period); minutes are hours and minutes (see human).
_SHOWN = {
    "percent": ("{:.1f}%", "{:+.1f} 个百分点", "{:+.1f} pts"),
    "nps": ("{:+.1f}", "{:+.1f}", "{:+.1f}"),
    "score": ("{:.2f} / 7", "{:+.2f}", "{:+.2f}"),
}


def human(value: float | None, unit: str, lang: str = "zh-CN") -> str:
    """A KPI value for people: 85.5%, +32.0, 5.40 / 7, 34 小时 30 分."""
    if value is None:
        return "—"
    if unit in _SHOWN:
        return _SHOWN[unit][0].format(value)
    # Hours and minutes, never days: a business day is not 24 hours.
    hours, mins = divmod(round(value), 60)
    shown = [f"{n} {en if lang == 'en' else zh}" for n, zh, en in ((hours, "小时", "h"), (mins, "分", "min")) if n]
    return " ".join(shown) or ("0 min" if lang == "en" else "0 分")


def human_change(change: float | None, unit: str, lang: str = "zh-CN") -> str:
    """A change against the last period in the KPI's own unit: +3.2 个百分点, +5.0, -0.20, -1 小时 30 分."""
    if change is None:
        return ""
    if unit in _SHOWN:
        return _SHOWN[unit][2 if lang == "en" else 1].format(change)
    sign = "+" if change > 0 else "-" if change < 0 else ""
    return sign + human(abs(change), unit, lang)
