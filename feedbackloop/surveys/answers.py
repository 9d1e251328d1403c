"""The customer's answer to a survey: checked, stored once, fed to the item, and recovery on a low score.

A second answer on the same link is a 409; a score outside the kind's scale is a 422; an expired link or an
erased customer is a 410. In each case nothing is written."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.accounts.models import User
from feedbackloop.db import begin_write, rows_changed, utcnow
from feedbackloop.errors import Conflict, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.surveys.models import (
    KINDS,
    RECOVERY_AT_OR_BELOW,
    SATISFIED_AT_OR_ABOVE,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)
from feedbackloop.surveys.services import COMMENT_MAX, Gone, _erased, by_token, survey_changed

log = logging.getLogger(__name__)
ALREADY_ANSWERED = "already_answered"


def check_score(kind: str, score: object) -> int:
    """The score as an int on the kind's scale, or a 422 that says what the scale is."""
    lo, hi, name = KINDS[kind]
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValidationFailed(f"评分必须是 {lo}–{hi} 的整数 / the score must be a whole number from {lo} to {hi}",
                               details=[{"field": "score", "message": f"integer {lo}-{hi}"}])  # fmt: skip
    if not lo <= score <= hi:
        raise ValidationFailed(
            f"{name} 的评分范围是 {lo}–{hi}，收到 {score} / the score must be from {lo} to {hi}, got {score}",
            details=[{"field": "score", "message": f"must be {lo}-{hi}"}],
        )
    return score


def check_answers(survey: Survey, answers: dict[str, Any] | None) -> dict[str, Any]:
    """Follow-up answers keyed by the survey's follow-up keys: yes/no as true/false, text up to 2,000 characters."""
    kinds = {f["key"]: f["kind"] for f in survey.followups or []}
    out: dict[str, Any] = {}
    for key, value in (answers or {}).items():
        if key not in kinds:
            raise ValidationFailed(f"问卷没有问题 '{key}' / unknown follow-up question '{key}'")
        if value is None or value == "":
            continue
        if kinds[key] == "yes_no" and not isinstance(value, bool):
            raise ValidationFailed(f"问题 '{key}' 请回答是或否 / '{key}' takes true or false")
        if kinds[key] == "text" and (not isinstance(value, str) or len(value) > COMMENT_MAX):
            raise ValidationFailed(f"问题 '{key}' 最多 {COMMENT_MAX} 字 / '{key}' takes text up to {COMMENT_MAX} characters")
        out[key] = value
    return out


def _check_open(session: Session, invitation: SurveyInvitation) -> Feedback | None:
    if invitation.answered_at is not None:
        raise Conflict("您已完成这份调查，感谢您的反馈 / this survey was already answered", code=ALREADY_ANSWERED)
    if invitation.expires_at <= clock.now():
        raise Gone("这份调查已过期 / this survey link has expired", code="expired")
    record = session.get(Feedback, invitation.feedback_id) if invitation.feedback_id else None
    if record is not None and _erased(record):
        raise Gone("该客户的数据已按要求删除 / this customer's data was erased", code="customer_erased")
    return record


