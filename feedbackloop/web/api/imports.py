"""Upload of CSV / XLSX review exports (SPEC §3): small files are imported within the request (200 with
the report), large ones in the background (202 with a job id to poll at GET /api/v1/imports/{job_id})."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile

from feedbackloop.feedback import import_jobs
from feedbackloop.web.deps import SessionDep, WriterUser

router = APIRouter(prefix="/api/v1", tags=["imports"])


@router.post(
    "/imports", status_code=200, responses={202: {"description": "已排队，用 job_id 查询进度 / queued"}}
)
def upload_import(
    session: SessionDep,
    user: WriterUser,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 / GBK / GB18030) 或 XLSX 文件")],
    channel: Annotated[str | None, Form(description="默认渠道, 文件中的 渠道/平台 列优先")] = None,
    mapping: Annotated[str | None, Form(description='JSON 列映射, 如 {"评论内容": "content"}')] = None,
    background: Annotated[bool | None, Form(description="后台导入; 默认按文件大小 (>1 MB) 决定")] = None,
) -> dict[str, Any]:
    """Import a file: counts, every rejected row with its line and reason, the encoding and mapping."""
    queued, body = import_jobs.submit_upload(
        session,
        file.file,
        file.filename or "",
        file.size,
        channel=channel,
        mapping_json=mapping,
        user=user.username,
        background=background,
    )
    if queued:
        response.status_code = 202
    return body


@router.get("/imports/{job_id}")
def import_status(job_id: str, user: WriterUser) -> dict[str, Any]:
    """A background import: status (queued/running/done/failed), processed/total rows, and the report."""
    return import_jobs.job_status(job_id)
