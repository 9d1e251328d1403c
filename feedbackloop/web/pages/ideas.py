"""Idea board pages: the public board (/ideas, phone first, no account, works without JavaScript), the
"您说，我们做" changelog (/changelog), and the staff page (/workflow/ideas: moderation, merge, the queue)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import PLANNERS
from feedbackloop.config import get_settings
from feedbackloop.errors import FeedbackLoopError
from feedbackloop.ideas import channels, identity, notify, services, staff
from feedbackloop.ideas import queue as idea_queue
from feedbackloop.ideas.models import IDEA_STATUSES, MODERATION
from feedbackloop.web.deps import DbId, SessionDep
from feedbackloop.web.i18n import EN, localize_message, resolve_lang
from feedbackloop.web.pages.common import (
    NAV,
    NavItem,
    PageForm,
    PageRoute,
    StaffPage,
    page_user,
    render,
    verify_csrf,
)
from feedbackloop.web.ratelimit import limit_bucket, limit_public, limit_public_reads

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/workflow/ideas", "想法板", "chart"))
PlannerPage = Annotated[User, page_user(*PLANNERS)]
VOTER_KEY = "idea_voter"  # the browser's verified voter token, in the signed session cookie
FLASH_KEY = "idea_flash"
SENT_TO = {"email": "验证码已发送到您的邮箱，10 分钟内有效。", "phone": "验证码已发送到您的手机，10 分钟内有效。"}
_STATUS_LINK = re.compile(r"(?:/s/)?([A-Za-z0-9_-]{16,64})/?$")


_EN = {
    "想法板": "Idea board", "您说，我们做": "You said, we did", "提交想法": "Submit an idea",
    "您的想法，我们来实现": "Your ideas, our work", "为您想要的改进投票，票数高的想法会优先安排。":
    "Vote for the improvements you want: the ideas with the most votes are scheduled first.",
    "搜索想法，如：夜间模式": "Search ideas, e.g. dark mode", "搜索想法": "Search ideas", "全部": "All",
    "最热": "Most votes", "最新": "Newest", "与「{q}」相关的想法 {n} 条": "{n} ideas about “{q}”",
    "共 {n} 条想法": "{n} ideas", "{n} 票": "{n} votes", "票": "votes", "没有找到相关想法。": "No idea matches.",
    "提交一个新想法": "Submit a new idea", "还没有想法，来提第一个吧。": "No ideas yet. Be the first.",
    "上一页": "Previous", "下一页": "Next", "征集中": "Open for votes", "已计划": "Planned", "开发中": "In development",
    "已上线": "Shipped", "暂不考虑": "Not planned", "重复": "Duplicate", "已验证": "Verified", "人支持": "supporters",
    "此想法与另一个想法重复，票数已合并到：": "This idea duplicates another; its votes were merged into:",
    "官方回复": "Our answer", "您已支持此想法，上线时会通知您。": "You support this idea; we will tell you when it ships.",
    "附议留言": "Comment", "选填，审核后公开": "optional, public after review", "说说您为什么需要它": "Why do you need it?",
    "投一票": "Vote", "投票前请验证身份": "Verify yourself before voting",
    "每人限投一票。无需注册，我们只保存您身份的加密摘要。":
    "One vote per person. No account needed: we keep only a keyed hash of your identity.",
    "邮箱": "E-mail", "或手机号": " or mobile number", "name@example.com": "name@example.com",
    "获取验证码": "Send me a code", "提交过反馈？用反馈进度链接投票": "Sent us feedback? Vote with its status link",
    "粘贴反馈进度链接": "Paste your status link", "用进度链接投票": "Vote with the status link", "附议": "Comments",
    "返回想法板": "Back to the board", "输入验证码": "Enter your code", "6 位验证码": "6-digit code",
    "想法上线时通知我": "Tell me when the idea ships", "验证": "Verify", "返回": "Back",
    "一句话概括您的想法": "Your idea in one sentence", "如：增加夜间模式": "e.g. add a dark mode",
    "详细说明": "Details", "选填": "optional",
    "请勿填写手机号等个人信息。想法经审核后公开。": "Leave out phone numbers and other personal data. Ideas are public after review.",
    "已有相似的想法，先看看是否就是您想说的": "Similar ideas exist: see whether one of them says what you mean",
    "仍然提交新想法": "Submit my idea anyway", "提交": "Submit", "感谢您的想法": "Thank you for your idea",
    "审核通过后会出现在想法板上。": "It appears on the board once it has been reviewed.",
    "退订通知": "Unsubscribe", "已退订": "Unsubscribed",
    "您不会再收到想法上线的通知，我们也已删除您的联系方式。":
    "You will get no more notices, and we have deleted your contact details.",
    "退订想法上线通知？": "Stop notices when ideas ship?", "确认退订": "Unsubscribe",
    "退订链接无效": "This unsubscribe link is not valid",
    "效果评估中：上线满 7 天后公布": "Effect being measured: published a week after shipping",
    "请使用通知中的完整链接；如仍无法退订，请回复通知邮件告诉我们。":
    "Use the whole link from the notice; if that does not work, reply to the notice mail and tell us.",
    "不想再收到想法上线的短信？": "Rather not get texts when ideas ship?", "退订": "Unsubscribe",
    "根据您的反馈完成的改进。": "Improvements made because you asked for them.",
    "{n} 条反馈提出": "asked for in {n} feedback items", "{n} 票支持": "{n} votes",
    "1 条反馈提出": "asked for in 1 feedback item", "1 票支持": "1 vote",
    "相关投诉下降 {n}%": "related complaints down {n}%", "相关投诉上升 {n}%": "related complaints up {n}%",
    "相关投诉持平": "related complaints unchanged", "查看想法": "View the idea", "还没有上线的改进。": "Nothing shipped yet.",
    "投票成功，感谢您的支持！上线时我们会通知您。": "Vote counted, thank you! We will tell you when it ships.",
    "验证成功，现在可以投票了。": "Verified: you can vote now.",
    "已关注，上线时我们会通知您。": "Following: we will tell you when it ships.", "只关注，不投票": "Follow without voting",
    "您已关注此想法，上线时会通知您。": "You follow this idea; we will tell you when it ships.",
    "验证码已发送到您的邮箱，10 分钟内有效。": "We sent a code to your e-mail; it is valid for 10 minutes.",
    "验证码已发送到您的手机，10 分钟内有效。": "We sent a code to your phone; it is valid for 10 minutes.",
    "请用至少 4 个字概括您的想法。": "Describe your idea in at least 4 characters.",
    # staff page
    "查看公开想法板": "Open the public board", "优先队列": "Priority queue",
    "票数达到 {n} 的想法进入队列，按影响 × 频次排序": "Ideas with {n} votes enter the queue, ordered by impact × frequency",
    "想法": "Idea", "票数": "Votes", "优先级": "Priority", "负责人": "Owner", "改进计划": "Improvement plans",
    "未指定": "Not set", "队列为空": "The queue is empty", "审核": "Review", "状态": "Status", "操作": "Actions",
    "内部备注": "Internal note", "关联反馈": "Linked feedback", "已合并到": "merged into", "发布": "Publish",
    "不通过原因": "Reason", "不通过": "Reject", "合并到 #": "Merge into #", "合并": "Merge",
    "对客户的回复（公开）": "Answer to customers (public)", "保存": "Save", "暂无想法": "No ideas",
    "上线通知": "Shipped notices", "暂无": "None", "待审核": "Awaiting review", "已发布": "Published",
    "未通过": "Rejected", "邮件": "E-mail", "短信": "SMS", "待发送": "Queued", "已发送": "Sent", "发送失败": "Failed",
    "待审核的附议": "Comments awaiting review", "公开": "Show", "隐藏": "Hide",
    "关联反馈 {n} 条": "{n} linked feedback items", "负面占比 {p}%": "{p}% negative", "紧急反馈 {n} 条": "{n} urgent",
    "，": ", ", "排序": "Sort", "影响": "impact", "频次": "frequency", "影响 × 频次": "impact × frequency",
    "等待短信通道": "Waiting for SMS", "未知操作。": "Unknown action.", "想法已更新。": "Idea updated.",
}  # fmt: skip
for _zh, _en in _EN.items():
    EN.setdefault(_zh, _en)  # the shared catalogue's wording wins where it already has the text


def limit_writes(request: Request) -> None:
    limit_public(request)
    limit_bucket(request, "ideas", get_settings().idea_votes_per_minute)


Reads = [Depends(limit_public_reads)]
Writes = [Depends(verify_csrf), Depends(limit_writes)]


def _text(request: Request, exc: FeedbackLoopError) -> str:
    return localize_message(exc.message, resolve_lang(request))


def _flash(request: Request, kind: str, text: str) -> None:
    request.session[FLASH_KEY] = {"kind": kind, "text": text}


def _take_flash(request: Request) -> dict[str, str] | None:
    return request.session.pop(FLASH_KEY, None)


def _field(form: Any, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


# --- Public board ----------------------------------------------------------------------------------------


@router.get("/ideas", dependencies=Reads)
def board_page(
    request: Request, session: SessionDep, q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=20)] = "", sort: Annotated[str, Query(max_length=10)] = "hot",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:  # fmt: skip
    """The idea board: search (Chinese words), filter by status, most votes or newest first."""
    items, total = services.board(session, q or None, status if status in IDEA_STATUSES else None,
                                  sort if sort in services.SORTS else "hot", page)  # fmt: skip
    pages = max(1, -(-total // services.PER_PAGE))
    context = {"items": items, "total": total, "q": q, "status": status, "sort": sort, "page": page,
               "pages": pages, "statuses": IDEA_STATUSES, "flash": _take_flash(request)}  # fmt: skip
    return render(request, "public/ideas.html", context)


@router.get("/ideas/new", dependencies=Reads)
def new_idea_page(request: Request) -> Response:
    """The form to submit an idea."""
    return render(request, "public/idea_new.html", {"values": {}, "similar": [], "error": None})


@router.post("/ideas/new", dependencies=Writes)
def submit_idea_page(request: Request, session: SessionDep, form: PageForm) -> Response:
    """First shows the similar ideas (vote there instead of a copy); `confirm` submits it for review."""
    values = {"title": _field(form, "title", 200), "description": _field(form, "description")}
    if len(values["title"]) < 4:
        return render(request, "public/idea_new.html",
                      {"values": values, "similar": [], "error": "请用至少 4 个字概括您的想法。"}, status=422)  # fmt: skip
    if form.get("confirm") != "1":
        similar = services.similar(session, f"{values['title']}\n{values['description']}")
        if similar:
            return render(request, "public/idea_new.html", {"values": values, "similar": similar, "error": None})
    try:
        services.submit(session, values["title"], values["description"])
    except FeedbackLoopError as exc:
        return render(request, "public/idea_new.html", {"values": values, "similar": [], "error": _text(request, exc)},
                      status=exc.status)  # fmt: skip
    return render(request, "public/idea_done.html", {})


@router.get("/ideas/verify", dependencies=Reads)
def code_page(request: Request, c: Annotated[str, Query(max_length=40)] = "",
              next: Annotated[str, Query(max_length=100)] = "/ideas") -> Response:  # fmt: skip
    """Where the customer types the code we sent."""
    return render(request, "public/idea_verify.html",
                  {"challenge": c, "next": _safe_next(next), "error": None, "flash": _take_flash(request)})  # fmt: skip


@router.post("/ideas/verify", dependencies=Writes)
def ask_code_page(request: Request, session: SessionDep, form: PageForm) -> Response:
    """Send a one-time code to the phone or e-mail address the customer gave."""
    back = _safe_next(_field(form, "next", 100))
    try:
        kind, _ = identity.normalize_contact(_field(form, "contact", 200))
        channels.require(kind)
        ask = services.request_code(session, _field(form, "contact", 200))
        channels.send_code(ask.kind, ask.contact, ask.code, resolve_lang(request))
    except FeedbackLoopError as exc:
        _flash(request, "error", _text(request, exc))
        return RedirectResponse(back, status_code=303)
    _flash(request, "info", SENT_TO[ask.kind])
    return RedirectResponse(f"/ideas/verify?c={ask.challenge}&next={quote(back)}", status_code=303)


@router.post("/ideas/verify/{challenge}", dependencies=Writes)
def check_code_page(challenge: str, request: Request, session: SessionDep, form: PageForm) -> Response:
    """Check the code; the browser is then a verified voter for a day."""
    back = _safe_next(_field(form, "next", 100))
    try:
        _, token = services.verify_code(session, challenge, _field(form, "code", 12), form.get("notify") == "1",
                                       lang=resolve_lang(request))
    except FeedbackLoopError as exc:
        return render(request, "public/idea_verify.html",
                      {"challenge": challenge, "next": back, "error": _text(request, exc), "flash": None},
                      status=exc.status)  # fmt: skip
    request.session[VOTER_KEY] = token
    _flash(request, "info", "验证成功，现在可以投票了。")
    return RedirectResponse(back, status_code=303)


def _safe_next(value: str) -> str:
    """Only back to a board page of ours (no open redirect)."""
    return value if re.fullmatch(r"/ideas(/\d{1,10})?", value or "") else "/ideas"


@router.get("/ideas/unsubscribe/{token}", dependencies=Reads)
def unsubscribe_page(token: str, request: Request, session: SessionDep) -> Response:
    """Asks before it unsubscribes (mail scanners follow links); a link that is not valid says so at once."""
    valid = identity.voter_of_unsubscribe(identity.installation_secret(session), token) is not None
    session.commit()
    return render(request, "public/idea_unsubscribe.html", {"token": token, "done": False, "invalid": not valid},
                  status=200 if valid else 404)  # fmt: skip


@router.post("/ideas/unsubscribe/{token}", dependencies=Writes)
def unsubscribe(token: str, request: Request, session: SessionDep) -> Response:
    """No more notices; the address is forgotten."""
    notify.unsubscribe(session, token)
    return render(request, "public/idea_unsubscribe.html", {"token": token, "done": True})


@router.get("/ideas/{idea_id}", dependencies=Reads)
def idea_page(idea_id: DbId, request: Request, session: SessionDep) -> Response:
    """One idea: votes, the team's answer, co-signatures, and the vote (verified identity) form."""
    view = services.public_detail(session, idea_id)
    voter_id = services.voter_id_from(session, request.session.get(VOTER_KEY))
    context = {"idea": view, "verified": voter_id is not None, "voted": services.has_voted(session, idea_id, voter_id),
               "subscribed": services.is_subscribed(session, idea_id, voter_id),
               "votable": view["status"] in ("open", "planned", "in_progress"), "flash": _take_flash(request),
               "sms": channels.sms_available()}  # fmt: skip
    return render(request, "public/idea.html", context)


