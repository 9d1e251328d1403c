"""Admin page for the audit log: newest entries with before/after, and the chain check (SPEC §9)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from feedbackloop import audit
from feedbackloop.web import labels
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.pages.admin_users import AdminPage
from feedbackloop.web.pages.common import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/admin/audit")
def audit_list(request: Request, session: SessionDep, user: AdminPage) -> Response:
    """One page of entries, filtered by entity id or actor; the chain is verified when asked (`?verify=1`).

    Verification re-hashes every entry, so it is not done on every page view of a long log.
    """
    q = request.query_params
    page = int(q["page"]) if q.get("page", "").isdigit() and 0 < int(q["page"]) < 100_000 else 1
    entity_id, actor = (q.get("entity_id") or "")[:100] or None, (q.get("actor") or "")[:100] or None
    rows, total = audit.entries(session, entity_id=entity_id, actor=actor, page=page, per_page=50)
    context = {"labels": labels, "entries": rows, "total": total, "page": page, "check": audit.verify(session) if q.get("verify") == "1" else None,
               "entity_id": entity_id or "", "actor": actor or ""}  # fmt: skip
    return render(request, "admin/audit.html", context, user=user)
