"""The inbox (filterable list of feedback) and the feedback detail page."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import HANDLERS
from feedbackloop.accounts.services import list_teams
from feedbackloop.feedback import services
from feedbackloop.feedback.models import CUSTOMER_TYPES, SENTIMENTS
from feedbackloop.lib.clock import clock
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.filters import CHOICES, PER_PAGE_CHOICES, InboxQuery
from feedbackloop.web.pages.common import STATUS_LABELS, PageForm, PageRoute, StaffPage, render, verify_csrf
from feedbackloop.workflow import queue, sla
from feedbackloop.workflow.models import PRIORITY_LEVELS
from feedbackloop.workflow.queue import SORTS, VIEWS, view_filters

__all__ = ["InboxQuery", "router"]

router = APIRouter(route_class=PageRoute)
_CHOICES = {k: v for k, v in CHOICES.items() if k in ("channel", "problem_type", "status", "customer_type", "sentiment",
                                                      "urgency")}  # the inbox's drop-downs  # fmt: skip


@router.get("/inbox")
def inbox(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The work queue: views (我的/未分配/即将超时/已超时), filters, search, sort, bulk actions, saved views."""
    query = InboxQuery.parse(request.query_params)
    for name, allowed in (("view", VIEWS), ("sort", SORTS)):
        value = request.query_params.get(name, "").strip()
        if value in allowed:
            query.values[name] = value
    for key, value in view_filters(query.values.get("view"), user).items():
        setattr(query.filters, key, value)
    sort = query.values.get("sort") or ("sla" if query.values.get("view") else "newest")
    result = services.page_of(session, query.filters, query.page, query.per_page, sort, services.COUNT_LIMIT)
    rows, total = result.rows, result.total
    now = clock.now()
    owners = {u.id: u for u in session.scalars(select(User).where(User.role != "customer").order_by(User.id))}
    teams = list_teams(session)
    context = {
        "rows": rows,
        "total": total,
        "total_exact": result.exact,
        "query": query,
        # Past the counted matches there is a next page while this one is full.
        "pages": max(1, math.ceil(total / query.per_page),
                     query.page + (0 if result.exact or len(rows) < query.per_page else 1)),
        "choices": _CHOICES,
        "per_page_choices": PER_PAGE_CHOICES,
        "customer_types": CUSTOMER_TYPES,
        "sentiments": SENTIMENTS,
        "team_names": {t.id: t.name for t in teams},
        "views": VIEWS,
        "sorts": SORTS,
        "sort": sort,
        "sla_left": lambda f: sla.view(f, now),
        "owners": owners,
        "assignable": [u for u in owners.values() if u.is_active and u.role in HANDLERS],
        "teams": teams,
        "saved_views": queue.saved_views(session, user),
        "priorities": PRIORITY_LEVELS,
        "bulk_statuses": {k: v for k, v in STATUS_LABELS.items() if k != "new"},
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