@router.post("/ideas/{idea_id}/vote", dependencies=Writes)
def vote_page(idea_id: DbId, request: Request, session: SessionDep, form: PageForm) -> Response:
    """Vote as the verified browser, or with the status link of one's own feedback."""
    link = _STATUS_LINK.search(_field(form, "status_link", 300))
    token = request.session.get(VOTER_KEY)
    try:
        services.cast_vote(session, idea_id, voter_token=None if link else token,
                           status_token=link.group(1) if link else None, comment=_field(form, "comment", 1000),
                           lang=resolve_lang(request))  # fmt: skip
    except FeedbackLoopError as exc:
        _flash(request, "warn" if exc.code == "already_voted" else "error", _text(request, exc))
        return RedirectResponse(f"/ideas/{idea_id}", status_code=303)
    _flash(request, "ok", "投票成功，感谢您的支持！上线时我们会通知您。")
    return RedirectResponse(f"/ideas/{idea_id}", status_code=303)


@router.post("/ideas/{idea_id}/subscribe", dependencies=Writes)
def subscribe_page(idea_id: DbId, request: Request, session: SessionDep) -> Response:
    """Follow the idea without voting, as the verified browser."""
    try:
        services.subscribe(session, idea_id, voter_token=request.session.get(VOTER_KEY), lang=resolve_lang(request))
    except FeedbackLoopError as exc:
        _flash(request, "error", _text(request, exc))
        return RedirectResponse(f"/ideas/{idea_id}", status_code=303)
    _flash(request, "ok", "已关注，上线时我们会通知您。")
    return RedirectResponse(f"/ideas/{idea_id}", status_code=303)


