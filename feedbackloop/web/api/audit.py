"""Audit log API (admin): browse entries, verify the chain — SPEC §9."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from feedbackloop import audit
from feedbackloop.web.deps import AdminUser, SessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    total: int


class UnauditedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    entity: str
    count: int
    sample_ids: list[str]
    message: str


class VerifyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ok: bool
    chain_ok: bool
    checked: int
    broken_seq: int | None
    reason: str
    unaudited: list[UnauditedOut]


@router.get("", response_model=AuditPage)
def list_entries(
    session: SessionDep,
    user: AdminUser,
    entity: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Entries newest first, filtered by entity, entity id or actor."""
    rows, total = audit.entries(session, entity=entity, entity_id=entity_id, actor=actor, page=page, per_page=per_page)
    return AuditPage(items=[AuditEntryPublic.model_validate(r) for r in rows], total=total)


@router.get("/verify", response_model=VerifyOut)
def verify_chain(session: SessionDep, user: AdminUser) -> VerifyOut:
    """Check the whole hash chain (names the first broken entry) and list records without a creation entry."""
    return VerifyOut.model_validate(audit.verify(session))
