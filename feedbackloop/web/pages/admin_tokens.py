"""Admin page for integration API tokens: create (secret shown once), list, revoke (SPEC §9)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.accounts import services as accounts
from feedbackloop.accounts.models import User
from feedbackloop.errors import FeedbackLoopError
from feedbackloop.web.deps import DbId, SessionDep
from feedbackloop.web.pages.admin_users import AdminPage, _message
from feedbackloop.web.pages.common import PageForm, PageRoute, render, verify_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _page(request: Request, session: SessionDep, user: User, **extra: object) -> Response:
    context = {"tokens": accounts.list_integration_tokens(session), "scopes": accounts.KNOWN_SCOPES, "scope_labels": accounts.SCOPE_LABELS,
               "new_token": None, "error": None, **extra}  # fmt: skip
    return render(request, "admin/tokens.html", context, user=user, status=422 if extra.get("error") else 200)


@router.get("/admin/tokens")
def tokens_list(request: Request, session: SessionDep, user: AdminPage) -> Response:
    """Every integration token (never its secret) and the form to issue one."""
    return _page(request, session, user)


@router.post("/admin/tokens", dependencies=[Depends(verify_csrf)])
def tokens_create(request: Request, session: SessionDep, user: AdminPage, form: PageForm) -> Response:
    """Issue a token; its secret is shown on this response only."""
    scopes = [str(s) for s in form.getlist("scopes")]
    days = str(form.get("expires_in_days", "90"))
    try:
        token, _ = accounts.create_integration_token(
            session, user, name=str(form.get("name", "")).strip()[:100], scopes=scopes,
            expires_in_days=int(days) if days.isdigit() and int(days) > 0 else None, username=None,
        )  # fmt: skip
    except FeedbackLoopError as exc:
        session.rollback()
        return _page(request, session, user, error=_message(request, exc))
    return _page(request, session, user, new_token=token)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[Depends(verify_csrf)])
def tokens_revoke(token_id: DbId, session: SessionDep, user: AdminPage) -> Response:
    """Revoke a token at once."""
    accounts.revoke_integration_token(session, user, token_id)
    return RedirectResponse("/admin/tokens", status_code=303)
