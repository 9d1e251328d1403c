"""Verify and handle signed webhook deliveries.

A sender signs `<timestamp>.<raw body>` with HMAC-SHA256 under its source's secret and sends
`X-FeedbackLoop-Timestamp: <unix seconds>` and `X-FeedbackLoop-Signature: sha256=<hex>`. A delivery is
refused when the signature is wrong, the timestamp is more than five minutes away from now, or its event
id was already accepted (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.db import begin_write
from feedbackloop.errors import AuthenticationFailed, Conflict, ValidationFailed
from feedbackloop.feedback import services as feedback_services
from feedbackloop.feedback.schemas import FeedbackCreate
from feedbackloop.lib.clock import clock
from feedbackloop.webhooks.models import WebhookEvent, WebhookSource

WINDOW_SECONDS = 300
NAME = re.compile(r"^[a-z0-9_-]{2,50}$")
_REFUSED = "签名无效或来源未知，请检查密钥与时间戳 / invalid signature or unknown source"

# Event type → handler(session, source, event_id, data) → short result text. Features add theirs
# (e.g. surveys: "order.completed" → send a satisfaction survey) with register_handler(). A handler gets the
# session in a read transaction (the signature was checked with a short read) and calls begin_write() to write.
HANDLERS: dict[str, Callable[[Session, str, str, dict[str, Any]], str]] = {}


def register_handler(event_type: str, handler: Callable[[Session, str, str, dict[str, Any]], str]) -> None:
    """Let a feature handle an event type."""
    HANDLERS[event_type] = handler


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header value a sender computes."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def create_source(session: Session, actor: object, name: str) -> tuple[WebhookSource, str]:
    """A new webhook source with a random secret (returned to show once); audited; commits."""
    if not NAME.match(name):
        raise ValidationFailed("来源名只能包含小写字母、数字、- 和 _（2–50 位） / invalid source name")
    begin_write(session)
    if session.scalar(select(WebhookSource).where(WebhookSource.name == name)):
        raise Conflict(f"来源 '{name}' 已存在 / source already exists")
    secret = secrets.token_urlsafe(32)
    source = WebhookSource(name=name, secret=secret)
    session.add(source)
    session.flush()
    audit.record(session, actor, "webhook_source.create", "webhook_source", source.id, None, {"name": name})
    session.commit()
    return source, secret


def list_sources(session: Session) -> list[WebhookSource]:
    """Every webhook source (secrets are not shown again)."""
    return list(session.scalars(select(WebhookSource).order_by(WebhookSource.name)))


def _verify(session: Session, source: str, timestamp: str | None, signature: str | None, body: bytes) -> None:
    record = session.scalar(select(WebhookSource).where(WebhookSource.name == source))
    if record is None or not record.active or not timestamp or not signature or not timestamp.isdigit():
        raise AuthenticationFailed(_REFUSED, code="bad_signature")
    if not hmac.compare_digest(sign(record.secret, timestamp, body), signature):
        raise AuthenticationFailed(_REFUSED, code="bad_signature")
    if abs(clock.now().timestamp() - int(timestamp)) > WINDOW_SECONDS:
        raise AuthenticationFailed(
            "时间戳超出 5 分钟窗口，请同步时钟后重新签名 / timestamp outside the 5-minute window", code="stale_timestamp"
        )


def _parse(body: bytes) -> tuple[str, str, dict[str, Any]]:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("请求体不是有效的 JSON / body is not valid JSON") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str | int) or not isinstance(event.get("type"), str):
        raise ValidationFailed('事件需要 "id" 和 "type" 字段 / the event needs "id" and "type"')
    data = event.get("data") or {}
    if not isinstance(data, dict):
        raise ValidationFailed('"data" 必须是对象 / "data" must be an object')
    return str(event["id"])[:100], event["type"][:60], data


def receive(session: Session, source: str, timestamp: str | None, signature: str | None, body: bytes) -> dict[str, str]:
    """Verify one delivery, refuse replays, run the handler for its type; returns the outcome."""
    _verify(session, source, timestamp, signature, body)
    event_id, event_type, data = _parse(body)
    seen = select(WebhookEvent.id).where(WebhookEvent.source == source, WebhookEvent.event_id == event_id)
    if session.scalar(seen) is not None:
        raise Conflict(f"事件 {event_id} 已处理过（重放被拒绝） / event already received (replay refused)", code="replay")
    handler = HANDLERS.get(event_type)
    result = handler(session, source, event_id, data) if handler else "recorded (no handler for this type)"
    begin_write(session)
    try:
        session.add(WebhookEvent(source=source, event_id=event_id, type=event_type, result=result[:200]))
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"事件 {event_id} 已处理过（重放被拒绝） / event already received", code="replay") from exc
    return {"event_id": event_id, "type": event_type, "result": result}


def _feedback_event(session: Session, source: str, event_id: str, data: dict[str, Any]) -> str:
    """A review or complaint from a shop/CRM becomes a feedback item (idempotent by event id)."""
    fields = {k: v for k, v in data.items() if k in FeedbackCreate.model_fields and k not in ("channel", "external_id")}
    try:
        item = FeedbackCreate(channel="webhook", external_id=f"{source}:{event_id}", **fields)
    except ValidationError as exc:
        raise ValidationFailed(
            "事件数据不是有效的反馈 / event data is not a valid feedback item",
            details=[{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()],
        ) from exc
    record, _ = feedback_services.create_one(session, item)
    return f"feedback {record.id}"


register_handler("feedback.created", _feedback_event)
register_handler("review.created", _feedback_event)
