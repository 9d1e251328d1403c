"""Idea board API: the public side (/api/v1/public/ideas…, /api/v1/public/changelog; no login, rate-limited)
and the staff side (/api/v1/ideas…: product managers, supervisors and admins write, all staff read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import PLANNERS
from feedbackloop.config import get_settings
from feedbackloop.errors import ValidationFailed
from feedbackloop.ideas import channels, identity, notify, services, staff
from feedbackloop.ideas import queue as idea_queue
from feedbackloop.ideas import schemas as s
from feedbackloop.web.crud import Entity, add_crud_routes
from feedbackloop.web.deps import DbId, SessionDep, StaffUser, require_role
from feedbackloop.web.ratelimit import limit_bucket, limit_public, limit_public_reads

router = APIRouter(tags=["ideas"])
PlannerUser = Annotated[User, Depends(require_role(*PLANNERS))]
Public = [Depends(limit_public_reads)]


def limit_votes(request: Request) -> None:
    """Votes and codes have their own, tighter per-client budget (FEEDBACKLOOP_IDEA_VOTES_PER_MINUTE)."""
    limit_bucket(request, "ideas", get_settings().idea_votes_per_minute)


Guarded = [Depends(limit_public), Depends(limit_votes)]

# --- Public ----------------------------------------------------------------------------------------------


@router.get("/api/v1/public/ideas", response_model=s.BoardPage, dependencies=Public)
def public_board(
    session: SessionDep, q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[s.IdeaStatus | None, Query()] = None, sort: Annotated[str, Query(pattern="^(hot|new)$")] = "hot",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> object:  # fmt: skip
    """Published ideas; `q` finds those holding every word (Chinese segmented with jieba)."""
    items, total = services.board(session, q, status, sort, page)
    return {"items": items, "total": total, "page": page, "per_page": services.PER_PAGE}


@router.get("/api/v1/public/ideas/similar", response_model=list[s.SimilarIdea], dependencies=Public)
def similar_ideas(session: SessionDep, text: Annotated[str, Query(min_length=2, max_length=2000)]) -> object:
    """Published ideas like the text: to vote on one of them instead of submitting a copy."""
    return services.similar(session, text)


@router.get("/api/v1/public/ideas/{idea_id}", response_model=s.IdeaPublicDetail, dependencies=Public)
def public_idea(idea_id: DbId, session: SessionDep) -> object:
    """One published idea with its published co-signatures."""
    return services.public_detail(session, idea_id)


@router.post("/api/v1/public/ideas", response_model=s.IdeaSubmitted, status_code=201, dependencies=Guarded)
def submit_idea(body: s.IdeaSubmit, session: SessionDep) -> object:
    """Submit an idea; it is public once a moderator has reviewed it. The similar ideas come back with it."""
    similar = services.similar(session, f"{body.title}\n{body.description}")
    idea = services.submit(session, body.title, body.description)
    return {"id": idea.id, "moderation": idea.moderation, "similar": similar,
            "message": "感谢您的想法！审核通过后会出现在想法板上 / thanks: it appears on the board once reviewed"}  # fmt: skip


@router.post("/api/v1/public/ideas/verify", response_model=s.CodeSent, status_code=202, dependencies=Guarded)
def ask_code(body: s.CodeAsk, session: SessionDep) -> object:
    """Send a one-time code to a phone or an e-mail address (10 minutes, 5 tries)."""
    channels.require(identity.normalize_contact(body.contact)[0])  # before any code is made
    request = services.request_code(session, body.contact)
    channels.send_code(request.kind, request.contact, request.code, body.lang)
    return {"challenge": request.challenge, "channel": request.kind,
            "expires_in_seconds": int(identity.CODE_TTL.total_seconds())}  # fmt: skip


@router.post("/api/v1/public/ideas/verify/{challenge}", response_model=s.VoterToken, dependencies=Guarded)
def check_code(challenge: str, body: s.CodeCheck, session: SessionDep) -> object:
    """Exchange the code for a voter token (one use); a wrong code counts as one of five tries."""
    _, token = services.verify_code(session, challenge, body.code, body.notify, lang=body.lang)
    return {"voter_token": token, "expires_in_seconds": identity.VOTER_TOKEN_SECONDS}


@router.post("/api/v1/public/ideas/{idea_id}/votes", response_model=s.VoteOut, status_code=201, dependencies=Guarded)
def vote(idea_id: DbId, body: s.VoteIn, session: SessionDep) -> object:
    """One vote per verified person (voter_token from /verify, or status_token of their own feedback);
    a second vote → 409 already_voted."""
    return services.cast_vote(session, idea_id, voter_token=body.voter_token, status_token=body.status_token,
                              comment=body.comment, lang=body.lang)  # fmt: skip


@router.post("/api/v1/public/ideas/{idea_id}/subscriptions", response_model=s.SubscriptionOut, status_code=201,
             dependencies=Guarded)  # fmt: skip
def subscribe(idea_id: DbId, body: s.SubscribeIn, session: SessionDep) -> object:
    """Follow an idea without voting: told when it ships (same identity as a vote)."""
    return services.subscribe(session, idea_id, voter_token=body.voter_token, status_token=body.status_token,
                              lang=body.lang)


@router.get("/api/v1/public/changelog", response_model=list[s.ChangelogEntry], dependencies=Public)
def changelog(session: SessionDep) -> object:
    """您说，我们做: shipped improvements with the feedback that asked for them and, once verified, the effect."""
    return notify.changelog(session)


# --- Staff -----------------------------------------------------------------------------------------------


@router.get("/api/v1/ideas/queue", response_model=list[s.QueueRow])
def priority_queue(session: SessionDep, user: StaffUser, include_done: bool = False) -> object:
    """Ideas over the vote threshold, the highest impact × frequency first, with the product manager's task."""
    return idea_queue.queue(session, include_done)


