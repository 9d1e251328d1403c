"""The service-health dashboard page (`/dashboard`, SPEC §11): three views over the same filters, kept in the
URL. The page is a frame; its charts fetch /api/v1/dashboard/* (static/dashboard.js, ECharts served from
static/vendor) and refresh themselves."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from feedbackloop.accounts.services import list_teams
from feedbackloop.errors import ValidationFailed
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES, SENTIMENTS
from feedbackloop.insight import dashboard
from feedbackloop.web.api.dashboard import view_of
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang, translator
from feedbackloop.web.pages.common import NAV, NavItem, PageRoute, StaffPage, render
from feedbackloop.workflow.states import STATUSES

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.insert(0, NavItem("/dashboard", "仪表盘", "chart"))
VIEWS = {"exec": "管理层", "business": "业务团队", "tech": "技术团队"}
SHARED = ("from", "to", "channel", "team", "product", "customer_type")  # the filters every chart takes
REFRESH_SECONDS = 30
CHURN_OWNERS = ("csm", "supervisor", "admin")
# Texts the script draws into charts, translated here so that the page stays one language.
JS_TEXTS = ("负面", "中性", "正面", "条", "达标", "超时", "SLA 达标率", "负面反馈", "全部", "暂无数据", "加载失败",
            "跟进", "已由 {name} 跟进", "查看反馈", "预警", "新出现的问题", "投诉占比", "刚刚更新", "上期",
            "相关反馈", "反馈量", "提及", "其中负面", "认领成功", "操作失败", "未结")  # fmt: skip


def _refresh(raw: str | None) -> int:
    """Seconds between refreshes: 30, or 5–600 from ?refresh= (a wall screen may want it faster)."""
    return min(max(int(raw), 5), 600) if raw and raw.isdigit() else REFRESH_SECONDS


@router.get("/dashboard")
def dashboard_page(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The dashboard frame: view tabs, the shared filters, and a container per chart."""
    params = request.query_params
    name = params.get("view") if params.get("view") in VIEWS else "exec"
    error = None
    try:
        view = view_of(params)
    except ValidationFailed as exc:
        error, view = localize_message(exc.message, resolve_lang(request)), view_of(type(params)())
    values = {k: params[k] for k in SHARED if params.get(k) and not error}
    values.update({"from": view.start.isoformat(), "to": view.end.isoformat()})
    _ = translator(resolve_lang(request))
    context: dict[str, Any] = {
        "views": VIEWS, "view": name, "values": values, "error": error,
        "api_query": urlencode(values), "tab_query": {v: urlencode({**values, "view": v}) for v in VIEWS},
        "channels": CHANNELS, "customer_types": CUSTOMER_TYPES, "teams": list_teams(session),
        "products": dashboard.products(session), "refresh": _refresh(params.get("refresh")),
        "can_take": user.role in CHURN_OWNERS,
        "js_texts": {t: _(t) for t in JS_TEXTS} | {f"status:{k}": _(v) for k, v in STATUSES.items()}
                    | {f"sentiment:{k}": _(v) for k, v in SENTIMENTS.items()}
                    | {t: _(t) for t in [*PROBLEM_TYPES, *CHANNELS.values(), *(a[2] for a in dashboard.AGE_BUCKETS)]},
    }  # fmt: skip
    return render(request, "dashboard.html", context, user=user)
