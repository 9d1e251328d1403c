"""The feedback list's URL filters, parsed once for the inbox, its exports and the dashboard (issue 13).

The same query string means the same rows everywhere: a dashboard chart element links to the inbox with its
filters plus the element's own, and an export of an inbox view exports exactly the rows it lists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from feedbackloop.errors import ValidationFailed, unknown_values
from feedbackloop.feedback import services
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES, SENTIMENTS, URGENCIES
from feedbackloop.lib.clock import CHINA
from feedbackloop.workflow.states import STATUSES

PER_PAGE_CHOICES = (20, 50, 100)
CHOICES: dict[str, Collection[str]] = {
    "channel": CHANNELS,
    "problem_type": PROBLEM_TYPES,
    "status": STATUSES,
    "customer_type": CUSTOMER_TYPES,
    "sentiment": SENTIMENTS,
    "urgency": URGENCIES,
    "aspect_sentiment": SENTIMENTS,
    "sla": ("met", "breached"),
}
# Free-text filters and their longest accepted value.
TEXTS = {"q": 200, "touchpoint": 100, "product": 200, "product_version": 50, "aspect": 40, "keyword": 60,
         "mention": 60, "risk": 40}  # fmt: skip
MAX_IDS = 200
# Every parameter the list understands (the filters, paging, the queue's view and sort).
KNOWN = (*CHOICES, *TEXTS, "team", "ids", "from", "to", "page", "per_page", "view", "sort")
MIN_YEAR, MAX_YEAR = 1970, 2099  # as received_at (trust/test_boundary_input)


@dataclass
class InboxQuery:
    """The list's GET parameters, parsed leniently: unknown values are dropped (and named in `invalid`), bad
    dates reported in `errors`."""

    values: dict[str, str] = field(default_factory=dict)
    filters: services.FeedbackFilter = field(default_factory=services.FeedbackFilter)
    page: int = 1
    per_page: int = 50
    errors: list[str] = field(default_factory=list)
    errors_en: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    names: tuple[str, ...] = ()  # every parameter name the query string held

    @classmethod
    def parse(cls, params: QueryParams) -> InboxQuery:
        query = cls(names=tuple(params.keys()))
        kwargs: dict[str, Any] = {}
        for name, allowed in CHOICES.items():
            value = params.get(name, "").strip()
            if value and value in allowed:
                kwargs[name] = query.values[name] = value
            elif value:
                query.invalid.append(name)
        for name, limit in TEXTS.items():
            text = params.get(name, "").strip()[:limit]
            if text:
                kwargs[name] = query.values[name] = text
        query._team(params, kwargs)
        query._ids(params, kwargs)
        kwargs["date_from"] = query._date(params, "from", end=False)
        kwargs["date_to"] = query._date(params, "to", end=True)
        query.filters = services.FeedbackFilter(**kwargs)
        query.page = _int(params.get("page"), 1, 1, 100_000)
        per_page = _int(params.get("per_page"), 50, 1, 100)
        query.per_page = per_page if per_page in PER_PAGE_CHOICES else 50
        if query.per_page != 50:
            query.values["per_page"] = str(query.per_page)
        return query

    def _team(self, params: QueryParams, kwargs: dict[str, Any]) -> None:
        raw = params.get("team", "").strip()
        if raw.isdigit() and 0 < int(raw) < 2**31:
            kwargs["team_id"] = int(raw)
            self.values["team"] = raw
        elif raw:
            self.invalid.append("team")

    def _ids(self, params: QueryParams, kwargs: dict[str, Any]) -> None:
        raw = params.get("ids", "").strip()
        if not raw:
            return
        ids = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))[:MAX_IDS]
        kwargs["ids"] = ids
        self.values["ids"] = ",".join(ids)

    def _date(self, params: QueryParams, name: str, *, end: bool) -> datetime | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            self.errors.append("日期格式应为 YYYY-MM-DD")
            self.errors_en.append("Dates must be YYYY-MM-DD")
            return None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            self.errors.append(f"日期须在 {MIN_YEAR}–{MAX_YEAR} 年之间")
            self.errors_en.append(f"Dates must lie within {MIN_YEAR}–{MAX_YEAR}")
            return None
        self.values[name] = raw
        # Dates are picked in China time; "to" includes the whole day.
        start = datetime.combine(day, time.min, tzinfo=CHINA)
        return start + timedelta(days=1, microseconds=-1) if end else start

    def strict(self, also: Collection[str] | None = None) -> InboxQuery:
        """Raise a 422 naming what to fix when any filter was not understood (exports, the dashboard's API): a
        bad date, a 'to' before 'from', a value outside its choices, and (given `also`, the caller's own
        parameters) a parameter name that is neither a filter nor one of those: a typo such as chanel=email
        must not export every channel."""
        if self.errors:
            raise ValidationFailed(f"{self.errors[0]}（from、to）。 / {self.errors_en[0]} (from, to).")
        f = self.filters
        if f.date_from and f.date_to and f.date_to < f.date_from:
            raise ValidationFailed(f"结束日期 {self.values['to']} 早于开始日期 {self.values['from']}。 / "
                                   f"'to' ({self.values['to']}) is before 'from' ({self.values['from']}).")  # fmt: skip
        if self.invalid == ["team"]:
            raise ValidationFailed("team 须为团队编号（正整数）。 / team must be a team id (a positive whole number).",
                                   details={"fields": ["team"]})  # fmt: skip
        if self.invalid:
            raise unknown_values({name: CHOICES.get(name, ()) for name in self.invalid})
        if also is not None:
            unknown = [n for n in dict.fromkeys(self.names) if n not in KNOWN and n not in also]
            if unknown:
                known = "、".join([*KNOWN, *also])
                raise ValidationFailed(f"无法识别的参数：{'、'.join(unknown)}。可用的参数：{known}。 / Unknown "
                                       f"parameter: {', '.join(unknown)}; the parameters are {', '.join([*KNOWN, *also])}.",
                                       details={"fields": unknown})  # fmt: skip
        return self

    def url(self, path: str = "/inbox", **changes: object) -> str:
        """The list URL with these filters, some changed (None removes one)."""
        params: dict[str, object] = {**self.values, **changes}
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return path + (f"?{urlencode(clean)}" if clean else "")


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(raw or default), low), high)
    except ValueError:
        return default
