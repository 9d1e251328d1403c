"""Upload of CSV / XLSX review exports (SPEC §3): the file is imported within the request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from feedbackloop.feedback.importer import import_upload
from feedbackloop.web.deps import SessionDep, WriterUser

router = APIRouter(prefix="/api/v1", tags=["imports"])


@router.post("/imports", status_code=200)
def upload_import(
    session: SessionDep,
    user: WriterUser,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 / GBK / GB18030) 或 XLSX 文件")],
    channel: Annotated[str | None, Form(description="默认渠道, 文件中的 渠道/平台 列优先")] = None,
    mapping: Annotated[str | None, Form(description='JSON 列映射, 如 {"评论内容": "content"}')] = None,
) -> dict[str, Any]:
    """Import a file; returns counts, every rejected row with its line and reason, the encoding and mapping."""
    report = import_upload(session, file.file, file.filename or "", channel=channel, mapping_json=mapping)
    return report.as_dict()
