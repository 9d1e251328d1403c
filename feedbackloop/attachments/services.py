"""Store, list and read attachments safely: generated file names, magic-byte type allowlist, size limit."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.attachments.models import Attachment
from feedbackloop.config import get_settings
from feedbackloop.db import begin_write
from feedbackloop.errors import NotFound, PayloadTooLarge, ValidationFailed
from feedbackloop.feedback.models import Feedback

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Type by content, never by the name or the client's Content-Type: (magic prefix, MIME type, extension).
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"%PDF-", "application/pdf", "pdf"),
]
ALLOWED = "PNG, JPEG, PDF, TXT"


def storage_dir() -> Path:
    """Where attachment files live (var/attachments)."""
    path = get_settings().var_dir / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_bytes() -> int:
    return min(MAX_ATTACHMENT_BYTES, get_settings().max_upload_bytes)


def detect_type(data: bytes) -> tuple[str, str]:
    """(MIME type, extension) from the bytes themselves; ValidationFailed for anything not allowed."""
    for magic, mime, ext in _MAGIC:
        if data.startswith(magic):
            return mime, ext
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        return "text/plain", "txt"
    raise ValidationFailed(
        f"不支持的文件类型，仅允许 {ALLOWED} / file type not allowed, only {ALLOWED}", code="unsupported_type"
    )


def clean_filename(name: str | None) -> str:
    """The client's file name for display only; names that try to climb directories are refused."""
    name = (name or "").strip()
    if not name or "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise ValidationFailed(f"文件名不合法：{name!r}，请使用不含路径的文件名 / invalid file name")
    if any(unicodedata.category(c).startswith("C") for c in name) or len(name) > 200:
        raise ValidationFailed("文件名含有控制字符或过长 / file name has control characters or is too long")
    return name


def add_attachment(session: Session, actor: object, feedback_id: str, filename: str | None, data: bytes) -> Attachment:
    """Check and store one file for a feedback item; audited; commits."""
    if len(data) > max_bytes():
        raise PayloadTooLarge(f"附件过大，上限 {max_bytes() // (1024 * 1024)} MiB / attachment too large")
    if not data:
        raise ValidationFailed("附件为空 / the file is empty")
    name = clean_filename(filename)
    mime, ext = detect_type(data)
    begin_write(session)
    if session.get(Feedback, feedback_id) is None:
        raise NotFound(f"反馈 {feedback_id} 不存在 / feedback {feedback_id} not found")
    stored = f"{secrets.token_hex(16)}.{ext}"
    (storage_dir() / stored).write_bytes(data)
    item = Attachment(
        feedback_id=feedback_id,
        filename=name,
        stored_name=stored,
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=str(getattr(actor, "username", actor)),
    )
    session.add(item)
    session.flush()
    after = {"feedback_id": feedback_id, "filename": name, "content_type": mime, "size": len(data)}
    audit.record(session, actor, "attachment.create", "attachment", item.id, None, after)
    session.commit()
    return item


def list_for(session: Session, feedback_id: str) -> list[Attachment]:
    """A feedback item's attachments, oldest first."""
    return list(session.scalars(select(Attachment).where(Attachment.feedback_id == feedback_id).order_by(Attachment.id)))


def open_attachment(session: Session, attachment_id: int) -> tuple[Attachment, Path]:
    """The attachment record and the path of its bytes."""
    item = session.get(Attachment, attachment_id)
    path = storage_dir() / item.stored_name if item else None
    if item is None or path is None or not path.is_file():
        raise NotFound(f"附件 {attachment_id} 不存在 / attachment not found")
    return item, path
