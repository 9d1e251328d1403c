"""Attachments of feedback: upload (type-checked, size-limited), list, download — SPEC §2, §9."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict

from feedbackloop.attachments import services
from feedbackloop.web.deps import DbId, SessionDep, StaffUser, WriterUser

router = APIRouter(prefix="/api/v1", tags=["attachments"])


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    feedback_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime


@router.post("/feedback/{feedback_id}/attachments", response_model=AttachmentPublic, status_code=201)
def upload_attachment(
    feedback_id: str, file: Annotated[UploadFile, File()], session: SessionDep, user: WriterUser
) -> object:
    """Attach a PNG, JPEG, PDF or UTF-8 text file (≤ 10 MiB) to a feedback item."""
    # A plain def: hashing, storing and the database work run in the threadpool, not on the event loop.
    # The upload is already spooled (memory or a temporary file), so reading it here is a local read.
    data = file.file.read(services.max_bytes() + 1)
    return services.add_attachment(session, user, feedback_id, file.filename, data)


@router.get("/feedback/{feedback_id}/attachments", response_model=list[AttachmentPublic])
def list_attachments(feedback_id: str, session: SessionDep, user: StaffUser) -> object:
    return services.list_for(session, feedback_id)


@router.get("/attachments/{attachment_id}")
def download_attachment(attachment_id: DbId, session: SessionDep, user: StaffUser) -> FileResponse:
    """The file, always as a download (never rendered inline by the browser)."""
    item, path = services.open_attachment(session, attachment_id)
    return FileResponse(
        path,
        media_type=item.content_type,
        filename=item.filename,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"},
    )
