"""What every page shares: templates, rendering, CSRF, the sidebar, and errors rendered as HTML pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from markupsafe import Markup, escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from feedbackloop.accounts.models import User
from feedbackloop.config import get_settings
from feedbackloop.errors import AuthenticationFailed, FeedbackLoopError, PermissionDenied
from feedbackloop.feedback.models import CUSTOMER_TYPES, SENTIMENTS
from feedbackloop.lib.clock import CHINA
from feedbackloop.lib.humanize import duration
from feedbackloop.web import csrf, dberrors
from feedbackloop.web.csrf import csrf_token
from feedbackloop.web.deps import STAFF, get_page_user
from feedbackloop.web.i18n import LANGUAGES, localize_message, resolve_lang, translator
from feedbackloop.workflow.states import STATUSES

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# The workflow's status codes (workflow.states) with their zh-CN names; unknown codes are shown as they are.
STATUS_LABELS = STATUSES  # the life cycle is the workflow's (SPEC §5)


class CsrfFailed(FeedbackLoopError):
    status = 403
    code = "csrf_failed"


CSRF_MESSAGE = "页面已过期或请求来源无效，请刷新页面后重试。"


@dataclass(frozen=True)
class NavItem:
    """One sidebar link; `roles` empty means every signed-in user sees it."""

    path: str
    label: str
    icon: str
    section: str = "工作台"
    roles: tuple[str, ...] = ()


# Other features add their pages here (one line each), so that the sidebar only lists pages that exist.
NAV: list[NavItem] = [
    NavItem("/inbox", "收件箱", "inbox"),
    NavItem("/import", "导入", "upload", roles=("agent", "supervisor", "csm", "admin")),
    NavItem("/touchpoints", "触点与二维码", "qr", section="管理", roles=("supervisor", "admin")),
    NavItem("/admin/users", "用户与角色", "users", section="管理", roles=("admin",)),
    NavItem("/admin/tokens", "API 令牌", "link", section="管理", roles=("admin",)),
    NavItem("/admin/audit", "审计日志", "shield", section="管理", roles=("admin",)),
    NavItem("/account/password", "修改密码", "settings", section="账号"),
]


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) timestamp shown in Asia/Shanghai."""
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime(fmt)


def excerpt(text: str | None, length: int = 60) -> str:
    """The first `length` characters on one line, with an ellipsis when cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[:length].rstrip() + "…"


def highlight(text: str | None, query: str | None, length: int = 72) -> Markup:
    """An excerpt around the first match of `query`, the matches wrapped in <mark>; everything else escaped."""
    flat = " ".join((text or "").split())
    if not query or query not in flat:
        return Markup(escape(excerpt(flat, length)))
    start = max(0, flat.index(query) - length // 3)
    window = flat[start : start + length]
    pieces = [escape(part) for part in window.split(query)]
    marked = Markup(f"<mark>{escape(query)}</mark>").join(pieces)
    return Markup("…" if start else "") + marked + Markup("…" if start + length < len(flat) else "")


@pass_context
def _one_language(context: Any, message: str | None) -> str:
    """`{{ note.title|msg }}`: the page language's side of a stored "中文 / English" product message."""
    return localize_message(message or "", context.get("lang", "zh-CN"))


def _env() -> Environment:
    # Autoescape everywhere: customer text may contain HTML and must render as text.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["localtime"] = local_time
    env.filters["excerpt"] = excerpt
    env.filters["highlight"] = highlight
    env.filters["msg"] = _one_language
    env.globals["duration"] = duration
    env.globals.update(STATUS_LABELS=STATUS_LABELS, customer_types=CUSTOMER_TYPES, sentiments=SENTIMENTS)
    return env


templates = Jinja2Templates(env=_env())


async def read_form(request: Request) -> FormData:
    """The request's form, read on the event loop (awaiting the body blocks nothing); Starlette caches it."""
    return await request.form()


# Lets a page's POST handler be a plain `def`, run in the threadpool, and still read its form.
PageForm = Annotated[FormData, Depends(read_form)]