@router.get("/changelog", dependencies=Reads)
def changelog_page(request: Request, session: SessionDep, u: Annotated[str, Query(max_length=80)] = "") -> Response:
    """您说，我们做: what shipped because customers asked, with the measured effect once verified. A text
    message's link carries the reader's unsubscribe token (`u`): the page then offers to unsubscribe."""
    secret = identity.installation_secret(session)
    offer = u if u and identity.voter_of_unsubscribe(secret, u) is not None else ""
    session.commit()
    return render(request, "public/changelog.html", {"entries": notify.changelog(session), "unsubscribe": offer})


# --- Staff -----------------------------------------------------------------------------------------------


@router.get("/workflow/ideas")
def staff_page(request: Request, session: SessionDep, user: StaffPage,
               moderation: Annotated[str, Query(max_length=20)] = "") -> Response:  # fmt: skip
    """Ideas awaiting review first, the priority queue, and the notices sent."""
    context = {"ideas": staff.list_ideas(session, moderation if moderation in MODERATION else None),
               "queue": idea_queue.queue(session), "comments": staff.pending_comments(session), "outbox": notify.outbox(session, 20), "moderation": moderation,
               "statuses": IDEA_STATUSES, "moderations": MODERATION, "threshold": idea_queue.threshold(),
               "flash": _take_flash(request), "can_edit": user.role in PLANNERS}  # fmt: skip
    return render(request, "workflow/ideas.html", context, user=user)


