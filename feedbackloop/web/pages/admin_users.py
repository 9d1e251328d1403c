"""Admin pages for users and roles, and every user's own password page (SPEC §1, §9)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import ROLES, User
from feedbackloop.errors import FeedbackLoopError
from feedbackloop.web.deps import DbId, SessionDep
from feedbackloop.web.i18n import EN, localize_message, resolve_lang
from feedbackloop.web.pages.common import PageRoute, page_user, render, verify_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
AdminPage = Annotated[User, page_user("admin")]
AnyUserPage = Annotated[User, page_user()]

EN.update(
    {
        "用户与角色": "Users & roles",
        "API 令牌": "API tokens",
        "审计日志": "Audit log",
        "修改密码": "Change password",
        "新建用户": "New user",
        "用户名": "Username",
        "显示名": "Display name",
        "初始密码": "Initial password",
        "角色": "Role",
        "团队": "Team",
        "状态": "Status",
        "启用": "Active",
        "已停用": "Disabled",
        "停用": "Disable",
        "保存": "Save",
        "创建": "Create",
        "当前密码": "Current password",
        "新密码": "New password",
        "密码已修改, 其他设备上的登录已退出。": "Password changed; your other sessions were signed out.",
    }
)


def _users_page(request: Request, session: SessionDep, user: User, **extra: object) -> Response:
    context = {"users": accounts.list_users(session), "teams": accounts.list_teams(session), "roles": ROLES,
               "error": None, "saved": request.query_params.get("saved"), **extra}  # fmt: skip
    return render(request, "admin/users.html", context, user=user, status=422 if extra.get("error") else 200)


def _message(request: Request, exc: FeedbackLoopError) -> str:
    return localize_message(exc.message, resolve_lang(request))


@router.get("/admin")
def admin_home(user: AdminPage) -> RedirectResponse:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users")
def users_list(request: Request, session: SessionDep, user: AdminPage) -> Response:
    """Every account with its role, team and state, and the form to add one."""
    return _users_page(request, session, user)


@router.post("/admin/users", dependencies=[Depends(verify_csrf)])
def users_create(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "agent",
    display_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create an account."""
    try:
        accounts.create_user(session, username.strip(), password, role, actor=user, display_name=display_name.strip())
        session.commit()
    except FeedbackLoopError as exc:
        session.rollback()
        return _users_page(request, session, user, error=_message(request, exc))
    return RedirectResponse(f"/admin/users?saved={username.strip()}", status_code=303)


@router.post("/admin/users/{user_id}", dependencies=[Depends(verify_csrf)])
def users_update(
    user_id: DbId,
    request: Request,
    session: SessionDep,
    user: AdminPage,
    role: Annotated[str, Form(max_length=20)] = "",
    team_id: Annotated[str, Form(max_length=12)] = "",
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Change an account's role, team or active state."""
    changes: dict[str, object] = {"role": role, "is_active": active == "on",
                                  "team_id": int(team_id) if team_id.isdigit() else None}  # fmt: skip
    try:
        target = accounts.update_user(session, user, user_id, changes)
    except FeedbackLoopError as exc:
        session.rollback()
        return _users_page(request, session, user, error=_message(request, exc))
    return RedirectResponse(f"/admin/users?saved={target.username}", status_code=303)


@router.get("/account/password")
def password_form(request: Request, user: AnyUserPage) -> Response:
    """The form to change one's own password."""
    return render(request, "admin/password.html", {"error": None, "done": False}, user=user)


@router.post("/account/password", dependencies=[Depends(verify_csrf)])
def password_change(
    request: Request,
    session: SessionDep,
    user: AnyUserPage,
    old_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change one's own password (the browser session stays signed in)."""
    try:
        keep = request.state.session_token_id  # this browser stays signed in; every other sign-in ends
        accounts.change_password(session, user, old_password, new_password, keep_token_id=keep)
    except FeedbackLoopError as exc:
        session.rollback()
        ctx = {"error": _message(request, exc), "done": False}
        return render(request, "admin/password.html", ctx, user=user, status=422)
    return render(request, "admin/password.html", {"error": None, "done": True}, user=user)
