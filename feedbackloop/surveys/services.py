"""Surveys (SPEC §7): definitions, invitations with a quiet period and expiry, and delivery by e-mail.

Plain functions over a session. `invite` does not commit (bulk sends share one unit of work); the public
wrappers do. Answers and recovery are in surveys/answers.py."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.config import get_settings
from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.clock import clock
from feedbackloop.privacy.services import ERASED
from feedbackloop.surveys.models import DEFAULT_QUESTIONS, KINDS, Survey, SurveyInvitation

FCR_FOLLOWUP = {"key": "fcr", "kind": "yes_no", "text_zh": "问题一次就解决了吗？", "text_en": "Was your problem solved the first time?"}
COMMENT_MAX = 2000

# Called in the transaction that sends or answers an invitation, with the moments that changed
# (answered=…, sent=…). The KPI daily rows register here (insight/tasks.py), so this package does not
# import insight, which reads the survey tables.
change_hooks: list[Callable[..., None]] = []


def survey_changed(session: Session, *, answered: datetime | None = None, sent: datetime | None = None) -> None:
    for hook in change_hooks:
        hook(session, answered=answered, sent=sent)



class Gone(Conflict):
    """The link existed but can no longer be used (expired, or the customer's data was erased)."""

    status = 410
    code = "gone"


# --- Definitions --------------------------------------------------------------------------------------------


def list_surveys(session: Session) -> list[Survey]:
    """Every survey definition, newest first."""
    return list(session.scalars(select(Survey).order_by(Survey.id.desc())))


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"问卷 {survey_id} 不存在 / survey {survey_id} not found")
    return survey


def save_survey(session: Session, data: dict[str, Any], survey_id: int | None) -> Survey:
    """Create (survey_id None) or update a definition; the kind (its scale) cannot change once created. Commits."""
    begin_write(session)
    if survey_id is None:
        kind = data["kind"]
        zh, en = DEFAULT_QUESTIONS[kind]
        survey = Survey(kind=kind, question_zh=zh, question_en=en, followups=[], channels=[], team_ids=[])
        session.add(survey)
    else:
        survey = get_survey(session, survey_id)
        if data.get("kind") not in (None, survey.kind):
            raise ValidationFailed(
                "问卷类型（量表）创建后不能修改，请新建问卷 / a survey's kind cannot change; create a new survey"
            )
    for key in ("name", "question_zh", "question_en", "followups", "active", "on_resolve", "on_order",
                "channels", "team_ids"):  # fmt: skip
        if data.get(key) is not None:
            setattr(survey, key, data[key])
    session.flush()
    session.commit()
    return survey


# --- Invitations --------------------------------------------------------------------------------------------


def customer_key(contact: str | None, fallback: str) -> str:
    """A digest of the normalised contact (phone digits, lower-case e-mail); `fallback` when there is none."""
    value = (contact or "").strip().lower()
    if value and "@" not in value:
        value = re.sub(r"\D", "", value)[-11:]
    if not value:
        return f"anon:{fallback}"[:64]
    return hashlib.sha256(value.encode()).hexdigest()


def _erased(record: Feedback) -> bool:
    return ERASED in (record.contact, record.content, record.customer_name)


@dataclass
class Customer:
    """Who an order survey goes to (no feedback item behind it)."""

    contact: str | None
    name: str | None = None
    customer_type: str | None = None
    product: str | None = None
    channel: str | None = None


@dataclass
class Subject:
    """What the invitation is about: a feedback item, or an order."""

    key: str
    record: Feedback | None = None
    customer: Customer | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_item(cls, record: Feedback) -> Subject:
        snap = {"channel": record.channel, "team_id": record.team_id, "agent_id": record.owner_id,
                "problem_type": record.problem_type, "product": record.product,
                "customer_type": record.customer_type}  # fmt: skip
        return cls(record.id, record, None, snap)

    @classmethod
    def of_order(cls, ref: str, customer: Customer) -> Subject:
        snap = {"channel": customer.channel, "product": customer.product, "customer_type": customer.customer_type}
        return cls(f"order:{ref}"[:120], None, customer, snap)

    @property
    def contact(self) -> str | None:
        return self.record.contact if self.record else (self.customer.contact if self.customer else None)


