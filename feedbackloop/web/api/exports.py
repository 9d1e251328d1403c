"""Exports of the filtered feedback list (SPEC §11): `GET /api/v1/feedback/export?format=csv|xlsx` with the
inbox's filters. Registered before the feedback router, whose `/feedback/{feedback_id}` would take "export"."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from feedbackloop.db import get_read_sessionmaker
from feedbackloop.errors import ValidationFailed, unknown_values
from feedbackloop.insight import exports
from feedbackloop.lib.clock import clock
from feedbackloop.web.deps import SessionDep, StaffUser, credential, sees_contacts
from feedbackloop.web.filters import InboxQuery
from feedbackloop.workflow.queue import SORTS, VIEWS, view_filters

router = APIRouter(prefix="/api/v1", tags=["feedback"])


@router.get("/feedback/export", response_class=StreamingResponse)
def export_feedback(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv (UTF-8 with BOM) or xlsx")] = "csv",
) -> StreamingResponse:
    """The inbox's rows for the same query string (channel, problem_type, status, customer_type, sentiment,
    urgency, q, from, to, team, product, aspect, keyword, …) as a streamed file; contacts masked unless the
    role may see them (admin, csm) and, for an API token, the token reaches the privacy area (`admin`, or a
    login token): a feedback:read token gets them masked; audited."""
    query = InboxQuery.parse(request.query_params).strict(also=("format",))
    # The queue's view and sort, as the inbox applies them: the 导出 button of 我的 exports my items, in order.
    picked = {name: request.query_params.get(name, "").strip() for name in ("view", "sort")}
    bad = {name: allowed for name, allowed in (("view", VIEWS), ("sort", SORTS)) if picked[name] not in ("", *allowed)}
    if bad:
        raise unknown_values(bad)
    for key, value in view_filters(picked["view"] or None, user).items():
        setattr(query.filters, key, value)
    sort = picked["sort"] or ("sla" if picked["view"] else "newest")
    filters = {k: v for k, v in query.values.items() if k != "per_page"} | {k: v for k, v in picked.items() if v}
    rows = exports.count(session, query.filters)
    if format == "xlsx" and rows > exports.XLSX_MAX_ROWS:
        raise ValidationFailed(f"筛选结果有 {rows:,} 条，超过 Excel 单表上限 {exports.XLSX_MAX_ROWS:,} 行。请缩小筛选范围，"
                               f"或改用 CSV 导出。 / {rows:,} rows exceed the {exports.XLSX_MAX_ROWS:,} rows an Excel sheet "
                               "holds: narrow the filters or export CSV.")  # fmt: skip
    exports.record_export(session, user, format, filters, rows, credential(request))
    body = exports.stream(get_read_sessionmaker()(), format, query.filters, sees_contacts(request, user), sort)
    name = f"feedback-{clock.now().strftime('%Y%m%d-%H%M')}.{format}"
    return StreamingResponse(
        body, media_type=exports.FORMATS[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
