"""The agent's correction of an item's analysis from the detail page (the API twin is /corrections)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse

from feedbackloop.feedback import analyzing, services
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.pages.common import PageForm, PageRoute, WriterPage, verify_csrf

router = APIRouter(route_class=PageRoute)
SENTIMENT_VALUES = ("negative", "neutral", "positive")


def _aspect_changes(form: dict[str, str], current: list[dict[str, str]]) -> list[dict[str, str]] | None:
    """The aspect list after the form's per-aspect choices and the optional new aspect; None if unchanged."""
    updated = []
    for n, asp in enumerate(current):
        choice = form.get(f"aspect_{n}", asp.get("sentiment", ""))
        if choice != "remove":
            updated.append({**asp, "sentiment": choice})
    name = form.get("new_aspect", "").strip()[:40]
    if name and form.get("new_aspect_sentiment") in SENTIMENT_VALUES:
        updated.append({"aspect": name, "sentiment": form["new_aspect_sentiment"], "evidence": ""})
    return None if updated == current else updated


@router.post("/feedback/{feedback_id}/correct", dependencies=[Depends(verify_csrf)])
def correct_analysis(feedback_id: str, session: SessionDep, user: WriterPage, sent: PageForm) -> Response:
    """Store each field the agent changed as a correction, then show the item again."""
    form = {k: v for k, v in sent.items() if isinstance(v, str)}
    record = services.get(session, feedback_id)
    analysis = record.analysis or {}
    current = {
        "sentiment": (analysis.get("sentiment") or {}).get("label"),
        "problem_type": analysis.get("problem_type"),
        "urgency": analysis.get("urgency"),
    }
    for field, old in current.items():
        new: str | None = form.get(field)
        if field == "problem_type" and new == "none":
            if old is not None:  # 无问题: the text raises no problem
                analyzing.correct(session, record, field, None, user.id)
            continue
        if new and new != old:
            analyzing.correct(session, record, field, new, user.id)
    aspects = _aspect_changes(form, list(analysis.get("aspects") or []))
    if aspects is not None:
        analyzing.correct(session, record, "aspects", aspects, user.id)
    return RedirectResponse(f"/feedback/{feedback_id}?corrected=1#analysis", status_code=303)
