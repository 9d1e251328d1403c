"""Analysis API: stateless analysis of texts, corrections, custom aspects, themes (SPEC §4, §11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from feedbackloop.feedback import analyzing, services
from feedbackloop.feedback.schemas import FeedbackPublic
from feedbackloop.insight.themes import recent_themes
from feedbackloop.web.deps import SessionDep, StaffUser, WriterUser, require_role

router = APIRouter(prefix="/api/v1", tags=["analysis"])


class AnalyzeIn(BaseModel):
    texts: list[Annotated[str, Field(max_length=10_000)]] = Field(min_length=1, max_length=1000)


class CorrectionIn(BaseModel):
    field: Literal["sentiment", "problem_type", "urgency", "aspects"]
    value: Any = Field(description='e.g. "negative", "物流", "紧急", or [{"aspect": "早餐", "sentiment": "negative"}]')


class AspectIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    words: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(min_length=1, max_length=100)


@router.post("/analyze")
def analyze_texts(body: AnalyzeIn, session: SessionDep, user: StaffUser) -> dict[str, list[dict[str, Any]]]:
    """Analyse up to 1,000 texts; nothing is stored."""
    from feedbackloop.analysis import analyze_many

    aspects = analyzing.custom_aspects(session) or None
    return {"results": [a.to_dict() for a in analyze_many(body.texts, extra_aspects=aspects)]}


@router.post("/feedback/{feedback_id}/corrections", response_model=FeedbackPublic)
def correct_analysis(feedback_id: str, body: CorrectionIn, session: SessionDep, user: WriterUser) -> object:
    """Correct one analysed field of an item; the correction is kept for retraining."""
    record = services.get(session, feedback_id)
    return analyzing.correct(session, record, body.field, body.value, user.id)


@router.get("/aspects")
def list_aspects(session: SessionDep, user: StaffUser) -> dict[str, list[dict[str, Any]]]:
    return {"custom": analyzing.custom_aspects(session)}


@router.post("/aspects", status_code=201)
def add_aspect(
    body: AspectIn, session: SessionDep, user: Annotated[Any, Depends(require_role("admin", "supervisor"))]
) -> dict[str, Any]:
    """Add (or replace the words of) a custom aspect; new analyses use it at once."""
    analyzing.set_custom_aspect(session, body.name, body.words)
    return {"name": body.name, "words": body.words}


@router.get("/themes")
def themes(
    session: SessionDep,
    user: StaffUser,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> dict[str, Any]:
    """Themes of the last `days` days against the previous period of the same length."""
    found = recent_themes(session, timedelta(days=days))
    return {"days": days, "themes": [t.to_dict() for t in found]}
