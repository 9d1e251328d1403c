"""GET /api/v1/metrics: Prometheus text format for an operator's scraper (admin, or scope metrics:read)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from feedbackloop.ops import metrics
from feedbackloop.tasks import huey
from feedbackloop.web.deps import AdminUser, SessionDep

router = APIRouter(prefix="/api/v1/metrics", tags=["meta"])
log = logging.getLogger(__name__)


@router.get("", response_class=Response)
def prometheus_metrics(user: AdminUser, session: SessionDep) -> Response:
    """Request and task latency of this node, queue depth, items owed analysis and triage, analysis rate.

    Mint a token for the scraper with only the `metrics:read` scope (an admin's token)."""
    try:
        depth: int | None = int(huey.pending_count())
    except Exception as exc:  # the queue (Redis) is down: say so in the figures, not with a 500
        log.warning("queue depth unavailable: %s", exc)
        depth = None
    body = metrics.process_metrics() + metrics.shared_state_metrics(session, depth)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
