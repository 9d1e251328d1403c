"""Privacy rules and the customer-data requests (export, erasure).

Erasure keeps the feedback rows (so counts, KPIs and the audit chain stay intact) but replaces every
personal field and all free text with "[已删除]", drops the analysis and deletes attachment files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.accounts.services import scope_allows
from feedbackloop.attachments.models import Attachment
from feedbackloop.attachments.services import storage_dir
from feedbackloop.audit.autolog import SKIP_KEY
from feedbackloop.db import begin_write
from feedbackloop.errors import NotFound, ValidationFailed
from feedbackloop.feedback import facets
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib.masking import mask_contact, mask_pii_in_text

ERASED = "[已删除]"
CONTACT_ROLES = ("admin", "csm")
# The token scope that carries contacts unmasked. "privacy" is one of the areas that only an `admin` token
# (everything its owner's role allows) or a login token ("*") reaches (accounts.services.ACCOUNT_AREAS): a
# narrow integration token such as feedback:read never gets customers' contacts in clear, whoever owns it.
CONTACT_SCOPE = "privacy:read"
# Personal or free-text fields of the record; erased on request.
PII_FIELDS = ("customer_name", "contact", "content", "expected_solution", "occurred", "problem_type_other")
EXPORT_FIELDS = (
    "id", "external_id", "channel", "touchpoint", "customer_name", "contact", "customer_type", "industry",
    "region", "received_at", "occurred", "problem_type", "product", "product_version", "module", "content",
    "expected_solution", "rating", "consent_public", "status",
)  # fmt: skip


def can_see_contact(user: object, scopes: list[str] | None = None) -> bool:
    """Whether this caller may see contacts unmasked: the role must be admin or customer-success manager, and
    a request made with an API token (`scopes`: its scopes; None outside a request) must hold CONTACT_SCOPE."""
    if getattr(user, "role", None) not in CONTACT_ROLES:
        return False
    return scopes is None or scope_allows(scopes, CONTACT_SCOPE)


def contact_for(user: object, value: str | None, scopes: list[str] | None = None) -> str:
    """The contact as this caller may see it: raw for admin/csm (within the token's scopes), masked otherwise."""
    return (value or "") if can_see_contact(user, scopes) else mask_contact(value)


def _by_contact(session: Session, contact: str) -> list[Feedback]:
    contact = contact.strip()
    if len(contact) < 3:
        raise ValidationFailed("请提供完整的联系方式（手机或邮箱） / give the full contact (phone or e-mail)")
    return list(session.scalars(select(Feedback).where(Feedback.contact == contact).order_by(Feedback.id)))


def export_customer(session: Session, actor: object, contact: str) -> dict[str, Any]:
    """Everything stored about the customer with this contact, as JSON-ready data; the export is audited."""
    items = _by_contact(session, contact)
    if not items:
        raise NotFound("没有该联系方式的反馈 / no feedback with this contact")
    ids = [i.id for i in items]
    files = session.scalars(select(Attachment).where(Attachment.feedback_id.in_(ids))).all()
    begin_write(session)
    audit.record(session, actor, "privacy.export", "customer", _subject(contact), None, {"feedback": ids})
    session.commit()
    return {
        "contact": contact,
        "feedback": [_export_row(i) for i in items],
        "attachments": [
            {"feedback_id": a.feedback_id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in files
        ],
    }


def _export_row(item: Feedback) -> dict[str, Any]:
    row: dict[str, Any] = {f: getattr(item, f) for f in EXPORT_FIELDS}
    row["received_at"] = item.received_at.isoformat()
    row["analysis"] = item.analysis
    return row


def _subject(contact: str) -> str:
    # Audit entries name the customer by a digest, so that the log keeps no erased personal data.
    return "sha256:" + hashlib.sha256(contact.strip().encode()).hexdigest()[:24]


# Called inside the erasure's transaction with the contact and the ids of the feedback items being erased:
# features that keep the person's data elsewhere (the idea board's voters, votes, subscriptions, codes) erase
# it too and say what they erased ({"votes": 2, …}, counts of zero left out). Registered by the features
# themselves; this module knows none of them.
erase_hooks: list[Callable[[Session, str, list[str]], dict[str, int]]] = []


def erase_customer(session: Session, actor: object, contact: str) -> dict[str, Any]:
    """Replace the customer's personal data and texts with "[已删除]" everywhere (their feedback, and what the
    features behind `erase_hooks` keep: someone who only voted or subscribed is found too); audited; commits.
    Returns {"feedback": [ids], "other": {what: count}}; 404 when nothing is stored for the contact."""
    begin_write(session)
    items = _by_contact(session, contact)
    ids = [i.id for i in items]
    # One erasure entry below instead of per-field before/after, which would keep masked traces of the data.
    session.info[SKIP_KEY] = True
    try:
        for item in items:
            for field in PII_FIELDS:
                if getattr(item, field) is not None:
                    setattr(item, field, ERASED)
            item.analysis = null()  # SQL NULL: a JSON null would pass every `analysis IS NOT NULL` reader
            item.consent_public = False
            item.status_token = None  # the status link opens nothing and votes no more
        facets.drop(session, ids)  # keywords and aspects come from the erased text
        for attachment in session.scalars(select(Attachment).where(Attachment.feedback_id.in_(ids))):
            (storage_dir() / attachment.stored_name).unlink(missing_ok=True)
            session.delete(attachment)
        other: dict[str, int] = {}
        for hook in erase_hooks:
            for what, count in hook(session, contact, ids).items():
                if count:
                    other[what] = other.get(what, 0) + count
        if not ids and not other:
            session.rollback()
            raise NotFound("没有该联系方式的反馈、投票、关注或验证码，请核对手机号或邮箱 / nothing is stored for this "
                           "contact (no feedback, votes, subscriptions or codes); check the phone number or e-mail")
        after: dict[str, Any] = {"erased": True, **({"other": other} if other else {})}
        audit.record(session, actor, "privacy.erase", "customer", _subject(contact), {"feedback": ids}, after)
        session.commit()
    finally:
        session.info.pop(SKIP_KEY, None)
    return {"feedback": ids, "other": other}


def _initial(name: str | None) -> str:
    """"张三" → "张*": enough to feel personal, not enough to identify."""
    name = (name or "").strip()
    return name[0] + "*" * max(1, len(name) - 1) if name else "匿名"


def public_quotes(session: Session, limit: int = 20) -> list[dict[str, str]]:
    """Praise that customers agreed to have quoted: consented, positive, with names and contacts masked."""
    rows = session.scalars(
        select(Feedback)
        .where(Feedback.consent_public.is_(True), Feedback.sentiment == "positive")
        .order_by(Feedback.received_at.desc())
        .limit(limit)
    )
    return [
        {"id": r.id, "quote": mask_pii_in_text(r.content), "customer": _initial(r.customer_name)}
        for r in rows
        if r.content != ERASED
    ]
