"""The public feedback form (/f, /f/{touchpoint}): no login, phone-first, works without JavaScript."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from feedbackloop.errors import NotFound, RateLimited
from feedbackloop.feedback import touchpoints
from feedbackloop.feedback.models import PROBLEM_TYPES
from feedbackloop.feedback.schemas import MAX_CONTENT, PublicFeedbackCreate
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import PageRoute, render, verify_csrf
from feedbackloop.web.ratelimit import limit_public
from feedbackloop.workflow import customer

router = APIRouter(route_class=PageRoute)
FIELDS = ("content", "problem_type", "rating", "customer_name", "contact", "expected_solution")
_PHONE = re.compile(r"^\+?[\d\s-]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# pydantic error type → the zh-CN message shown under the field.
_MESSAGES = {
    ("content", "string_too_short"): "请填写反馈内容",
    ("content", "missing"): "请填写反馈内容",
    ("content", "string_too_long"): "反馈内容最多 10,000 字",
    ("problem_type", "value_error"): "请从列表中选择问题类型",
    ("rating", "int_parsing"): "评分应为 1–5 星",
    ("rating", "greater_than_equal"): "评分应为 1–5 星",
    ("rating", "less_than_equal"): "评分应为 1–5 星",
}


def _form_page(
    request: Request, point: Any, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    context = {
        "point": point,
        "values": values,
        "errors": errors,
        "problem_types": PROBLEM_TYPES,
        "max_content": MAX_CONTENT,
        "action": f"/f/{point.slug}" if point else "/f",
    }
    return render(request, "public/form.html", context, status=status, embeddable=True)


def _validate(values: dict[str, str], consent: bool) -> tuple[PublicFeedbackCreate | None, dict[str, str]]:
    """The submission as a schema, or the zh-CN message per field that is wrong."""
    errors: dict[str, str] = {}
    contact = values.get("contact", "").strip()
    if contact and not (_PHONE.match(contact) or _EMAIL.match(contact)):
        errors["contact"] = "请填写有效的手机号或邮箱"
    data: dict[str, Any] = {k: v for k, v in values.items() if v.strip()}
    data.setdefault("content", "")
    try:
        item = PublicFeedbackCreate(**data, consent_public=consent)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "content"
            errors.setdefault(
                name,
                _MESSAGES.get((name, err["type"]), "内容过长" if "long" in err["type"] else str(err["msg"])),
            )
        return None, errors
    return (None, errors) if errors else (item, errors)


class PublicForm(BaseModel):
    """The raw form fields; checked by _validate so that every error can be shown next to its field."""

    content: str = ""
    problem_type: str = ""
    rating: str = ""
    customer_name: str = ""
    contact: str = ""
    expected_solution: str = ""
    consent_public: str = ""


FormDep = Annotated[PublicForm, Form()]


def _submit(request: Request, session: Any, point: Any, form: PublicForm) -> Response:
    values = {name: getattr(form, name) for name in FIELDS}
    consent = form.consent_public == "1"
    item, errors = _validate(values, consent=consent)
    if item is None:
        return _form_page(
            request, point, {**values, "consent_public": "1" if consent else ""}, errors, status=422
        )
    try:
        limit_public(request)
    except RateLimited as exc:
        # Keep what the customer typed: they only need to wait a minute and press submit again.
        message = localize_message(exc.message, resolve_lang(request))
        return _form_page(
            request, point, {**values, "consent_public": "1" if consent else ""}, {"_form": message}, 429
        )
    record = touchpoints.submit_public(session, item, point)
    link = customer.ensure_status_link(session, record.id)
    request.session["submitted"] = {"id": record.id, "form": f"/f/{point.slug}" if point else "/f", "link": link}
    return RedirectResponse("/f/thanks", status_code=303)


@router.get("/f")
def public_form(request: Request) -> Response:
    """The general feedback form."""
    return _form_page(request, None, {}, {})


@router.post("/f", dependencies=[Depends(verify_csrf)])
def submit_public_form(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Store a submission from the general form and show its number."""
    return _submit(request, session, None, form)


@router.get("/f/thanks")
def thanks(request: Request) -> Response:
    """The thank-you page with the new feedback number (only for the browser that submitted it)."""
    submitted = request.session.get("submitted")
    if not submitted:
        return RedirectResponse("/f", status_code=303)
    return render(request, "public/thanks.html", {"submitted": submitted}, embeddable=True)


@router.get("/f/{slug}")
def touchpoint_form(slug: str, request: Request, session: SessionDep) -> Response:
    """The form of one touchpoint (the target of its QR code)."""
    try:
        point = touchpoints.get_by_slug(session, slug)
    except NotFound:
        return render(request, "public/not_found.html", {}, status=404, embeddable=True)
    return _form_page(request, point, {}, {})


@router.post("/f/{slug}", dependencies=[Depends(verify_csrf)])
def submit_touchpoint_form(slug: str, request: Request, session: SessionDep, form: FormDep) -> Response:
    """Store a submission made through a touchpoint's link (channel qr)."""
    try:
        point = touchpoints.get_by_slug(session, slug)
    except NotFound:
        return render(request, "public/not_found.html", {}, status=404, embeddable=True)
    return _submit(request, session, point, form)