async def verify_csrf(request: Request) -> None:
    """Reject a state-changing request whose form field (or X-CSRF-Token header) does not match the session.

    async on purpose: it only awaits the body and compares two strings, nothing that blocks the event loop.
    """
    sent = request.headers.get(csrf.HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get("csrf_token")
        sent = field if isinstance(field, str) else None
    try:
        csrf.verify_csrf(request, sent)
    except PermissionDenied as exc:
        raise CsrfFailed(
            CSRF_MESSAGE + " / page expired or CSRF check failed; reload the page and try again"
        ) from exc


def _lang_links(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    links = {}
    for code in LANGUAGES:
        params["lang"] = code
        links[code] = f"{request.url.path}?{urlencode(params)}"
    return links


def _nav_sections(user: User | None) -> list[tuple[str, list[NavItem]]]:
    sections: dict[str, list[NavItem]] = {}
    for item in NAV:
        if user is not None and (not item.roles or user.role in item.roles):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


def public_base_url(request: Request) -> str:
    """The base of links we print or mail: the configured base_url if set, else the address in use."""
    settings = get_settings()
    if settings.base_url:
        return settings.base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status: int = 200,
    embeddable: bool = False,
) -> HTMLResponse:
    """Render a page with the language, translator, CSRF token, user and sidebar filled in."""
    lang = resolve_lang(request)
    ctx: dict[str, Any] = {
        "_": translator(lang),
        "lang": lang,
        "lang_links": _lang_links(request),
        "languages": LANGUAGES,
        "csrf_token": csrf_token(request),
        "user": user,
        "nav": _nav_sections(user),
        "path": request.url.path,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    _secure(response, embeddable=embeddable)
    return response


def secure_headers(response: Response) -> None:
    """The pages' security headers on a response that `render` did not make (a report's own HTML)."""
    _secure(response, embeddable=False)


def _secure(response: Response, *, embeddable: bool) -> None:
    # Defence in depth behind autoescaping: no inline or foreign scripts can run on our pages.
    policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    policy += "form-action 'self'; base-uri 'none'; object-src 'none'"
    if not embeddable:
        policy += "; frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"


def error_page(
    request: Request, status: int, title: str, message: str, retry_after: int | None = None
) -> HTMLResponse:
    """A full HTML error page (the JSON error shape is for the API only)."""
    user = getattr(request.state, "page_user", None)
    response = render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        user=user,
        status=status,
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


_TITLES = {400: "请求无效", 403: "无权访问", 404: "页面不存在", 422: "请求无效", 503: "系统繁忙"}


def _domain_error_page(request: Request, exc: FeedbackLoopError) -> HTMLResponse:
    message = localize_message(exc.message, resolve_lang(request))
    return error_page(request, exc.status, _TITLES.get(exc.status, "出错了"), message, exc.retry_after)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


class PageRoute(APIRoute):
    """A route whose errors become HTML: not signed in → /login?next=…, domain errors → an error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthenticationFailed:
                return _login_redirect(request)
            except FeedbackLoopError as exc:
                return _domain_error_page(request, exc)
            except (OperationalError, PoolTimeout) as exc:
                if not dberrors.is_busy(exc):
                    raise
                return _domain_error_page(request, dberrors.busy_error(exc))
            except RequestValidationError:
                return error_page(request, 400, "请求无效", "请求参数有误，请检查链接后重试。")
            except StarletteHTTPException as exc:
                return error_page(
                    request, exc.status_code, _TITLES.get(exc.status_code, "出错了"), str(exc.detail)
                )

        return page_handler


def page_user(*roles: str) -> Any:
    """A dependency: the signed-in user (remembered for the error page), limited to `roles` if given."""

    def dependency(request: Request, user: Annotated[User, Depends(get_page_user)]) -> User:
        request.state.page_user = user
        if roles and user.role not in roles:
            raise PermissionDenied(
                f"角色 {user.role_label} 无权访问此页面 / role '{user.role}' may not open this page"
            )
        return user

    return Depends(dependency)


StaffPage = Annotated[User, page_user(*STAFF)]
WriterPage = Annotated[User, page_user("agent", "supervisor", "csm", "admin")]
ManagerPage = Annotated[User, page_user("supervisor", "admin")]
