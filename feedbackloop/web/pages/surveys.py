"""Survey pages: the public survey (/survey/<token>, phone-first, no login), the survey admin page,
and sending a survey by hand from an item."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.feedback import services as feedback_services
from feedbackloop.feedback.models import CHANNELS, PROBLEM_TYPES
from feedbackloop.surveys import answers, services
from feedbackloop.surveys.models import KINDS, TRIGGERS
from feedbackloop.surveys.services import FCR_FOLLOWUP, Gone
from feedbackloop.surveys.tasks import queue_mail
from feedbackloop.web.deps import SessionDep
from feedbackloop.web.i18n import localize_message, resolve_lang
from feedbackloop.web.pages.common import (
    NAV,
    ManagerPage,
    NavItem,
    PageForm,
    PageRoute,
    StaffPage,
    WriterPage,
    render,
    verify_csrf,
)
from feedbackloop.web.ratelimit import limit_public

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/surveys", "满意度调查", "inbox"))
ENDS = {"csat": ("非常不满意", "非常满意"), "nps": ("完全不可能", "非常可能"), "ces": ("非常不同意", "非常同意")}
DONE = {
    "thanks": ("感谢您的评价", "您的意见会帮助我们做得更好。"),
    "already": ("您已完成这份调查", "感谢您的反馈，您的回答已记录，无需重复提交。"),
    "expired": ("这份调查已过期", "调查链接的有效期已过，感谢您的关注。"),
    "customer_erased": ("这份调查已失效", "与该调查相关的客户数据已按要求删除。"),
    "missing": ("调查链接无效", "请检查链接是否完整，或联系客服。"),
}
STATUS = {"thanks": 200, "already": 409, "expired": 410, "customer_erased": 410, "missing": 404}


def _done(request: Request, state: str, status: int | None = None) -> Response:
    title, message = DONE[state]
    context = {"state": state, "title": title, "message": message}
    return render(request, "surveys/public_done.html", context, status=status or STATUS[state], embeddable=True)


def _survey_page(request: Request, session: Any, token: str, values: dict[str, str], error: str = "",
                 status: int = 200) -> Response:  # fmt: skip
    invitation, survey = services.by_token(session, token)
    lo, hi = survey.scale
    context = {"survey": survey, "token": token, "lo": lo, "hi": hi, "ends": ENDS[survey.kind], "values": values,
               "error": error, "steps": len(survey.followups or []) + 2}  # fmt: skip
    return render(request, "surveys/public.html", context, status=status, embeddable=True)


@router.get("/survey/{token}")
def survey_page(token: str, request: Request, session: SessionDep) -> Response:
    """The public survey: one question per screen, no login."""
    limit_public(request)
    if request.query_params.get("done") == "1":
        return _done(request, "thanks", 200)
    try:
        invitation, _ = services.by_token(session, token)
        answers._check_open(session, invitation)
    except NotFound:
        return _done(request, "missing")
    except Conflict as exc:
        return _done(request, exc.code if exc.code in DONE else "already")
    return _survey_page(request, session, token, {})


def _parse(form: Any, followups: list[dict[str, Any]]) -> tuple[object, str, dict[str, Any]]:
    raw = str(form.get("score") or "").strip()
    score: object = int(raw) if raw.lstrip("-").isdigit() else (raw or None)
    extra: dict[str, Any] = {}
    for f in followups:
        value = str(form.get(f"a_{f['key']}") or "").strip()
        if value:
            extra[f["key"]] = (value == "yes") if f["kind"] == "yes_no" else value
    return score, str(form.get("comment") or ""), extra


@router.post("/survey/{token}", dependencies=[Depends(verify_csrf)])
def survey_submit(token: str, request: Request, session: SessionDep, form: PageForm) -> Response:
    """Store the answer; 409 page on a second submit, 422 with the form kept on a bad score."""
    limit_public(request)
    try:
        _, survey = services.by_token(session, token)
    except NotFound:
        return _done(request, "missing")
    score, comment, extra = _parse(form, survey.followups or [])
    try:
        answers.answer(session, token, score, comment, extra)
    except ValidationFailed as exc:
        session.rollback()
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        message = localize_message(exc.message, resolve_lang(request))
        return _survey_page(request, session, token, values, message, 422)
    except Conflict as exc:
        return _done(request, exc.code if exc.code in DONE else "already")
    return RedirectResponse(f"/survey/{token}?done=1", status_code=303)


# --- Staff ----------------------------------------------------------------------------------------------------


def _admin_context(session: Any, error: str = "") -> dict[str, Any]:
    from sqlalchemy import select

    from feedbackloop.accounts.models import Team

    return {"surveys": services.list_surveys(session), "stats": services.stats(session), "kinds": KINDS,
            "channels": CHANNELS, "problem_types": PROBLEM_TYPES, "triggers": TRIGGERS, "error": error,
            "teams": list(session.scalars(select(Team).order_by(Team.name)))}  # fmt: skip


@router.get("/surveys")
def surveys_page(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """Survey definitions with their response counts; supervisors create, switch and bulk-send."""
    context = _admin_context(session)
    context["bulk"] = request.query_params.get("bulk")
    return render(request, "surveys/admin.html", context, user=user)


def _definition(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": str(form.get("name") or "").strip(), "kind": form.get("kind")}
    for flag in ("active", "on_resolve", "on_order"):
        data[flag] = form.get(flag) == "1"
    data["channels"] = [c for c in form.getlist("channels") if c in CHANNELS]
    data["team_ids"] = [int(t) for t in form.getlist("team_ids") if str(t).isdigit()]
    if form.get("ask_fcr") == "1":
        data["followups"] = [FCR_FOLLOWUP]
    elif "ask_fcr" in form or form.get("form") == "edit":
        data["followups"] = []
    return data


@router.post("/surveys", dependencies=[Depends(verify_csrf)])
def create_survey_page(request: Request, session: SessionDep, user: ManagerPage, form: PageForm) -> Response:
    """Create a survey definition from the page's form."""
    data = _definition(form)
    if not data["name"] or data["kind"] not in KINDS:
        return render(request, "surveys/admin.html", _admin_context(session, "请填写名称并选择问卷类型"),
                      user=user, status=422)  # fmt: skip
    services.save_survey(session, data, None)
    return RedirectResponse("/surveys", status_code=303)


