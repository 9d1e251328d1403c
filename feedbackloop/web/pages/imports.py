"""The import page: upload a CSV/XLSX to POST /api/v1/imports and show the per-row report."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from feedbackloop.feedback.models import CHANNELS
from feedbackloop.web.pages.common import PageRoute, WriterPage, render

router = APIRouter(route_class=PageRoute)
# Channels a file export usually comes from; `import` is the generic default.
IMPORT_CHANNELS = ("import", "tmall", "jd", "meituan", "dianping", "crm", "survey", "chat", "phone", "email")


@router.get("/import")
def import_page(request: Request, user: WriterPage) -> Response:
    """The upload form; the upload and progress run in static/import.js against the imports API."""
    channels = {code: CHANNELS[code] for code in IMPORT_CHANNELS if code in CHANNELS}
    return render(request, "import.html", {"channels": channels}, user=user)
