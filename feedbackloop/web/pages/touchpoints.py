"""Touchpoints admin: create a store or product page, get its public link, QR code and a printable sign."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.accounts.models import User
from feedbackloop.errors import Conflict, ValidationFailed
from feedbackloop.feedback import touchpoints
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import (
    ManagerPage,
    PageRoute,
    StaffPage,
    public_base_url,
    render,
    verify_csrf,
)

router = APIRouter(route_class=PageRoute)


def _list_page(request: Request, session: SessionDep, user: User, **extra: object) -> Response:
    context = {
        "points": touchpoints.list_touchpoints(session),
        "kinds": touchpoints.TOUCHPOINT_KINDS,
        "base": public_base_url(request),
        "created": request.query_params.get("created"),
        "values": {},
        "error": None,
        **extra,
    }
    return render(request, "touchpoints.html", context, user=user, status=422 if extra.get("error") else 200)


@router.get("/touchpoints")
def touchpoint_list(request: Request, session: SessionDep, user: ManagerPage) -> Response:
    """Every touchpoint with its link and QR code, and the form to add one."""
    return _list_page(request, session, user)


@router.post("/touchpoints", dependencies=[Depends(verify_csrf)])
def touchpoint_create(
    request: Request,
    session: SessionDep,
    user: ManagerPage,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=20)] = "store",
    slug: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create a touchpoint and show it highlighted in the list."""
    try:
        point = touchpoints.create_touchpoint(session, name, kind, slug or None)
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        error = localize_message(exc.message, resolve_lang(request))
        return _list_page(
            request, session, user, values={"name": name, "kind": kind, "slug": slug}, error=error
        )
    return RedirectResponse(f"/touchpoints?created={point.slug}", status_code=303)


@router.post("/touchpoints/{slug}", dependencies=[Depends(verify_csrf)])
def touchpoint_update(
    slug: str,
    request: Request,
    session: SessionDep,
    user: ManagerPage,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=20)] = "store",
) -> Response:
    """Rename a touchpoint or change its kind (the link and QR code stay the same)."""
    try:
        touchpoints.update_touchpoint(session, slug, name, kind)
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        return _list_page(request, session, user, error=localize_message(exc.message, resolve_lang(request)))
    return RedirectResponse(f"/touchpoints?created={slug}", status_code=303)


@router.post("/touchpoints/{slug}/delete", dependencies=[Depends(verify_csrf)])
def touchpoint_delete(slug: str, session: SessionDep, user: ManagerPage) -> Response:
    """Delete a touchpoint (its items keep their touchpoint name; the public link stops working)."""
    touchpoints.delete_touchpoint(session, slug)
    return RedirectResponse("/touchpoints", status_code=303)


@router.get("/touchpoints/{slug}/qr.svg")
def touchpoint_qr(slug: str, request: Request, session: SessionDep, user: StaffPage) -> Response:
    """The QR code of the touchpoint's public link, as SVG."""
    point = touchpoints.get_by_slug(session, slug)
    svg = touchpoints.qr_svg(f"{public_base_url(request)}/f/{point.slug}")
    headers = {
        "Content-Disposition": f'inline; filename="qr-{point.slug}.svg"',
        "Cache-Control": "private, max-age=3600",
    }
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get("/touchpoints/{slug}/print")
def touchpoint_print(slug: str, request: Request, session: SessionDep, user: StaffPage) -> Response:
    """A printable A4 sign with the QR code and the touchpoint's name."""
    point = touchpoints.get_by_slug(session, slug)
    return render(
        request, "touchpoint_print.html", {"point": point, "base": public_base_url(request)}, user=user
    )
