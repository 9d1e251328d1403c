"""Sign-in and sign-out for the web UI (browser session + CSRF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.accounts import services as accounts
from feedbackloop.errors import AuthenticationFailed, RateLimited
from feedbackloop.web import ratelimit
from feedbackloop.web.deps import SESSION_KEY, SessionDep, end_browser_session
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import PageRoute, csrf_token, render, verify_csrf

router = APIRouter(route_class=PageRoute)


def safe_next(target: str | None) -> str:
    """Only same-site paths may be a post-login target (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/inbox"
    return target


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None, bye: int = 0) -> Response:
    """The sign-in form."""
    return render(request, "login.html", {"next": safe_next(next), "logged_out": bool(bye), "username": ""})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    """Check the credentials, start a fresh session and go where the user was heading."""
    try:
        user = ratelimit.authenticate(request, session, username.strip(), password)
    except (AuthenticationFailed, RateLimited) as exc:
        context = {
            "next": safe_next(next),
            "username": username,
            "error": localize_message(exc.message, resolve_lang(request)),
            "locked": isinstance(exc, RateLimited),
        }
        return render(request, "login.html", context, status=exc.status)
    secret = accounts.start_session(session, user)
    session.commit()
    lang = request.session.get("lang")
    # A new session on sign-in, so that a token planted before login is worthless after it.
    request.session.clear()
    request.session.update({SESSION_KEY: secret, **({"lang": lang} if lang else {})})
    csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    """End the browser session, on the server too (a copy of the cookie opens nothing afterwards)."""
    end_browser_session(request, session)
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/login?bye=1", status_code=303)


@router.get("/logout")
def logout_get(request: Request) -> Response:
    """A plain link to /logout asks first: a GET must not sign anybody out (another site could embed it)."""
    if not request.session.get(SESSION_KEY):
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", {})
