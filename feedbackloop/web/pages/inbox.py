"""The inbox (filterable list of feedback) and the feedback detail page."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.datastructures import QueryParams

from feedbackloop.accounts.models import Team, User
from feedbackloop.feedback import services
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES, SENTIMENTS, URGENCIES
from feedbackloop.lib.clock import clock
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.pages.common import (
    CHINA,
    STATUS_LABELS,
    PageForm,
    PageRoute,
    StaffPage,
    render,
    verify_csrf,
)
from feedbackloop.workflow import queue, sla
from feedbackloop.workflow.models import PRIORITY_LEVELS
from feedbackloop.workflow.queue import SORTS, VIEWS, view_filters

router = APIRouter(route_class=PageRoute)
PER_PAGE_CHOICES = (20, 50, 100)
_CHOICES: dict[str, Collection[str]] = {
    "channel": CHANNELS,
    "problem_type": PROBLEM_TYPES,
    "status": STATUS_LABELS,
    "customer_type": CUSTOMER_TYPES,
    "sentiment": SENTIMENTS,
    "urgency": URGENCIES,
}


@dataclass
class InboxQuery:
    """The inbox's GET parameters, parsed leniently: unknown values are dropped, bad dates reported."""

    values: dict[str, str] = field(default_factory=dict)
    filters: services.FeedbackFilter = field(default_factory=services.FeedbackFilter)
    page: int = 1
    per_page: int = 50
    errors: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, params: QueryParams) -> InboxQuery:
        query = cls()
        kwargs: dict[str, object] = {}
        for name, allowed in _CHOICES.items():
            value = params.get(name, "").strip()
            if value and value in allowed:
                kwargs[name] = query.values[name] = value
        for name, limit in (("q", 200), ("touchpoint", 100)):
            text = params.get(name, "").strip()[:limit]
            if text:
                kwargs[name] = query.values[name] = text
        for name, allowed in (("view", VIEWS), ("sort", SORTS)):
            value = params.get(name, "").strip()
            if value in allowed:
                query.values[name] = value
        kwargs["date_from"] = query._date(params, "from", end=False)
        kwargs["date_to"] = query._date(params, "to", end=True)
        query.filters = services.FeedbackFilter(**kwargs)  # type: ignore[arg-type]  # values checked against _CHOICES above
        query.page = _int(params.get("page"), 1, 1, 100_000)
        per_page = _int(params.get("per_page"), 50, 1, 100)
        query.per_page = per_page if per_page in PER_PAGE_CHOICES else 50
        if query.per_page != 50:
            query.values["per_page"] = str(query.per_page)
        return query

    def _date(self, params: QueryParams, name: str, *, end: bool) -> datetime | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            self.errors.append("日期格式应为 YYYY-MM-DD")
            return None
        self.values[name] = raw
        # Dates are picked in China time; "to" includes the whole day.
        start = datetime.combine(day, time.min, tzinfo=CHINA)
        return start + timedelta(days=1, microseconds=-1) if end else start

    def url(self, **changes: object) -> str:
        """The inbox URL with these filters, some changed (None removes one)."""
        params: dict[str, object] = {**self.values, **changes}
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return "/inbox" + (f"?{urlencode(clean)}" if clean else "")


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(raw or default), low), high)
    except ValueError:
        return default


@router.get("/inbox")
def inbox(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The work queue: views (我的/未分配/即将超时/已超时), filters, search, sort, bulk actions, saved views."""
    query = InboxQuery.parse(request.query_params)
    for key, value in view_filters(query.values.get("view"), user).items():
        setattr(query.filters, key, value)
    sort = query.values.get("sort") or ("sla" if query.values.get("view") else "newest")
    rows, total = services.search(session, query.filters, query.page, query.per_page, sort)
    now = clock.now()
    owners = {u.id: u for u in session.scalars(select(User).where(User.role != "customer").order_by(User.id))}
    context = {
        "views": VIEWS,
        "sorts": SORTS,
        "sort": sort,
        "now": now,
        "sla_left": lambda f: sla.view(f, now),
        "owners": owners,
        "assignable": [u for u in owners.values() if u.is_active],
        "teams": list(session.scalars(select(Team).order_by(Team.id))),
        "saved_views": queue.saved_views(session, user),
        "priorities": PRIORITY_LEVELS,
        "bulk_statuses": {k: v for k, v in STATUS_LABELS.items() if k not in ("new",)},
        "rows": rows,
        "total": total,
        "query": query,
        "pages": max(1, math.ceil(total / query.per_page)),
        "choices": _CHOICES,
        "per_page_choices": PER_PAGE_CHOICES,
        "customer_types": CUSTOMER_TYPES,
        "sentiments": SENTIMENTS,
    }
    return render(request, "inbox.html", context, user=user)


@router.post("/inbox/views", dependencies=[Depends(verify_csrf)])
def save_inbox_view(session: SessionDep, user: StaffPage, form: PageForm) -> Response:
    """Save the inbox query the user is looking at under a name (form fields `name`, `query`)."""
    view = queue.save_view(session, user, str(form.get("name") or ""), str(form.get("query") or ""))
    return RedirectResponse("/inbox" + (f"?{view.query}" if view.query else ""), status_code=303)


@router.post("/inbox/views/{view_id}/delete", dependencies=[Depends(verify_csrf)])
def delete_inbox_view(view_id: int, session: SessionDep, user: StaffPage) -> Response:
    queue.delete_view(session, user, view_id)
    return RedirectResponse("/inbox", status_code=303)


def _back_to_inbox(request: Request) -> str:
    # Return to the filtered inbox the user came from, but only if it was ours.
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.netloc == request.url.netloc and ref.path == "/inbox":
        return "/inbox" + (f"?{ref.query}" if ref.query else "")
    return "/inbox"


@router.get("/feedback/{feedback_id}")
def feedback_detail(feedback_id: str, request: Request, session: SessionDep, user: StaffPage) -> Response:
    """Every field of one record (contact masked), its duplicates and its analysis."""
    record = services.get(session, feedback_id)
    context = {
        "f": record,
        "duplicates": services.duplicates_of(session, record.id),
        "customer_types": CUSTOMER_TYPES,
        "sentiments": SENTIMENTS,
        "back": _back_to_inbox(request),
    }
    return render(request, "feedback_detail.html", context, user=user)
