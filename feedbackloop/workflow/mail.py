"""Email: replies out through SMTP (smtplib), mail in through an aiosmtpd listener (issue 5.7).

Outgoing mail carries "[FB…]" in the subject and a Message-ID we keep, so that the customer's answer threads
onto the item by subject token or by In-Reply-To/References."""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.analysis import markup
from feedbackloop.config import get_settings
from feedbackloop.db import begin_write, session_scope
from feedbackloop.feedback import services as feedback_services
from feedbackloop.feedback.models import Feedback
from feedbackloop.feedback.schemas import FeedbackCreate
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.models import Reply
from feedbackloop.workflow.services import add_history, notify, transition

log = logging.getLogger(__name__)
FB_TOKEN = re.compile(r"\[(FB\d{8,})\]")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_BODY = 10_000


def is_email(value: str | None) -> bool:
    return bool(value and EMAIL_RE.match(value.strip()))


def subject_for(record: Feedback, text: str) -> str:
    return f"[{record.id}] {text}" if f"[{record.id}]" not in text else text


def send(
    to: str, subject: str, body: str, *, message_id: str | None = None, in_reply_to: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (), unsubscribe: str | None = None,
) -> str:
    """Send one plain-text mail through the configured SMTP server; returns its Message-ID.

    `attachments` are (filename, MIME type, bytes), e.g. a scheduled report's PDF; `unsubscribe` the page of a
    notice's unsubscribe link, also given as List-Unsubscribe (RFC 2369) for the mail client's own button."""
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain=settings.mail_from.split("@")[-1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg.set_content(body)
    for filename, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        smtp.send_message(msg)
    return str(msg["Message-ID"])


def deliver_reply(session: Session, reply_id: int) -> Reply:
    """Send a queued reply and record the outcome (sent, or failed with the reason); commits."""
    reply = session.get(Reply, reply_id)
    if reply is None or reply.state not in ("queued", "failed"):
        return reply  # type: ignore[return-value]  # None only if the row was erased since it was queued
    last_in = session.scalar(
        select(Reply.message_id)
        .where(Reply.feedback_id == reply.feedback_id, Reply.direction == "in", Reply.message_id.is_not(None))
        .order_by(Reply.id.desc())
        .limit(1)
    )
    try:
        reply.message_id = send(
            reply.to_addr or "",
            reply.subject or "",
            reply.body,
            message_id=reply.message_id,
            in_reply_to=last_in,
        )
        reply.state, reply.sent_at, reply.error = "sent", clock.now(), None
    except (OSError, smtplib.SMTPException) as exc:
        reply.state, reply.error = "failed", f"{type(exc).__name__}: {exc}"
        log.warning("reply %s to %s failed: %s", reply.id, reply.to_addr, exc)
    session.commit()
    return reply


# --- Inbound ----------------------------------------------------------------------------------------------


def _text_of(msg: Any) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = markup.to_text(text)
    # Drop the quoted earlier mail below the customer's answer.
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(">")]
    return "\n".join(lines).strip()[:MAX_BODY]


def _thread_target(session: Session, subject: str, refs: list[str]) -> Feedback | None:
    match = FB_TOKEN.search(subject or "")
    if match:
        record = session.get(Feedback, match.group(1))
        if record is not None:
            return record
    if refs:
        fid = session.scalar(select(Reply.feedback_id).where(Reply.message_id.in_(refs)).limit(1))
        if fid:
            return session.get(Feedback, fid)
    return None


def handle_inbound(session: Session, raw: bytes) -> tuple[str, str]:
    """Turn one mail into new feedback, or thread it onto the item it answers. Returns (action, feedback id)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    name, addr = parseaddr(str(msg.get("From", "")))
    subject = str(msg.get("Subject", "") or "")
    message_id = str(msg.get("Message-ID", "") or "").strip() or None
    refs = re.findall(r"<[^>]+>", f"{msg.get('In-Reply-To', '')} {msg.get('References', '')}")
    body = _text_of(msg)
    if message_id and session.scalar(select(Reply.id).where(Reply.message_id == message_id)):
        fid = session.scalar(select(Reply.feedback_id).where(Reply.message_id == message_id))
        return "duplicate", str(fid)
    target = _thread_target(session, subject, refs)
    if target is not None:
        return "threaded", _thread(session, target, addr, subject, body, message_id, refs)
    content = (f"{subject}\n{body}" if subject and subject not in body else body or subject or "(空邮件)")[
        :MAX_BODY
    ]
    item = FeedbackCreate(
        content=content,
        channel="email",
        external_id=message_id,
        contact=addr or None,
        customer_name=name or None,
    )
    record, _ = feedback_services.create_one(session, item)
    return "created", record.id


def _thread(
    session: Session,
    record: Feedback,
    addr: str,
    subject: str,
    body: str,
    message_id: str | None,
    refs: list[str],
) -> str:
    begin_write(session)
    session.add(
        Reply(
            feedback_id=record.id,
            direction="in",
            kind="email",
            from_addr=addr,
            subject=subject[:300],
            body=body or "(空)",
            message_id=message_id,
            in_reply_to=refs[0] if refs else None,
            state="received",
            created_at=clock.now(),
        )
    )
    add_history(session, record, "inbound", None, f"客户来信：{addr} / Mail from the customer: {addr}")
    notify(
        session,
        [record.owner_id or 0],
        record,
        "customer_reply",
        f"客户回复了 {record.id} / customer replied",
    )
    session.commit()
    if record.status == "waiting_customer":
        transition(session, record.id, "in_progress", None, "客户已回复，恢复计时 / customer replied")
    return record.id


class InboundHandler:
    """aiosmtpd handler: every DATA becomes feedback or a threaded answer."""

    async def handle_DATA(self, server: Any, smtp_session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        try:
            action, fid = await asyncio.to_thread(process_raw, raw)
        except Exception:  # a broken mail must not kill the listener; the sender gets a 451 and retries
            log.exception("inbound mail failed")
            return "451 Requested action aborted: local error in processing"
        log.info("inbound mail %s → %s", action, fid)
        return "250 Message accepted for delivery"


def process_raw(raw: bytes) -> tuple[str, str]:
    """Handle one raw mail in its own unit of work."""
    with session_scope() as session:
        return handle_inbound(session, raw)