def _refuse_quiet(session: Session, key: str, now: datetime) -> None:
    days = get_settings().survey_quiet_days
    if not days or key.startswith("anon:"):
        return
    recent = exists().where(SurveyInvitation.customer_key == key, SurveyInvitation.sent_at > now - timedelta(days=days))
    if session.scalar(select(recent)):
        raise Conflict(
            f"该客户在 {days} 天内已收到过调查（免打扰期），本次不再发送 / "
            f"this customer was surveyed in the last {days} days (quiet period)",
            code="quiet_period",
        )


def invite(session: Session, survey: Survey, subject: Subject, trigger: str, actor: object = None) -> SurveyInvitation:
    """One invitation for (customer, survey, item or order), unless refused: inactive survey, erased
    customer, already invited, or inside the customer's quiet period. Does not commit."""
    if not survey.active:
        raise Conflict(f"问卷「{survey.name}」已停用 / survey is not active", code="survey_inactive")
    if subject.record is not None and _erased(subject.record):
        raise Gone("该客户的数据已按要求删除，不能再发送调查 / this customer's data was erased", code="customer_erased")
    now = clock.now()
    key = customer_key(subject.contact, subject.key)
    once = select(SurveyInvitation.id).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.customer_key == key,
        SurveyInvitation.subject == subject.key,
    )  # fmt: skip
    if session.scalar(once) is not None:
        raise Conflict("已为这位客户和这条反馈发送过此问卷 / already invited for this item", code="already_invited")
    _refuse_quiet(session, key, now)
    email = subject.contact if subject.contact and "@" in subject.contact else None
    invitation = SurveyInvitation(
        survey_id=survey.id, kind=survey.kind, token=secrets.token_urlsafe(24), customer_key=key,
        subject=subject.key, feedback_id=subject.record.id if subject.record else None, trigger=trigger,
        email=email, sent_at=now, expires_at=now + timedelta(days=get_settings().survey_expiry_days),
        **subject.snapshot,
    )  # fmt: skip
    session.add(invitation)
    session.flush()
    survey_changed(session, sent=invitation.sent_at)  # the response rate's daily rows, same transaction
    audit.record(session, actor, "survey_invitation.create", "survey_invitation", invitation.id, None,
                 {"survey_id": survey.id, "subject": subject.key, "trigger": trigger})  # fmt: skip
    return invitation


def survey_url(invitation: SurveyInvitation) -> str:
    """The public link of an invitation."""
    return f"{get_settings().link_base()}/survey/{invitation.token}"


def invite_item(session: Session, survey_id: int, feedback_id: str, trigger: str, actor: object = None) -> SurveyInvitation:
    """Invite the customer of one item (by hand or on resolution). Commits; 409 with the reason if refused."""
    begin_write(session)
    survey = get_survey(session, survey_id)
    record = session.get(Feedback, feedback_id)
    if record is None:
        raise NotFound(f"反馈 {feedback_id} 不存在 / feedback {feedback_id} not found")
    invitation = invite(session, survey, Subject.of_item(record), trigger, actor)
    session.commit()
    return invitation


@dataclass
class BulkResult:
    created: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "skipped": self.skipped}


def invite_many(session: Session, survey_id: int, ids: list[str], actor: object = None) -> BulkResult:
    """Invite the customers of many items (a filtered list); refusals are counted by reason. Commits."""
    begin_write(session)
    survey = get_survey(session, survey_id)
    out = BulkResult()
    for record in session.scalars(select(Feedback).where(Feedback.id.in_(ids))):
        try:
            with session.begin_nested():
                out.created.append(invite(session, survey, Subject.of_item(record), "bulk", actor).id)
        except Conflict as exc:
            out.skipped[exc.code] = out.skipped.get(exc.code, 0) + 1
    session.commit()
    return out


def resolve_survey_for(session: Session, record: Feedback) -> Survey | None:
    """The active resolve-triggered survey for this item's channel and team (the oldest matching one)."""
    for survey in session.scalars(
        select(Survey).where(Survey.active.is_(True), Survey.on_resolve.is_(True)).order_by(Survey.id)
    ):
        if survey.channels and record.channel not in survey.channels:
            continue
        if survey.team_ids and record.team_id not in survey.team_ids:
            continue
        return survey
    return None


