"""Surveys API (SPEC §11): definitions, invitations (one item, or a filtered list), and the public answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from feedbackloop.accounts.models import User
from feedbackloop.feedback import services as feedback_services
from feedbackloop.surveys import answers, services
from feedbackloop.surveys import schemas as s
from feedbackloop.surveys.models import SurveyInvitation
from feedbackloop.surveys.tasks import queue_mail
from feedbackloop.web.crud import Entity, add_crud_routes
from feedbackloop.web.deps import DbId, SessionDep, StaffUser, WriterUser, require_role
from feedbackloop.web.ratelimit import limit_public

router = APIRouter(prefix="/api/v1", tags=["surveys"])
ManagerUser = Annotated[User, Depends(require_role("supervisor", "admin"))]

add_crud_routes(router, Entity(
    "/surveys", "survey", "surveys", s.SurveyIn, s.SurveyOut, services.save_survey, StaffUser, ManagerUser,
    list_all=services.list_surveys, get_one=services.get_survey,
))  # fmt: skip


def _out(invitation: SurveyInvitation) -> s.InvitationOut:
    return s.InvitationOut(
        id=invitation.id, survey_id=invitation.survey_id, feedback_id=invitation.feedback_id,
        trigger=invitation.trigger, token=invitation.token, url=f"/survey/{invitation.token}",
        sent_at=invitation.sent_at, expires_at=invitation.expires_at,
    )  # fmt: skip


@router.post("/surveys/{survey_id}/invitations", response_model=s.InvitationOut, status_code=201)
def create_invitation(survey_id: DbId, body: s.InvitationIn, session: SessionDep, user: WriterUser) -> object:
    """Invite one item's customer by hand; 409 with the reason (quiet period, already invited, inactive)."""
    invitation = services.invite_item(session, survey_id, body.feedback_id, "manual", user)
    queue_mail([invitation.id])
    return _out(invitation)


@router.post("/surveys/{survey_id}/invitations/bulk", response_model=s.BulkOut)
def create_invitations_bulk(survey_id: DbId, body: s.BulkIn, session: SessionDep, user: ManagerUser) -> object:
    """Invite the customers of every item matching the feedback list's filters; refusals counted by reason."""
    services.get_survey(session, survey_id)
    fields = body.model_dump(exclude={"limit"})
    rows, _ = feedback_services.search(session, feedback_services.FeedbackFilter(**fields), 1, body.limit)
    result = services.invite_many(session, survey_id, [r.id for r in rows], user)
    queue_mail(result.created)
    return result.as_dict()


@router.post("/public/surveys/{token}", response_model=s.AnswerOut, status_code=201)
def answer_survey(token: str, body: s.AnswerIn, session: SessionDep, request: Request) -> object:
    """The customer's answer (no login); the same link again → 409, a score off the scale → 422."""
    limit_public(request)
    response = answers.answer(session, token, body.score, body.comment, body.answers)
    return {"id": response.id, "kind": response.kind, "score": response.score, "recovery": response.recovery}
