"""Large uploads imported in the background through Huey, with progress a client can poll.

The uploaded bytes travel through the queue's own storage (SQLite file or Redis), not a local path, so
the job runs on whichever worker machine picks it up. Job state lives in the same storage.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from feedbackloop.db import session_scope
from feedbackloop.errors import FeedbackLoopError, ImportFailed, NotFound
from feedbackloop.feedback.import_files import check_archive
from feedbackloop.feedback.importer import import_file, import_upload, parse_mapping_json, spool_upload
from feedbackloop.feedback.models import CHANNELS
from feedbackloop.lib.clock import clock
from feedbackloop.tasks import huey

__all__ = ["BACKGROUND_BYTES", "job_status", "start_job", "submit_upload"]

# Uploads above this size (about 5,000 review rows) are imported in the background.
BACKGROUND_BYTES = 1 << 20
# Progress is written to the queue storage at most this often (rows).
_PROGRESS_EVERY = 1000


def _state_key(job_id: str) -> str:
    return f"import-job:{job_id}"


def _file_key(job_id: str) -> str:
    return f"import-file:{job_id}"


def submit_upload(
    session: Session,
    upload: IO[bytes],
    filename: str,
    size: int | None,
    *,
    channel: str | None,
    mapping_json: str | None,
    user: str,
    background: bool | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Import now (small files) or queue a job (large ones, or when asked); returns (queued, JSON body)."""
    if background is None:
        background = size is None or size > BACKGROUND_BYTES
    if background:
        return True, start_job(upload, filename, channel=channel, mapping_json=mapping_json, user=user)
    report = import_upload(session, upload, filename, channel=channel, mapping_json=mapping_json)
    return False, report.as_dict()


def start_job(
    upload: IO[bytes], filename: str, *, channel: str | None, mapping_json: str | None, user: str
) -> dict[str, Any]:
    """Queue an import of the uploaded file; returns the job's initial state (status "queued")."""
    mapping = parse_mapping_json(mapping_json)
    channel = channel or "import"
    if channel not in CHANNELS:
        raise ImportFailed(f"未知渠道 '{channel}'，可用：{', '.join(CHANNELS)} / unknown channel '{channel}'")
    suffix = Path(filename or "upload").suffix.lower()[:10]
    with tempfile.TemporaryDirectory(prefix="fl-import-") as tmp:
        spooled = spool_upload(upload, Path(tmp) / "upload")
        # A zip bomb is refused now with 413, not after it has travelled through the queue.
        check_archive(spooled)
        data = spooled.read_bytes()
    job_id = uuid.uuid4().hex
    state = {
        "job_id": job_id,
        "status": "queued",
        "filename": filename,
        "user": user,
        "processed": 0,
        "total": None,
        "created_at": clock.now().isoformat(),
        "result": None,
        "error": None,
    }
    huey.put(_state_key(job_id), state)
    huey.put(_file_key(job_id), data)
    run_import_job(job_id, suffix, channel, mapping)
    return job_status(job_id)


def job_status(job_id: str) -> dict[str, Any]:
    """The current state of an import job: status, processed/total rows, and the report once done."""
    state = huey.get(_state_key(job_id), peek=True)
    if state is None:
        raise NotFound(f"导入任务 {job_id} 不存在或已过期 / import job {job_id} not found")
    return dict(state)


def _update(job_id: str, **changes: Any) -> None:
    state = huey.get(_state_key(job_id), peek=True) or {"job_id": job_id}
    state.update(changes)
    huey.put(_state_key(job_id), state)


@huey.task()
def run_import_job(job_id: str, suffix: str, channel: str, mapping: dict[str, str]) -> None:
    """Import a queued upload, recording progress and the final report in the job state."""
    data = huey.get(_file_key(job_id))
    if data is None:
        _update(
            job_id, status="failed", error={"code": "not_found", "message": "上传的文件已丢失, 请重新上传"}
        )
        return
    _update(job_id, status="running")
    last = [0]

    def progress(done: int, total: int | None) -> None:
        if done - last[0] >= _PROGRESS_EVERY or done == total:
            last[0] = done
            _update(job_id, processed=done, total=total)

    with tempfile.TemporaryDirectory(prefix="fl-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        del data
        try:
            with session_scope() as session:
                report = import_file(session, path, channel=channel, mapping=mapping, progress=progress)
        except FeedbackLoopError as exc:
            _update(job_id, status="failed", error=exc.to_dict()["error"])
            return
        except Exception:
            _update(
                job_id,
                status="failed",
                error={"code": "internal", "message": "导入出错，请重试 / import crashed"},
            )
            raise
    _update(
        job_id, status="done", processed=report.total_rows, total=report.total_rows, result=report.as_dict()
    )
