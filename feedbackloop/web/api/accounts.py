"""Accounts API: logout, own password, users, teams (admin) — SPEC §1, §9."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import ROLES
from feedbackloop.accounts.schemas import (
    PasswordChange,
    PasswordReset,
    TeamCreate,
    TeamPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from feedbackloop.web.deps import (
    AdminUser,
    CurrentUser,
    DbId,
    SessionDep,
    StaffUser,
    end_browser_session,
    oauth2,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/logout", status_code=204)
def logout(request: Request, session: SessionDep, user: CurrentUser, token: Annotated[str | None, Depends(oauth2)]) -> Response:
    """End this login: revoke the bearer token, or clear the browser session."""
    if token:
        accounts.revoke_bearer(session, token)
    elif "session" in request.scope:
        end_browser_session(request, session)
        request.session.clear()
    return Response(status_code=204)


@router.post("/auth/password", status_code=204)
def change_password(request: Request, body: PasswordChange, session: SessionDep, user: CurrentUser) -> Response:
    """Change your own password (the current one is required); your other logins end."""
    keep = getattr(request.state, "session_token_id", None)  # the browser making the change stays in
    accounts.change_password(session, user, body.old_password, body.new_password, keep_token_id=keep)
    return Response(status_code=204)


@router.get("/roles")
def list_roles(user: StaffUser) -> dict[str, str]:
    """Role codes and their zh-CN names."""
    return ROLES


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, user: AdminUser) -> object:
    return accounts.list_users(session)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, session: SessionDep, user: AdminUser) -> object:
    """Create a user with a role (and team)."""
    fields = body.model_dump(exclude={"username", "password", "role"})
    created = accounts.create_user(session, body.username, body.password, body.role, actor=user, **fields)
    session.commit()
    return created


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: DbId, body: UserUpdate, session: SessionDep, user: AdminUser) -> object:
    """Change a user's role, team, names, or disable the account."""
    return accounts.update_user(session, user, user_id, body.model_dump(exclude_unset=True))


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(user_id: DbId, body: PasswordReset, session: SessionDep, user: AdminUser) -> Response:
    """Set a new password for a user (e.g. one who forgot theirs); their logins end."""
    accounts.reset_password(session, user, user_id, body.new_password)
    return Response(status_code=204)


@router.get("/teams", response_model=list[TeamPublic])
def list_teams(session: SessionDep, user: StaffUser) -> object:
    return accounts.list_teams(session)


@router.post("/teams", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, session: SessionDep, user: AdminUser) -> object:
    return accounts.create_team(session, user, body.name, body.description)
