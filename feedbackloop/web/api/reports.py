"""The periodic report over HTTP (issue 13): `GET /api/v1/reports/period` as JSON, HTML, PDF or XLSX, and the
scheduled-report subscriptions (`/api/v1/report-subscriptions`, supervisors and admins)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from feedbackloop.accounts.models import User
from feedbackloop.insight import build_report, period_bounds, schedule
from feedbackloop.insight.render import as_html, as_json
from feedbackloop.insight.report_files import FORMATS, as_pdf, as_xlsx
from feedbackloop.web.crud import Entity, add_crud_routes
from feedbackloop.web.deps import SessionDep, StaffUser, require_role
from feedbackloop.web.i18n import translator

router = APIRouter(prefix="/api/v1", tags=["reports"])
ManagerUser = Annotated[User, Depends(require_role("supervisor", "admin"))]
RENDER = {"json": as_json, "html": as_html}


def report_file(session: SessionDep, period: str, start: date | None, end: date | None, fmt: str,
                lang: str = "zh-CN") -> Response:  # fmt: skip
    """The report of the period as a download (HTML is also what the reports page shows)."""
    lo, hi = period_bounds(period, start, end)
    report = build_report(session, lo, hi)
    if fmt == "html":
        body: bytes = as_html(report, translator(lang), lang).encode("utf-8")
    elif fmt in RENDER:
        body = RENDER[fmt](report).encode("utf-8")
    else:
        body = as_pdf(report) if fmt == "pdf" else as_xlsx(report)
    first, last, _previous_first, _previous_last = report.days()
    name = f"feedback-report-{first.replace('-', '')}-{last.replace('-', '')}.{fmt}"
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


@router.get("/reports/period", response_class=Response)
def period_report(
    session: SessionDep,
    user: StaffUser,
    period: Literal["week", "month"] = "week",
    start: Annotated[date | None, Query(alias="from", description="自定义区间开始（含） / range start")] = None,
    end: Annotated[date | None, Query(alias="to", description="自定义区间结束（含） / range end, inclusive")] = None,
    format: Literal["json", "html", "pdf", "xlsx"] = "json",
) -> Response:
    """周期报告: the last 7 or 30 days, or whole days from `from` through `to`, against the period before."""
    return report_file(session, period, start, end, format)


class SubscriptionIn(BaseModel):
    period: Literal["week", "month"]
    recipients: list[Annotated[str, Field(max_length=200)]] | Annotated[str, Field(max_length=10_000)]
    enabled: bool = True


class SubscriptionOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    period: str
    period_label: str
    recipients: list[str]
    enabled: bool
    last_period_end: datetime | None
    last_sent_at: datetime | None
    last_error: str | None


add_crud_routes(router, Entity(
    "/report-subscriptions", "subscription", "subscriptions", SubscriptionIn, SubscriptionOut, schedule.save,
    ManagerUser, ManagerUser, list_all=schedule.list_all, get_one=schedule.get, delete=schedule.delete,
))  # fmt: skip
