"""The KPI page (/kpis): tiles with value, target and the change against the previous period; targets."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.errors import ValidationFailed
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES
from feedbackloop.insight import daily, kpi_facts, kpis
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import (
    NAV,
    ManagerPage,
    NavItem,
    PageForm,
    PageRoute,
    StaffPage,
    render,
    verify_csrf,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/kpis", "指标 KPI", "inbox"))
# The tiles shown first; the calendar-minute and hand-off variants follow.
MAIN = ["csat", "nps", "ces", "ces_share", "response_rate", "first_response_minutes_median", "first_response_minutes_p90",
        "resolution_minutes_median", "resolution_minutes_p90", "handling_rate", "sla_compliance", "fcr", "repeat_rate",
        "complaint_rate", "positive_rate", "retention"]  # fmt: skip


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD") from exc


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and int(text) < 2**31 else None


@router.get("/kpis")
def kpi_page(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """KPI tiles for a range and filters; red/green against the target, the change against the previous period."""
    q = request.query_params
    lo, hi = kpis.default_range(_day(q.get("from")), _day(q.get("to")))
    filters = kpis.Filters(q.get("channel") or None, _int(q.get("team_id")), _int(q.get("agent_id")),
                           q.get("problem_type") or None, q.get("product") or None, q.get("customer_type") or None)  # fmt: skip
    kpi_facts.refresh(session)
    daily.pin_fresh(session)
    data = kpis.overview(session, lo, hi, filters)
    lang = resolve_lang(request)
    order = MAIN + [k for k in data["kpis"] if k not in MAIN]
    tiles = [{"key": k, **data["kpis"][k], "shown": kpis.human(data["kpis"][k]["value"], data["kpis"][k]["unit"], lang),
              "target_shown": kpis.human(data["kpis"][k]["target"], data["kpis"][k]["unit"], lang),
              "change_shown": kpis.human_change(data["kpis"][k]["change"], data["kpis"][k]["unit"], lang)}
             for k in order]  # fmt: skip
    context: dict[str, Any] = {"data": data, "tiles": tiles, "main": set(MAIN), "channels": CHANNELS,
                               "problem_types": PROBLEM_TYPES, "customer_types": CUSTOMER_TYPES, "q": q,
                               "saved": q.get("saved"), "error": ""}  # fmt: skip
    return render(request, "kpis/page.html", context, user=user)


@router.post("/kpis/targets", dependencies=[Depends(verify_csrf)])
def save_target(request: Request, session: SessionDep, user: ManagerPage, form: PageForm) -> Response:
    """A supervisor sets one KPI's target (empty clears it)."""
    key = str(form.get("key") or "")
    raw = str(form.get("target") or "").strip()
    try:
        target = float(raw) if raw else None
    except ValueError:
        target = None
        raw = "bad"
    direction = str(form.get("direction") or "") or None
    try:
        if raw == "bad":
            raise ValidationFailed("目标必须是数字 / the target must be a number")
        kpis.set_target(session, key, target, direction, user)
    except ValidationFailed as exc:
        message = localize_message(exc.message, resolve_lang(request))
        return render(request, "error.html", {"title": "目标无效", "message": message, "status": 422}, user=user, status=422)
    back = str(form.get("back") or "")
    return RedirectResponse((back if back.startswith("/kpis") else "/kpis") + ("&" if "?" in back else "?") + "saved=1", status_code=303)
