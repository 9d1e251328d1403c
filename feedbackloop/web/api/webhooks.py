"""Signed inbound webhooks (public, HMAC-verified) and their sources (admin) — SPEC §3, §9."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from feedbackloop.web.deps import AdminUser, RawBody, ReadSessionDep, SessionDep
from feedbackloop.web.ratelimit import limit_unverified
from feedbackloop.webhooks import services

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=50, pattern=r"^[a-z0-9_-]+$")


class SourcePublic(BaseModel):
    name: str
    active: bool


class SourceCreated(SourcePublic):
    secret: str = Field(description="签名密钥，只显示这一次 / signing secret, shown once")


class DeliveryOut(BaseModel):
    event_id: str
    type: str
    result: str


@router.post("/webhooks/{source}", response_model=DeliveryOut, status_code=202, tags=["public"])
def receive_webhook(
    request: Request,
    session: ReadSessionDep,
    body: RawBody,
    source: Annotated[str, Path(max_length=50)],
    x_feedbackloop_timestamp: Annotated[str | None, Header(max_length=20)] = None,
    x_feedbackloop_signature: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, str]:
    """One signed event: `X-FeedbackLoop-Signature: sha256=HMAC(secret, "<timestamp>." + body)`."""
    # A plain def (threadpool) with a reader session: anybody can call this, so a forged delivery gets a short
    # read to check its signature and never waits for, or holds, the write lock; nor does it block the loop.
    # Signed partners are not throttled by the public budget; only deliveries that fail the check count.
    return limit_unverified(
        request,
        lambda: services.receive(session, source, x_feedbackloop_timestamp, x_feedbackloop_signature, body),
    )


@router.post("/webhook-sources", response_model=SourceCreated, status_code=201)
def create_source(body: SourceCreate, session: SessionDep, user: AdminUser) -> dict[str, object]:
    """Register a sender; its signing secret is in this response only."""
    source, secret = services.create_source(session, user, body.name)
    return {"name": source.name, "active": source.active, "secret": secret}


@router.get("/webhook-sources", response_model=list[SourcePublic])
def list_sources(session: SessionDep, user: AdminUser) -> object:
    return [{"name": s.name, "active": s.active} for s in services.list_sources(session)]
