"""Integration API tokens (admin): create (secret shown once), list, revoke — SPEC §9."""

from __future__ import annotations

from fastapi import APIRouter

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import ApiToken
from feedbackloop.accounts.schemas import TokenCreate, TokenCreated, TokenPublic
from feedbackloop.web.deps import AdminUser, DbId, SessionDep

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


def _public(record: ApiToken, owner: str) -> dict[str, object]:
    fields = ("id", "name", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at")
    return {"owner": owner, **{f: getattr(record, f) for f in fields}}


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, session: SessionDep, user: AdminUser) -> dict[str, object]:
    """Issue a scoped token for an integration; the secret is in this response only."""
    token, record = accounts.create_integration_token(
        session, user, name=body.name, scopes=body.scopes, expires_in_days=body.expires_in_days, username=body.username
    )
    return {**_public(record, body.username or user.username), "token": token}


@router.get("", response_model=list[TokenPublic])
def list_tokens(session: SessionDep, user: AdminUser) -> list[dict[str, object]]:
    """Every integration token, without secrets."""
    return [_public(t, owner) for t, owner in accounts.list_integration_tokens(session)]


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: DbId, session: SessionDep, user: AdminUser) -> dict[str, object]:
    """Revoke a token at once; requests with it then answer 401."""
    record = accounts.revoke_integration_token(session, user, token_id)
    owner = accounts.get_user(session, record.user_id).username
    return _public(record, owner)
