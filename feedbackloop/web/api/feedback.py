"""The feedback API: create (single and batch), list with filters, read one (SPEC §11)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from feedbackloop.feedback import services
from feedbackloop.feedback.schemas import (
    BatchResult,
    ChannelCode,
    CustomerType,
    FeedbackBatch,
    FeedbackCreate,
    FeedbackPage,
    FeedbackPublic,
    Moment,
    ProblemType,
    PublicFeedbackCreate,
)
from feedbackloop.web.deps import SessionDep, StaffUser, WriterUser
from feedbackloop.web.ratelimit import limit_public

router = APIRouter(prefix="/api/v1", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackPublic, status_code=201)
def create_feedback(item: FeedbackCreate, session: SessionDep, user: WriterUser, response: Response) -> object:
    """Store one item; a known (channel, external_id) returns the stored record with 200."""
    record, created = services.create_one(session, item)
    if not created:
        response.status_code = 200
    return record


@router.post("/feedback/batch", response_model=BatchResult, status_code=201)
def create_feedback_batch(batch: FeedbackBatch, session: SessionDep, user: WriterUser) -> BatchResult:
    """Store up to 1,000 items in one transaction; items with a known external_id are reported as existing."""
    result = services.ingest(session, batch.items)
    return BatchResult(created=result.created, existing=result.existing)


@router.get("/feedback", response_model=FeedbackPage)
def list_feedback(
    session: SessionDep,
    user: StaffUser,
    channel: ChannelCode | None = None,
    problem_type: ProblemType | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    customer_type: CustomerType | None = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    urgency: Literal["紧急", "一般", "建议"] | None = None,
    touchpoint: Annotated[str | None, Query(max_length=100)] = None,
    date_from: Moment | None = None,
    date_to: Moment | None = None,
    q: Annotated[str | None, Query(max_length=200, description="正文子串搜索")] = None,
    vague: Annotated[bool | None, Query(description="只看 (true) 或排除 (false) 内容空泛的反馈")] = None,
    duplicates: Annotated[bool | None, Query(description="只看 (true) 或排除 (false) 重复反馈")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    sort: Annotated[
        Literal["newest", "oldest", "priority", "sla"],
        Query(description="newest / oldest (received), priority (urgent first, then SLA due), sla (due soonest first)"),
    ] = "newest",
    view: Annotated[
        Literal["mine", "unassigned", "due_soon", "breached"] | None,
        Query(description="work-queue view: mine 我的, unassigned 未分配, due_soon 即将超时, breached 已超时"),
    ] = None,
    owner_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> FeedbackPage:
    """Records filtered and sorted (newest first by default); contacts masked."""
    from feedbackloop.workflow.queue import view_filters

    queue: dict[str, object] = {"owner_id": owner_id, "team_id": team_id, **view_filters(view, user)}
    filters = services.FeedbackFilter(
        channel=channel,
        problem_type=problem_type,
        status=status,
        customer_type=customer_type,
        sentiment=sentiment,
        urgency=urgency,
        touchpoint=touchpoint,
        date_from=date_from,
        date_to=date_to,
        q=q,
        vague=vague,
        duplicates=duplicates,
        **queue,  # type: ignore[arg-type]  # the view's fields are FeedbackFilter's
    )
    rows, total = services.search(session, filters, page, per_page, sort)
    return FeedbackPage(
        items=[FeedbackPublic.model_validate(r) for r in rows], total=total, page=page, per_page=per_page
    )


@router.get("/feedback/{feedback_id}", response_model=FeedbackPublic)
def get_feedback(feedback_id: str, session: SessionDep, user: StaffUser) -> object:
    return services.get(session, feedback_id)


@router.post("/public/feedback", response_model=dict, status_code=201, tags=["public"])
def submit_public_feedback(item: PublicFeedbackCreate, session: SessionDep, request: Request) -> dict[str, str]:
    """The unauthenticated web-form submission; rate-limited per client. Reveals only the new id."""
    limit_public(request)
    channel = "qr" if item.touchpoint else "web_form"
    record, _ = services.create_one(session, FeedbackCreate(channel=channel, **item.model_dump()))
    return {"id": record.id, "message": "感谢您的反馈, 我们会尽快处理。"}
