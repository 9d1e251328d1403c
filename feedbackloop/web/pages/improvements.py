"""Improvement plans page (SPEC §6): the plans, one plan's effect review with a before/after chart, the forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import PLANNERS
from feedbackloop.analysis.themes import theme_label
from feedbackloop.errors import FeedbackLoopError, ValidationFailed
from feedbackloop.feedback.models import PROBLEM_TYPES
from feedbackloop.insight import improvements
from feedbackloop.insight import schemas as s
from feedbackloop.insight.models import PLAN_STATUSES
from feedbackloop.insight.themes import recent_themes
from feedbackloop.web.deps import DbId, SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import NAV, NavItem, PageRoute, StaffPage, page_user, render, verify_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/workflow/improvements", "改进计划", "chart"))
PlannerPage = Annotated[User, page_user(*PLANNERS)]
FIELD_NAMES = {"title": "标题", "problem_type": "问题类型", "team_id": "负责部门", "owner_id": "负责人",
               "due_date": "截止日期", "measures": "改进措施", "theme_keys": "关联主题", "status": "状态"}  # fmt: skip
CHART_W, CHART_H = 640, 150


def bar_chart(daily: list[dict[str, Any]]) -> dict[str, Any]:
    """Daily linked counts as SVG bars: days before shipping grey, after blue, a line where it shipped."""
    n = max(len(daily), 1)
    step = CHART_W / n
    top = max((d["count"] for d in daily), default=0) or 1
    bars = []
    for i, d in enumerate(daily):
        h = round(d["count"] / top * (CHART_H - 20), 1)
        bars.append({"x": round(i * step + step * 0.15, 1), "w": round(max(step * 0.7, 1), 1), "h": h,
                     "y": round(CHART_H - h, 1), "after": d["offset"] >= 0, "date": d["date"], "count": d["count"]})  # fmt: skip
    split = next((i for i, d in enumerate(daily) if d["offset"] >= 0), None)
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "top": top, "split": None if split is None else split * step,
            "first": daily[0]["date"] if daily else "", "last": daily[-1]["date"] if daily else ""}  # fmt: skip


def _theme_options(session: Session, linked: list[str]) -> list[dict[str, Any]]:
    """The current themes (last 30 days) by label, plus any the plan already links."""
    options = [{"key": t.key, "label": t.label, "count": t.count} for t in recent_themes(session, timedelta(days=30))]
    known = {o["key"] for o in options}
    options += [{"key": k, "label": theme_label(k), "count": None} for k in linked if k not in known]
    return options


def _page(request: Request, session: Session, user: User, *, error: str | None = None,
          form: dict[str, Any] | None = None, plan_id: int | None = None) -> Response:  # fmt: skip
    status = request.query_params.get("status") or None
    asked = request.query_params.get("sort") or "due"
    sort = asked if asked in improvements.SORTS else "due"
    plans = improvements.list_plans(session, status if status in PLAN_STATUSES else None, sort)
    teams = improvements.team_names(session)
    selected = None
    chosen = request.query_params.get("id", "")
    if plan_id is None and chosen.isdigit() and 0 < int(chosen) < 2**31:
        plan_id = int(chosen)
    if plan_id is not None:
        plan = improvements.get_plan(session, plan_id)
        selected = improvements.plan_view(session, plan, effect=True, teams=teams)
    linked = [t["key"] for t in selected["themes"]] if selected else []
    context = {
        "plans": [improvements.plan_view(session, p, teams=teams) for p in plans], "selected": selected,
        "chart": bar_chart(selected["effect"]["daily"]) if selected else None, "status_filter": status, "sort": sort,
        "statuses": PLAN_STATUSES, "problem_types": PROBLEM_TYPES, "teams": accounts.list_teams(session),
        "owners": [u for u in accounts.list_users(session) if u.role != "customer" and u.is_active],
        "themes": _theme_options(session, linked), "linked": set(linked),
        "can_edit": user.role in PLANNERS, "error": error, "form": form or {},
        "percent": improvements.percent, "points": improvements.points,
    }  # fmt: skip
    session.commit()
    return render(request, "workflow/improvements.html", context, user=user, status=422 if error else 200)


def _message(request: Request, exc: FeedbackLoopError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        text = f"请检查「{FIELD_NAMES.get(field, field)}」：{first['msg']} / check the field {field}"
        return localize_message(text, resolve_lang(request))
    return localize_message(exc.message, resolve_lang(request))


@router.get("/workflow/improvements")
def improvements_page(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """Every plan with department, due date and status; `?id=` opens one with its effect review."""
    return _page(request, session, user)


def _fields(title: str, problem_type: str, team_id: str, owner_id: str, due_date: str, measures: str,
            theme_keys: list[str]) -> dict[str, Any]:  # fmt: skip
    """Form strings → the API's field values (blank means none)."""
    return {"title": title, "problem_type": problem_type or None, "team_id": team_id or None,
            "owner_id": owner_id or None, "due_date": due_date or None, "measures": measures,
            "theme_keys": theme_keys}  # fmt: skip


Text = Annotated[str, Form(max_length=10_000)]
Short = Annotated[str, Form(max_length=200)]


@router.post("/workflow/improvements", dependencies=[Depends(verify_csrf)])
def improvements_create(
    request: Request, session: SessionDep, user: PlannerPage, title: Short = "", problem_type: Short = "",
    team_id: Short = "", owner_id: Short = "", due_date: Short = "", measures: Text = "",
    theme_keys: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006  (FastAPI copies form defaults)
) -> Response:
    """Create a plan from the form; on a mistake the page comes back with the message and what was typed."""
    fields = _fields(title, problem_type, team_id, owner_id, due_date, measures, theme_keys)
    try:
        body = s.ImprovementCreate.model_validate(fields)
        plan = improvements.create_plan(session, body.model_dump())
    except (FeedbackLoopError, ValidationError) as exc:
        session.rollback()
        return _page(request, session, user, error=_message(request, exc), form=fields)
    return RedirectResponse(f"/workflow/improvements?id={plan.id}", status_code=303)


@router.post("/workflow/improvements/{plan_id}", dependencies=[Depends(verify_csrf)])
def improvements_update(
    plan_id: DbId, request: Request, session: SessionDep, user: PlannerPage, action: Short = "edit",
    status: Short = "", title: Short = "", problem_type: Short = "", team_id: Short = "", owner_id: Short = "",
    due_date: Short = "", measures: Text = "",
    theme_keys: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006
) -> Response:
    """The edit form (action=edit) or one of the status buttons (action=status)."""
    if action == "status":
        fields: dict[str, Any] = {"status": status}
    else:
        fields = _fields(title, problem_type, team_id, owner_id, due_date, measures, theme_keys)
    try:
        if action not in ("status", "edit"):
            raise ValidationFailed(f"未知操作 '{action}' / unknown action")
        body = s.ImprovementUpdate.model_validate(fields)
        improvements.update_plan(session, plan_id, body.model_dump(exclude_unset=True))
    except (FeedbackLoopError, ValidationError) as exc:
        session.rollback()
        return _page(request, session, user, error=_message(request, exc), form=fields, plan_id=plan_id)
    return RedirectResponse(f"/workflow/improvements?id={plan_id}", status_code=303)
