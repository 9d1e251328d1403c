"""POST /api/v1/auth/token (SPEC §11)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from feedbackloop.accounts import services as accounts
from feedbackloop.web import ratelimit
from feedbackloop.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeOut(BaseModel):
    username: str
    display_name: str
    role: str


@router.post("/token", response_model=TokenOut)
def login_for_token(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
) -> TokenOut:
    """Exchange a username and password for a bearer token valid 12 hours."""
    user = ratelimit.authenticate(request, session, username, password)
    token = accounts.issue_token(session, user)
    session.commit()
    return TokenOut(access_token=token, expires_in=int(accounts.LOGIN_TOKEN_TTL.total_seconds()))


@router.get("/me", response_model=MeOut)
def me(user: CurrentUser) -> MeOut:
    return MeOut(username=user.username, display_name=user.display_name, role=user.role)
