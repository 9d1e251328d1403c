"""The 报告 page (issue 13): pick a week, a month or a range, read the periodic report, download it as HTML,
PDF or XLSX; supervisors subscribe addresses to the weekly or monthly mail."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import MANAGERS
from feedbackloop.errors import Conflict, ValidationFailed
from feedbackloop.insight import period_bounds, schedule
from feedbackloop.insight.report_models import SUBSCRIPTION_PERIODS
from feedbackloop.web.api.reports import report_file
from feedbackloop.web.deps import DbId, SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import (
    NAV,
    ManagerPage,
    NavItem,
    PageForm,
    PageRoute,
    StaffPage,
    render,
    secure_headers,
    verify_csrf,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.insert(1, NavItem("/reports", "报告", "report"))
PERIODS = {"week": "最近 7 天", "month": "最近 30 天", "range": "自定义区间"}


def _choice(request: Request) -> tuple[str, date | None, date | None, str | None]:
    """(period, from, to, error) from the page's query string."""
    params = request.query_params
    period = str(params.get("period")) if params.get("period") in PERIODS else "week"
    if period != "range":
        return period, None, None, None
    try:
        start, end = date.fromisoformat(params.get("from", "")), date.fromisoformat(params.get("to", ""))
        period_bounds("week", start, end)
    except ValueError:
        return "range", None, None, "请选择开始和结束日期（YYYY-MM-DD） / pick both dates"
    except ValidationFailed as exc:
        return "range", None, None, exc.message
    return period, start, end, None


def _page(request: Request, session: Session, user: User, **extra: Any) -> Response:
    period, start, end, error = _choice(request)
    query = {"period": "week" if period == "range" else period}
    if start and end:
        query.update({"from": start.isoformat(), "to": end.isoformat()})
    view = {"period": period, **({"from": start.isoformat(), "to": end.isoformat()} if start and end else {})}
    lang = resolve_lang(request)
    for key in ("form_error",):
        if extra.get(key):
            extra[key] = localize_message(extra[key], lang)
    context = {
        "periods": PERIODS, "period": period, "start": start, "end": end,
        "error": localize_message(error, lang) if error else None,
        "query": urlencode(query), "view_query": urlencode(view), "show": error is None and not (period == "range" and not start),
        "can_subscribe": user.role in MANAGERS, "subscription_periods": SUBSCRIPTION_PERIODS,
        "subscriptions": schedule.list_all(session) if user.role in MANAGERS else [], **extra,
    }  # fmt: skip
    return render(request, "reports.html", context, user=user)


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The report of the chosen period, its downloads and (for supervisors) the subscriptions."""
    return _page(request, session, user)


@router.get("/reports/view")
def report_view(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The report as its own HTML page (shown in the reports page's frame)."""
    period, start, end, error = _choice(request)
    if error:
        raise ValidationFailed(error)
    response = report_file(session, "week" if period == "range" else period, start, end, "html",
                           resolve_lang(request))  # fmt: skip
    secure_headers(response)
    return response


@router.post("/reports/subscriptions", dependencies=[Depends(verify_csrf)])
def subscribe(request: Request, session: SessionDep, user: ManagerPage, form: PageForm) -> Response:
    """Subscribe addresses to the weekly or monthly report mail."""
    try:
        schedule.save(session, {"period": form.get("period"), "recipients": form.get("recipients")}, actor=user)
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        return _page(request, session, user, form_error=exc.message, form_values=dict(form))
    return RedirectResponse("/reports?saved=1#subscriptions", status_code=303)


@router.post("/reports/subscriptions/{subscription_id}/delete", dependencies=[Depends(verify_csrf)])
def unsubscribe(subscription_id: DbId, session: SessionDep, user: ManagerPage) -> Response:
    """Remove a subscription."""
    schedule.delete(session, subscription_id, actor=user)
    return RedirectResponse("/reports#subscriptions", status_code=303)
