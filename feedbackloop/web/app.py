"""The ASGI application: routers, error rendering, start-up (migrations, first admin, queue)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from feedbackloop import __version__
from feedbackloop.bootstrap import prepare_database
from feedbackloop.config import get_settings
from feedbackloop.errors import FeedbackLoopError
from feedbackloop.lib.humanize import CJK
from feedbackloop.tasks import load_task_modules
from feedbackloop.web import dberrors, docs
from feedbackloop.web.api import (
    accounts,
    analysis,
    attachments,
    audit,
    auth,
    dashboard,
    exports,
    feedback,
    ideas,
    imports,
    improvements,
    kpis,
    metrics,
    privacy,
    reports,
    surveys,
    tokens,
    webhooks,
    workflow,
)
from feedbackloop.web.bodylimit import BodySizeLimit
from feedbackloop.web.pages import admin_audit, admin_tokens, admin_users
from feedbackloop.web.pages import dashboard as dashboard_pages
from feedbackloop.web.pages import ideas as idea_pages
from feedbackloop.web.pages import improvements as improvement_pages
from feedbackloop.web.pages import kpis as kpi_pages
from feedbackloop.web.pages import reports as report_pages
from feedbackloop.web.pages import router as pages_router
from feedbackloop.web.pages import surveys as survey_pages
from feedbackloop.web.pages import workflow as workflow_pages
from feedbackloop.web.pages.common import error_page
from feedbackloop.web.timing import RequestTiming

API_ROUTERS = [auth, exports, feedback, analysis, imports, accounts, tokens, audit, privacy, webhooks, attachments,
               workflow, improvements, dashboard, reports, surveys, kpis, ideas, metrics]  # exports before feedback, whose /feedback/{feedback_id} takes "export"
PAGE_ROUTERS = [workflow_pages, improvement_pages, admin_users, admin_tokens, admin_audit, dashboard_pages,
                report_pages, survey_pages, kpi_pages, idea_pages]

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


def _error(
    status: int, code: str, message: str, details: object = None, retry_after: int | None = None
) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


# Pydantic's error types in Chinese, for the Chinese side of a 422 (the English side keeps pydantic's words).
_ZH_ERRORS = {
    "missing": "缺少此项", "extra_forbidden": "不认识此字段", "json_invalid": "不是有效的 JSON",
    "list_type": "应为列表", "dict_type": "应为对象", "string_type": "应为文本", "int_type": "应为整数",
    "int_parsing": "应为整数", "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false", "literal_error": "不是可选的值之一", "enum": "不是可选的值之一",
    "string_too_long": "太长", "string_too_short": "太短", "too_long": "项数太多", "too_short": "项数太少",
    "greater_than_equal": "太小", "greater_than": "太小", "less_than_equal": "太大", "less_than": "太大",
    "date_parsing": "应为日期 YYYY-MM-DD", "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "datetime_parsing": "应为时间，例如 2024-03-01T12:00:00+08:00", "datetime_from_date_parsing": "应为时间",
    "string_pattern_mismatch": "格式不对", "value_error": "取值无效", "uuid_parsing": "格式不对",
}


def _field_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        out.append({"field": ".".join(loc), "message": str(err.get("msg", "")).removeprefix("Value error, ")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Render every error in one JSON shape: {"error": {"code", "message", "details"?}}."""

    @app.exception_handler(FeedbackLoopError)
    async def _domain(request: Request, exc: FeedbackLoopError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.details, exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _field_errors(exc)
        first = details[0] if details else {"field": "", "message": ""}
        field = first["field"] or "请求体"
        kind = str(exc.errors()[0].get("type", "")) if exc.errors() else ""
        said = str(first["message"])  # our own validators already speak "中文 / English"
        zh = said.split(" / ")[0] if CJK.search(said) else _ZH_ERRORS.get(kind, "取值无效")
        message = f"请求数据有误：{field}：{zh} / Invalid request data: {first['field'] or 'body'}: {first['message']}"
        return _error(422, "validation_failed", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_page(request):
            return error_page(request, 404, "页面不存在", "您访问的页面不存在或已被移除。")
        messages = {404: "找不到该地址 / not found", 405: "不支持该请求方法 / method not allowed"}
        return _error(exc.status_code, f"http_{exc.status_code}", messages.get(exc.status_code, str(exc.detail)))


def _wants_page(request: Request) -> bool:
    """A browser navigating to a page (not the API, not a script asking for JSON)."""
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get("accept", "")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    prepare_database(settings, demo=app.state.demo)
    consumer = None
    if settings.run_consumer_in_process:
        from feedbackloop.tasks import start_in_process_consumer

        consumer = start_in_process_consumer()
    # The heap is complete now (FastAPI, SQLAlchemy, the models' libraries): out of the collector's reach, so
    # that full collections stop re-walking it (POST /api/v1/feedback: 8 → 6.3 ms of CPU per request).
    from feedbackloop.analysis.model import freeze_long_lived

    freeze_long_lived("app")
    yield
    if consumer is not None:
        consumer.stop(graceful=True)


def create_app(*, demo: bool = False) -> FastAPI:
    """Build the application; `demo` loads the demo data set on first start."""
    settings = get_settings()
    app = FastAPI(
        title="FeedbackLoop API",
        version=__version__,
        description="客户反馈闭环系统 API / customer-feedback handling API",
        lifespan=lifespan,
        docs_url=None,  # web/docs.py serves /docs from the product (offline)
        redoc_url=None,
    )
    app.state.demo = demo
    load_task_modules()
    secret = settings.secret_key or secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="fl_session",
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.add_middleware(BodySizeLimit, default_limit=settings.max_upload_bytes)
    app.add_middleware(RequestTiming)  # outermost: times everything, 413s and 503s included
    install_error_handlers(app)
    dberrors.install(app)  # a value the database refuses → 422, a busy database → 503, not 500 or a hang
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    docs.install(app, favicon=str(STATIC / "favicon.svg"))

    # async on purpose: it then needs no threadpool thread, so it answers even while every thread waits on
    # the database (it touches nothing that blocks).
    @app.get("/healthz", tags=["meta"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Feature routers: add a feature's module to API_ROUTERS or PAGE_ROUTERS.
    for module in API_ROUTERS + PAGE_ROUTERS:
        app.include_router(module.router)
    app.include_router(pages_router)
    return app


def create_app_from_env() -> FastAPI:
    """The factory `feedbackloop serve --workers N` hands to uvicorn (each worker process calls it)."""
    return create_app(demo=os.environ.get("FEEDBACKLOOP_SERVE_DEMO") == "1")