@router.post("/workflow/ideas/{idea_id}", dependencies=[Depends(verify_csrf)])
def staff_action(idea_id: DbId, request: Request, session: SessionDep, user: PlannerPage, form: PageForm) -> Response:
    """publish / reject / merge / status / reply from the staff page."""
    action = _field(form, "action", 20)
    try:
        if action in ("publish", "reject"):
            staff.moderate(session, idea_id, action, _field(form, "reason", 200))
        elif action == "merge":
            into = _field(form, "into_id", 10)
            staff.merge(session, idea_id, int(into) if into.isdigit() else 0)
        elif action in ("show_comment", "hide_comment"):
            vote = _field(form, "vote_id", 10)
            staff.moderate_comment(session, int(vote) if vote.isdigit() else 0, action == "show_comment")
        elif action == "save":
            fields = {k: _field(form, k) for k in ("status", "public_reply", "internal_note") if form.get(k) is not None}
            staff.save_idea(session, fields, idea_id, user)
        else:
            _flash(request, "error", "未知操作。")
            return RedirectResponse("/workflow/ideas", status_code=303)
    except FeedbackLoopError as exc:
        _flash(request, "error", _text(request, exc))
        return RedirectResponse("/workflow/ideas", status_code=303)
    _flash(request, "ok", "想法已更新。")
    return RedirectResponse("/workflow/ideas", status_code=303)
