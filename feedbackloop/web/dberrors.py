"""Values the database cannot hold (e.g. an id beyond PostgreSQL's integer range) are bad input, not a crash."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError


def install(app: FastAPI) -> None:
    """Render sqlalchemy DataError as 422 in the one error shape (SQLite accepts such values, PostgreSQL not)."""

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        message = "请求中的数值超出允许范围, 请检查后重试 / a value in the request is out of range"
        return JSONResponse({"error": {"code": "validation_failed", "message": message}}, status_code=422)
