"""The dashboard's data (issue 13): one JSON endpoint per chart, all taking the inbox's filters (from, to,
channel, team, product, customer_type, …; the last 30 days by default). Every chart element carries `href`,
the inbox URL of exactly the items behind it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import QueryParams

from feedbackloop.accounts.models import User
from feedbackloop.errors import ValidationFailed
from feedbackloop.insight import churn, daily, dashboard
from feedbackloop.insight.dashboard import CHINA, View
from feedbackloop.lib.clock import clock
from feedbackloop.web.deps import SessionDep, StaffUser, require_role, sees_contacts
from feedbackloop.web.filters import InboxQuery

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
DEFAULT_DAYS = 30
MAX_DAYS = 731


def today() -> date:
    return clock.now().astimezone(CHINA).date()


def view_of(params: QueryParams) -> View:
    """The dashboard's filters from a query string; a missing range is the last 30 days."""
    values = {k: params[k] for k in params}
    values.setdefault("to", today().isoformat())
    values.setdefault("from", (date.fromisoformat(values["to"]) - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
                      if _is_date(values["to"]) else "")  # fmt: skip
    query = InboxQuery.parse(QueryParams(values)).strict()
    start, end = date.fromisoformat(query.values["from"]), date.fromisoformat(query.values["to"])
    if end < start:
        raise ValidationFailed(f"结束日期 {end} 早于开始日期 {start} / 'to' is before 'from'")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(f"日期范围最多 {MAX_DAYS} 天 / the range may span at most {MAX_DAYS} days")
    return View(query.filters, start, end, lambda **changes: query.url("/inbox", page=None, **changes))


def _is_date(raw: str) -> bool:
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


def _view(request: Request, session: SessionDep) -> View:
    daily.sync_and_pin(session)  # count the items changed since the last request, then decide once whether
    # the daily rows may answer all of the request's figures
    return view_of(request.query_params)


ViewDep = Annotated[View, Depends(_view)]


def _out(view: View, data: dict[str, Any]) -> dict[str, Any]:
    return {"from": view.start.isoformat(), "to": view.end.isoformat(), **data}


@router.get("/summary")
def summary(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Headline figures against the previous range of the same length."""
    return _out(view, dashboard.summary(session, view))


@router.get("/volume")
def volume(
    session: SessionDep, user: StaffUser, view: ViewDep, granularity: Literal["day", "week"] = "day"
) -> dict[str, Any]:
    """Items per day or week, by sentiment."""
    return _out(view, dashboard.volume(session, view, granularity))


@router.get("/channels")
def channels(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Channel share."""
    return _out(view, dashboard.channels(session, view))


@router.get("/problem-types")
def problem_types(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Problem-type share."""
    return _out(view, dashboard.problem_types(session, view))


@router.get("/aspects")
def aspects(
    session: SessionDep, user: StaffUser, view: ViewDep, top: Annotated[int, Query(ge=1, le=50)] = 15
) -> dict[str, Any]:
    """Aspect × sentiment heat map."""
    return _out(view, dashboard.aspects(session, view, top))


@router.get("/keywords")
def keywords(
    session: SessionDep, user: StaffUser, view: ViewDep, top: Annotated[int, Query(ge=1, le=200)] = 40
) -> dict[str, Any]:
    """The most frequent keywords."""
    return _out(view, dashboard.keywords(session, view, top))


@router.get("/mentions")
def mentions(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Product and module mentions, with their negative share."""
    return _out(view, dashboard.mentions(session, view))


@router.get("/versions")
def versions(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Items per product version."""
    return _out(view, dashboard.versions(session, view))


@router.get("/sla")
def sla(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """SLA compliance per day."""
    return _out(view, dashboard.sla(session, view))


@router.get("/backlog")
def backlog(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Open items by status and age."""
    return _out(view, dashboard.backlog(session, view, today()))


@router.get("/themes")
def themes(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """TOP negative themes with fitting quotes, and emerging themes."""
    return _out(view, dashboard.themes(session, view))


@router.get("/alerts")
def alerts(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """Threshold alerts of the last seven days."""
    return _out(view, dashboard.alerts(session, view, clock.now()))


ChurnOwner = Annotated[User, Depends(require_role("csm", "supervisor", "admin"))]


@router.get("/churn")
def churn_list(request: Request, session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """流失预警: customers at risk over the 90 days up to `to`, highest score first, with reasons and items."""
    rows = churn.ranking(session, view, sees_contacts(request, user))
    customers = [{**r.__dict__, "href": f"/inbox?ids={','.join(r.ids)}" if r.ids else None} for r in rows]
    return _out(view, {"customers": customers, "lookback_days": churn.LOOKBACK_DAYS})


@router.post("/churn/{customer_key}/take", status_code=201)
def churn_take(
    customer_key: Annotated[str, Path(pattern="^[0-9a-f]{24}$")], session: SessionDep, user: ChurnOwner, view: ViewDep
) -> dict[str, Any]:
    """Take an at-risk customer on as one's follow-up task (409 if someone else has)."""
    task = churn.take(session, view, customer_key, user)
    return {"id": task.id, "customer_key": task.customer_key, "owner": user.username, "status": task.status,
            "feedback_ids": task.feedback_ids}  # fmt: skip


@router.get("/kpis")
def kpi_tiles(
    session: SessionDep, user: StaffUser, view: ViewDep, lang: Literal["zh-CN", "en"] = "zh-CN"
) -> dict[str, Any]:
    """KPI tiles against their targets (CSAT, NPS, CES, SLA, response and resolution times, …)."""
    return _out(view, dashboard.kpi_tiles(session, view, lang))


@router.get("/surveys")
def survey_trend(session: SessionDep, user: StaffUser, view: ViewDep) -> dict[str, Any]:
    """CSAT, NPS and CES per week."""
    return _out(view, dashboard.survey_trend(session, view))