def answer(session: Session, token: str, score: object, comment: str | None = None,
           answers: dict[str, Any] | None = None) -> SurveyResponse:  # fmt: skip
    """Store the customer's answer once; then feed the item and start recovery on a low score. Commits."""
    begin_write(session)
    invitation, survey = by_token(session, token)
    record = _check_open(session, invitation)
    value = check_score(survey.kind, score)
    text = (comment or "").strip() or None
    if text and len(text) > COMMENT_MAX:
        raise ValidationFailed(f"留言最多 {COMMENT_MAX} 字 / the comment takes up to {COMMENT_MAX} characters")
    extra = check_answers(survey, answers)
    now = clock.now()
    claimed = rows_changed(session, update(SurveyInvitation)
                           .where(SurveyInvitation.id == invitation.id, SurveyInvitation.answered_at.is_(None))
                           .values(answered_at=now).execution_options(synchronize_session=False))  # fmt: skip
    if claimed != 1:
        session.rollback()
        raise Conflict("您已完成这份调查，感谢您的反馈 / this survey was already answered", code=ALREADY_ANSWERED)
    response = SurveyResponse(
        invitation_id=invitation.id, survey_id=survey.id, kind=survey.kind, score=value, comment=text,
        answers=extra, fcr_answer=extra.get("fcr") if isinstance(extra.get("fcr"), bool) else None,
        trigger=invitation.trigger, feedback_id=invitation.feedback_id, channel=invitation.channel,
        team_id=invitation.team_id, agent_id=invitation.agent_id, problem_type=invitation.problem_type,
        product=invitation.product, customer_type=invitation.customer_type,
        recovery=value <= RECOVERY_AT_OR_BELOW[survey.kind], answered_at=now,
    )  # fmt: skip
    session.add(response)
    session.flush()
    survey_changed(session, answered=now, sent=invitation.sent_at)  # the scores' daily rows, same transaction
    audit.record(session, None, "survey_response.create", "survey_response", response.id, None,
                 {"invitation_id": invitation.id, "kind": survey.kind, "score": value})  # fmt: skip
    if invitation.feedback_id:  # the item's KPI row (follow-up time, first-contact resolution) is due for a refresh
        session.execute(update(Feedback).where(Feedback.id == invitation.feedback_id).values(updated_at=utcnow()))
    session.commit()
    if text:
        _store_comment(session, response, invitation, record)
    if record is not None:
        _feed_item(session, record, survey.kind, value, response.recovery)
    elif response.recovery:
        _alert_supervisors(session, response)
    return response


def _store_comment(session: Session, response: SurveyResponse, invitation: SurveyInvitation,
                   record: Feedback | None) -> None:  # fmt: skip
    """The comment becomes a feedback item of channel "survey", analysed like any feedback text."""
    from feedbackloop.feedback import services as feedback_services
    from feedbackloop.feedback.schemas import FeedbackCreate

    fields: dict[str, Any] = {"content": response.comment, "channel": "survey",
                              "external_id": f"survey:{invitation.id}", "product": invitation.product}  # fmt: skip
    if record is not None:
        fields.update(contact=record.contact, customer_name=record.customer_name)
    elif invitation.email:
        fields["contact"] = invitation.email
    try:
        item, _ = feedback_services.create_one(session, FeedbackCreate(**{k: v for k, v in fields.items() if v}))
    except ValidationFailed as exc:  # the answer stands even if its text cannot become an item
        log.warning("survey comment of response %s not stored as feedback: %s", response.id, exc.message)
        return
    begin_write(session)
    session.execute(update(SurveyResponse).where(SurveyResponse.id == response.id).values(comment_feedback_id=item.id))
    session.commit()
    response.comment_feedback_id = item.id


def _feed_item(session: Session, record: Feedback, kind: str, score: int, recovery: bool) -> None:
    """The score answers the status page's 满意/不满意 question where it is still open; a low score reopens."""
    from feedbackloop.workflow import customer
    from feedbackloop.workflow import services as workflow

    session.refresh(record)
    satisfied = score >= SATISFIED_AT_OR_ABOVE[kind]
    if customer.awaits_answer(record) and record.status_token and (satisfied or recovery):
        try:
            customer.answer_satisfaction(session, record.status_token, satisfied)
            return
        except Conflict:
            session.rollback()
            session.refresh(record)
    if not recovery:
        return
    reason = f"客户在调查中给出低分（{kind.upper()} {score}），请回访挽回 / A low survey score ({kind.upper()} {score}): call the customer back"
    if record.status in ("resolved", "closed"):
        workflow.transition(session, record.id, "reopened", None, reason)
        return
    begin_write(session)
    record = workflow.get_record(session, record.id, lock=True)
    workflow.add_history(session, record, "survey", None, reason)
    workflow.notify(session, [record.owner_id or 0], record, "survey_recovery", reason)
    session.commit()


def _alert_supervisors(session: Session, response: SurveyResponse) -> None:
    """A low score with no item behind it (an order survey): the supervisors are told, with the comment item."""
    from feedbackloop.workflow.services import notify

    begin_write(session)
    people = list(session.scalars(select(User.id).where(User.role == "supervisor", User.is_active.is_(True))))
    item = session.get(Feedback, response.comment_feedback_id) if response.comment_feedback_id else None
    title = (f"订单调查低分（{response.kind.upper()} {response.score}），请联系客户 / "
             f"A low order-survey score ({response.kind.upper()} {response.score}): contact the customer")
    notify(session, people, item, "survey_recovery", title, response.comment or "")
    session.commit()