@router.post("/surveys/{survey_id}", dependencies=[Depends(verify_csrf)])
def update_survey_page(survey_id: int, request: Request, session: SessionDep, user: ManagerPage,
                       form: PageForm) -> Response:  # fmt: skip
    """Switch a survey on or off and change its triggers."""
    data = _definition(form)
    data.pop("kind")
    data["name"] = data["name"] or None
    services.save_survey(session, data, survey_id)
    return RedirectResponse("/surveys", status_code=303)


@router.post("/surveys/{survey_id}/bulk", dependencies=[Depends(verify_csrf)])
def bulk_page(survey_id: int, request: Request, session: SessionDep, user: ManagerPage, form: PageForm) -> Response:
    """Invite the customers of a filtered list of items (e.g. every resolved 物流 item)."""
    value = {k: str(form.get(k) or "") or None for k in ("channel", "problem_type", "status")}
    wanted = feedback_services.FeedbackFilter(channel=value["channel"], problem_type=value["problem_type"],
                                              status=value["status"])  # fmt: skip
    rows, _ = feedback_services.search(session, wanted, 1, 500)
    result = services.invite_many(session, survey_id, [r.id for r in rows], user)
    queue_mail(result.created)
    return RedirectResponse(f"/surveys?bulk={len(result.created)}-{sum(result.skipped.values())}", status_code=303)


@router.get("/feedback/{feedback_id}/survey")
def send_page(feedback_id: str, request: Request, session: SessionDep, user: WriterPage) -> Response:
    """Pick a survey to send to this item's customer by hand."""
    record = feedback_services.get(session, feedback_id)
    context = {"f": record, "surveys": [s for s in services.list_surveys(session) if s.active], "sent": None}
    return render(request, "surveys/send.html", context, user=user)


@router.post("/feedback/{feedback_id}/survey", dependencies=[Depends(verify_csrf)])
def send_submit(feedback_id: str, request: Request, session: SessionDep, user: WriterPage, form: PageForm) -> Response:
    """Send the chosen survey; shows the link (for an SMS or a QR code) or why it was not sent."""
    record = feedback_services.get(session, feedback_id)
    survey_id = str(form.get("survey_id") or "")
    context: dict[str, Any] = {"f": record, "surveys": [s for s in services.list_surveys(session) if s.active]}
    try:
        if not survey_id.isdigit():
            raise ValidationFailed("请选择问卷 / choose a survey")
        invitation = services.invite_item(session, int(survey_id), feedback_id, "manual", user)
    except (Conflict, ValidationFailed, NotFound, Gone) as exc:
        context.update(sent=None, error=localize_message(exc.message, resolve_lang(request)))
        return render(request, "surveys/send.html", context, user=user, status=exc.status)
    queue_mail([invitation.id])
    context.update(sent=services.survey_url(invitation), error="")
    return render(request, "surveys/send.html", context, user=user)
