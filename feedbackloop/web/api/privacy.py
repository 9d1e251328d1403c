"""Privacy API: raw contact for allowed roles, customer-data export and erasure, public quotes — SPEC §9."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from feedbackloop import privacy
from feedbackloop.errors import PermissionDenied, ValidationFailed
from feedbackloop.feedback import services as feedback_services
from feedbackloop.web.deps import AdminUser, SessionDep, require_role, sees_contacts, token_scopes
from feedbackloop.web.ratelimit import limit_public

router = APIRouter(prefix="/api/v1", tags=["privacy"])
ContactViewer = Depends(require_role(*privacy.services.CONTACT_ROLES))


class ContactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: str = Field(min_length=3, max_length=200, description="客户的手机或邮箱 (与登记时一致)")


class EraseRequest(ContactRequest):
    confirm: bool = Field(description="必须为 true / must be true")


class ContactOut(BaseModel):
    id: str
    contact: str


class Quote(BaseModel):
    id: str
    quote: str
    customer: str


@router.get("/feedback/{feedback_id}/contact", response_model=ContactOut)
def reveal_contact(request: Request, feedback_id: str, session: SessionDep, user: Any = ContactViewer) -> ContactOut:
    """The unmasked contact of one item (admin and customer-success managers; an API token needs the `admin`
    scope: a feedback:read token is refused)."""
    if not sees_contacts(request, user):
        raise PermissionDenied(
            "此令牌不能查看客户联系方式：需要带 admin 权限范围的令牌，或登录网页查看 / this token may not reveal "
            "contacts: use a token with the 'admin' scope, or the web UI", code="insufficient_scope")  # fmt: skip
    record = feedback_services.get(session, feedback_id)
    return ContactOut(id=record.id, contact=privacy.contact_for(user, record.contact, token_scopes(request)))


@router.post("/privacy/export")
def export_customer(body: ContactRequest, session: SessionDep, user: Any = ContactViewer) -> dict[str, Any]:
    """Everything stored about one customer (by contact), for a data-access request."""
    return privacy.export_customer(session, user, body.contact)


@router.post("/privacy/erase")
def erase_customer(body: EraseRequest, session: SessionDep, user: AdminUser) -> dict[str, Any]:
    """Erase a customer's personal data and texts (replaced by "[已删除]"); the erasure is audited. Finds the
    customer by their feedback and by what they did on the idea board (votes, subscriptions, codes), and answers
    what it erased: `erased` (the feedback ids) and `other` (e.g. {"votes": 2, "subscriptions": 1})."""
    if not body.confirm:
        raise ValidationFailed('请确认删除："confirm": true / confirm the erasure with "confirm": true')
    done = privacy.erase_customer(session, user, body.contact)
    return {"erased": done["feedback"], "other": done["other"]}


@router.get("/public/quotes", response_model=list[Quote], tags=["public"])
def public_quotes(session: SessionDep, request: Request) -> list[dict[str, str]]:
    """Praise that customers agreed to have quoted publicly (rate-limited)."""
    limit_public(request)
    return privacy.public_quotes(session)