@router.get("/api/v1/ideas/notices")
def notices(session: SessionDep, user: StaffUser) -> dict[str, Any]:
    """The "已上线" notices: counts by state and channel (pending_channel: waiting for SMS) and the latest."""
    return notify.outbox(session)


@router.post("/api/v1/ideas/from-feedback", response_model=s.IdeaOut, status_code=201)
def from_feedback(body: s.FromFeedback, session: SessionDep, user: PlannerUser) -> object:
    """A new idea from feedback items, which are linked to it (their customers hear when it ships)."""
    return staff.from_feedback(session, body.feedback_ids, body.title, body.description, user)


@router.post("/api/v1/ideas/from-theme", response_model=s.IdeaOut, status_code=201)
def from_theme(body: s.FromTheme, session: SessionDep, user: PlannerUser) -> object:
    """A new idea for a theme, linked to the theme's feedback of the last 30 days."""
    return staff.from_theme(session, body.theme_key, body.title, body.description, user)


@router.post("/api/v1/ideas/comments/{vote_id}")
def moderate_comment(vote_id: DbId, body: s.CommentModeration, session: SessionDep, user: PlannerUser) -> object:
    """Show a co-signing comment publicly, or hide it."""
    return staff.moderate_comment(session, vote_id, body.published)


@router.post("/api/v1/ideas/{idea_id}/moderate", response_model=s.IdeaOut)
def moderate(idea_id: DbId, body: s.Moderation, session: SessionDep, user: PlannerUser) -> object:
    """Publish an idea, or keep it off the board (spam, abuse, personal data)."""
    return staff.moderate(session, idea_id, body.decision, body.reason)


@router.post("/api/v1/ideas/{idea_id}/merge", response_model=s.MergeOut)
def merge(idea_id: DbId, body: s.MergeIn, session: SessionDep, user: PlannerUser) -> object:
    """Merge this duplicate into `into_id`: its votes and linked feedback move there."""
    return staff.merge(session, idea_id, body.into_id)


@router.post("/api/v1/ideas/{idea_id}/feedback", response_model=s.IdeaOut)
def link_feedback(idea_id: DbId, body: s.FeedbackLinks, session: SessionDep, user: PlannerUser) -> object:
    """Link feedback items to the idea."""
    return staff.link_feedback(session, idea_id, body.feedback_ids)


@router.post("/api/v1/ideas/{idea_id}/plan", response_model=s.IdeaOut)
def link_plan(idea_id: DbId, body: s.PlanLink, session: SessionDep, user: PlannerUser) -> object:
    """Link an improvement plan (or create one); the idea becomes 已计划, the queue task is done."""
    fields = body.plan.model_dump() if body.plan else None
    return staff.link_plan(session, idea_id, body.plan_id, fields)


@router.get("/api/v1/ideas/{idea_id}/comments")
def idea_comments(idea_id: DbId, session: SessionDep, user: StaffUser) -> object:
    """Co-signing comments of an idea, published or not."""
    return staff.comments(session, idea_id)


def _save(session: Any, user: User, fields: dict[str, Any], idea_id: int | None) -> object:
    fields = {k: v for k, v in fields.items() if v is not None}
    if idea_id is None and not fields.get("title"):
        raise ValidationFailed("请填写标题 / title is required")
    return staff.save_idea(session, fields, idea_id, user)


def _list(session: Any) -> object:
    return staff.list_ideas(session)


def _get(session: Any, idea_id: int) -> object:
    return staff.staff_view(session, staff.get_idea(session, idea_id))


add_crud_routes(router, Entity("/api/v1/ideas", "idea", "ideas", s.IdeaIn, s.IdeaOut, _save, StaffUser, PlannerUser,
                               list_all=_list, get_one=_get, with_actor=True))  # fmt: skip
