"""Database errors that are the caller's or the moment's, not a crash: a value the database cannot hold (422),
and a database too busy to answer in time (503 with Retry-After)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from feedbackloop.db import BUSY_MESSAGE
from feedbackloop.errors import DatabaseBusy

# PostgreSQL: lock_not_available (lock_timeout), query_canceled (statement_timeout), serialization_failure,
# deadlock_detected. SQLite says it in words.
BUSY_SQLSTATES = {"55P03", "57014", "40001", "40P01"}
# The server going away or not yet back: a restart (admin_shutdown 57P01, crash_shutdown 57P02,
# cannot_connect_now 57P03) or a broken connection (class 08). The request is answered 503; pre-ping
# replaces the pooled connection on the next one.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P")
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "busy or unreachable right now, retry later" (not a bug, not bad input)."""
    if isinstance(exc, DatabaseBusy | PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in BUSY_SQLSTATES or sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
    text = str(exc.orig).lower()
    # psycopg reports a refused or timed-out connection without a SQLSTATE: the database is unreachable.
    return any(words in text for words in SQLITE_BUSY) or "psycopg" in type(exc.orig).__module__


def busy_error(exc: BaseException) -> DatabaseBusy:
    """The product error for a busy database (keeps a DatabaseBusy as it is)."""
    return exc if isinstance(exc, DatabaseBusy) else DatabaseBusy(BUSY_MESSAGE)


def busy_response(exc: BaseException) -> JSONResponse:
    """503 in the one error shape, with Retry-After."""
    error = busy_error(exc)
    return JSONResponse(error.to_dict(), status_code=error.status, headers={"Retry-After": str(error.retry_after)})


def install(app: FastAPI) -> None:
    """DataError → 422 (SQLite accepts such values, PostgreSQL not); lock or connection timeouts → 503."""

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        message = "请求中的数值超出允许范围，请检查后重试 / a value in the request is out of range"
        return JSONResponse({"error": {"code": "validation_failed", "message": message}}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: Exception) -> JSONResponse:
        if not is_busy(exc):
            raise exc  # a real failure: the server error handler logs it and answers 500
        return busy_response(exc)
