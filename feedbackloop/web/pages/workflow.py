"""Workflow pages: item actions, rules/SLA/teams admin, templates and knowledge base, the customer status page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.errors import Conflict
from feedbackloop.feedback.models import CHANNELS, CUSTOMER_TYPES, PROBLEM_TYPES, SENTIMENTS, URGENCIES
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.pages.common import NAV, ManagerPage, NavItem, PageRoute, StaffPage, render, verify_csrf
from feedbackloop.web.ratelimit import limit_public
from feedbackloop.workflow import customer, services
from feedbackloop.workflow.models import PRIORITY_LEVELS, ROUTING_STRATEGIES, TEAM_KINDS, TEMPLATE_KINDS

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.extend(
    [
        NavItem("/workflow/notifications", "我的通知", "inbox"),
        NavItem("/workflow/knowledge", "模板与知识库", "inbox"),
        NavItem("/workflow/admin", "分派规则与 SLA", "qr", section="管理", roles=("supervisor", "admin")),
    ]
)
CHOICES = {
    "problem_types": PROBLEM_TYPES,
    "channels": CHANNELS,
    "customer_types": CUSTOMER_TYPES,
    "urgencies": URGENCIES,
    "sentiments": SENTIMENTS,
    "team_kinds": list(TEAM_KINDS),
    "strategies": ROUTING_STRATEGIES,
    "priorities": PRIORITY_LEVELS,
    "template_kinds": TEMPLATE_KINDS,
}


@router.get("/workflow/items/{feedback_id}")
def item_page(feedback_id: str, request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The item's workflow actions on their own page (the inbox detail page includes the same partial)."""
    record = services.get_record(session, feedback_id)
    return render(request, "workflow/item.html", {"f": record}, user=user)


@router.get("/workflow/notifications")
def notifications_page(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The signed-in user's notifications: assignments, SLA reminders, breaches, escalations, alerts."""
    rows = services.notifications_for(session, user)
    return render(request, "workflow/notifications.html", {"rows": rows}, user=user)


@router.post("/workflow/notifications/read", dependencies=[Depends(verify_csrf)])
def notifications_read(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """Mark every shown notification read."""
    services.mark_read(
        session, user, [n.id for n in services.notifications_for(session, user, unread_only=True)]
    )
    return RedirectResponse("/workflow/notifications", status_code=303)


@router.get("/workflow/admin")
def admin_page(request: Request, session: SessionDep, user: ManagerPage) -> Response:
    """Supervisors: teams, routing rules, SLA policies, business calendar, threshold alerts."""
    context = {**CHOICES, **services.admin_context(session)}
    return render(request, "workflow/admin.html", context, user=user)


@router.get("/workflow/knowledge")
def knowledge_page(request: Request, user: StaffPage) -> Response:
    """Reply templates and the knowledge base."""
    return render(request, "workflow/knowledge.html", CHOICES, user=user)


@router.get("/s/{token}")
def status_page(token: str, request: Request, session: SessionDep) -> Response:
    """The customer's status page: no login, only this item's status and replies."""
    limit_public(request)
    view = customer.public_view(session, token)
    return render(
        request, "workflow/status.html", {"v": view, "token": token, "done": request.query_params.get("done")}
    )


@router.post("/s/{token}/satisfaction")
def status_answer(token: str, request: Request, session: SessionDep, answer: str = Form(...)) -> Response:
    """满意 / 不满意 from the status page; the unguessable token is the customer's credential."""
    limit_public(request)
    try:
        customer.answer_satisfaction(session, token, answer == "satisfied")
    except Conflict as exc:
        if exc.code != customer.ALREADY_ANSWERED:
            raise
        # A second answer (a double click, the back button): the status page says the first one counts.
        return RedirectResponse(f"/s/{token}?done=already", status_code=303)
    return RedirectResponse(f"/s/{token}?done={'1' if answer == 'satisfied' else '0'}", status_code=303)
