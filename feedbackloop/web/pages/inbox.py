"""The inbox (filterable list of feedback) and the feedback detail page."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from feedbackloop.accounts.services import list_teams
from feedbackloop.feedback import services
from feedbackloop.feedback.models import CUSTOMER_TYPES, SENTIMENTS
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.filters import CHOICES, PER_PAGE_CHOICES, InboxQuery
from feedbackloop.web.pages.common import PageRoute, StaffPage, render

__all__ = ["InboxQuery", "router"]

router = APIRouter(route_class=PageRoute)
_CHOICES = {k: v for k, v in CHOICES.items() if k in ("channel", "problem_type", "status", "customer_type", "sentiment",
                                                      "urgency")}  # the inbox's drop-downs  # fmt: skip


@router.get("/inbox")
def inbox(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """Feedback newest first, with filters, search and paging."""
    query = InboxQuery.parse(request.query_params)
    rows, total = services.search(session, query.filters, query.page, query.per_page)
    context = {
        "rows": rows,
        "total": total,
        "query": query,
        "pages": max(1, math.ceil(total / query.per_page)),
        "choices": _CHOICES,
        "per_page_choices": PER_PAGE_CHOICES,
        "customer_types": CUSTOMER_TYPES,
        "sentiments": SENTIMENTS,
        "team_names": {t.id: t.name for t in list_teams(session)},
    }
    return render(request, "inbox.html", context, user=user)


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