def on_resolved(session: Session, feedback_id: str) -> SurveyInvitation | None:
    """The resolve trigger: invite the customer if a survey applies and no rule refuses. Commits."""
    begin_write(session)
    record = session.get(Feedback, feedback_id)
    if record is None or record.status not in ("resolved", "closed"):
        return None
    survey = resolve_survey_for(session, record)
    if survey is None:
        return None
    try:
        invitation = invite(session, survey, Subject.of_item(record), "resolve")
    except Conflict:
        session.rollback()
        return None
    session.commit()
    return invitation


def on_order_completed(session: Session, ref: str, customer: Customer) -> list[SurveyInvitation]:
    """The order.completed trigger: every active order survey invites the buyer, quiet period permitting. Commits."""
    begin_write(session)
    made = []
    for survey in session.scalars(select(Survey).where(Survey.active.is_(True), Survey.on_order.is_(True))):
        try:
            with session.begin_nested():
                made.append(invite(session, survey, Subject.of_order(ref, customer), "order"))
        except Conflict:
            continue
    session.commit()
    return made


def open_invitation_for(session: Session, feedback_id: str) -> SurveyInvitation | None:
    """The item's newest unanswered, unexpired invitation (shown on the customer's status page)."""
    return session.scalar(
        select(SurveyInvitation)
        .where(SurveyInvitation.feedback_id == feedback_id, SurveyInvitation.answered_at.is_(None),
               SurveyInvitation.expires_at > clock.now())
        .order_by(SurveyInvitation.id.desc())
        .limit(1)
    )  # fmt: skip


def by_token(session: Session, token: str) -> tuple[SurveyInvitation, Survey]:
    """The invitation behind a public link, and its survey (404 if there is none)."""
    invitation = session.scalar(select(SurveyInvitation).where(SurveyInvitation.token == token)) if token else None
    if invitation is None:
        raise NotFound("调查链接无效 / this survey link is not valid")
    return invitation, get_survey(session, invitation.survey_id)


def mail_body(survey: Survey, invitation: SurveyInvitation, name: str | None) -> tuple[str, str]:
    """Subject and text of the invitation mail (zh-CN first, English below)."""
    url = survey_url(invitation)
    subject = "邀请您评价我们的服务 / How did we do?"
    body = (
        f"{name or '尊敬的客户'} 您好:\n\n{survey.question_zh}\n请花 1 分钟告诉我们: {url}\n"
        f"链接 {get_settings().survey_expiry_days} 天内有效。\n\n{survey.question_en}\nOne minute: {url}\n"
    )
    return subject, body


def deliver(session: Session, invitation_id: int) -> bool:
    """E-mail the invitation through the SMTP path (on the item's conversation when there is one). Commits."""
    from feedbackloop.workflow import mail
    from feedbackloop.workflow.models import Reply

    invitation = session.get(SurveyInvitation, invitation_id)
    if invitation is None or invitation.emailed_at or invitation.answered_at:
        return False
    survey = get_survey(session, invitation.survey_id)
    record = session.get(Feedback, invitation.feedback_id) if invitation.feedback_id else None
    to = record.contact if record else invitation.email
    if not mail.is_email(to):
        return False  # phone-only: the link is on the status page (and can go out by SMS or a QR code)
    subject, body = mail_body(survey, invitation, record.customer_name if record else None)
    if record is not None:
        reply = Reply(feedback_id=record.id, direction="out", kind="notice", to_addr=to,
                      subject=mail.subject_for(record, subject), body=body, state="queued", created_at=clock.now())  # fmt: skip
        session.add(reply)
        session.flush()
        sent = mail.deliver_reply(session, reply.id).state == "sent"
    else:
        try:
            mail.send(to or "", subject, body)
            sent = True
        except OSError:
            sent = False
    if sent:
        invitation.emailed_at = clock.now()
    session.commit()
    return sent


def stats(session: Session) -> dict[int, dict[str, int]]:
    """Invitations sent and answered per survey."""
    from sqlalchemy import func

    rows = session.execute(
        select(SurveyInvitation.survey_id, func.count(), func.count(SurveyInvitation.answered_at)).group_by(
            SurveyInvitation.survey_id
        )
    )
    return {sid: {"sent": sent, "answered": answered} for sid, sent, answered in rows}


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed(f"未知问卷类型 '{kind}'，可用：csat, nps, ces / unknown survey kind")
