"""Replies to the customer, reply templates with placeholders, the knowledge base and suggested replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import HANDLERS
from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.lib import textnorm
from feedbackloop.lib.clock import CHINA, clock
from feedbackloop.lib.humanize import CJK, both_sides, localize_message
from feedbackloop.workflow import channels, mail
from feedbackloop.workflow.customer import awaits_answer
from feedbackloop.workflow.models import TEMPLATE_KINDS, HistoryEntry, KbArticle, Reply, ReplyTemplate
from feedbackloop.workflow.services import (
    SUPERVISORS,
    add_history,
    ensure_token,
    get_record,
    notify,
    status_link,
)

# Called with the reply's id once a customer reply (e-mail, SMS, WeChat, call-back) is committed;
# workflow/tasks.py registers the sending (deliver).
after_email_reply_hooks: list[Callable[[int], None]] = []
CUSTOMER_KINDS = ("email", "sms", "wechat", "phone")
REPLY_KINDS = ("customer", *CUSTOMER_KINDS, "note", "public_draft")
MANUAL_LABEL = "待人工外呼"
REPLY_LABELS = {  # history reasons, "中文 / English" like every stored message
    "email": "邮件回复客户 / E-mail reply to the customer", "sms": "短信回复客户 / SMS reply to the customer",
    "wechat": "微信回复客户 / WeChat reply to the customer",
    "phone": "电话回复客户（待人工外呼） / Reply by phone (to call by hand)",
    "note": "内部备注 / Internal note", "public_draft": "公开回复草稿 / Draft of a public reply",
}  # fmt: skip
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = {
    "customer_name": "客户称呼",
    "feedback_id": "反馈编号",
    "product": "产品/服务",
    "module": "模块",
    "next_step": "下一步",
    "deadline": "预计完成时间",
    "owner": "负责人",
    "status_link": "进度查询链接",
}

# kind → (name, subject in Chinese, subject in English, body). The subject follows the customer's language.
DEFAULT_TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "complaint": (
        "投诉回复",
        "关于您反馈的问题",
        "About the problem you reported",
        "{customer_name}，您好：\n\n非常抱歉{product}给您带来了不好的体验。您的反馈（{feedback_id}）已由{owner}负责处理。\n"
        "下一步：{next_step}\n预计完成时间：{deadline}\n\n处理进度可随时查看：{status_link}\n\n再次致歉，感谢您的耐心。",
    ),
    "suggestion": (
        "建议回复",
        "感谢您的建议",
        "Thank you for your suggestion",
        "{customer_name}，您好：\n\n感谢您对{product}提出的宝贵建议（{feedback_id}）。我们已转交相关团队评估，"
        "负责人：{owner}。\n下一步：{next_step}\n\n进度查询：{status_link}",
    ),
    "praise": (
        "表扬回复",
        "感谢您的认可",
        "Thank you",
        "{customer_name}，您好：\n\n非常感谢您对{product}的认可与鼓励！我们会继续努力。\n\n反馈编号{feedback_id}，"
        "查看：{status_link}",
    ),
    "neutral": (
        "一般回复",
        "我们已收到您的反馈",
        "We received your feedback",
        "{customer_name}，您好：\n\n我们已收到您的反馈（{feedback_id}），{owner}将跟进处理。\n下一步：{next_step}\n"
        "预计完成时间：{deadline}\n\n进度查询：{status_link}",
    ),
}
SUBJECTS_EN = {"关于您的反馈": "About your feedback"}


def customer_lang(record: Feedback) -> str:
    """The customer's language, read from what they wrote: zh-CN unless the text has (almost) no Chinese."""
    return text_lang(record.content or "")


def text_lang(text: str) -> str:
    """zh-CN unless the text has (almost) no Chinese, then en."""
    letters = sum(ch.isalpha() for ch in text)
    return "zh-CN" if not letters or len(CJK.findall(text)) * 5 >= letters else "en"


def subject_in(record: Feedback, zh: str, en: str | None = None) -> str:
    """A subject in the customer's language."""
    return zh if customer_lang(record) == "zh-CN" else (en or SUBJECTS_EN.get(zh, zh))


def missing_placeholders(text: str) -> list[str]:
    """The {placeholders} still unfilled in a text, in order."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) in PLACEHOLDERS))


def ensure_default_templates(session: Session) -> None:
    """Create the four default templates if none exist."""
    if session.scalar(select(ReplyTemplate.id).limit(1)) is None:
        for kind, (name, subject, subject_en, body) in DEFAULT_TEMPLATES.items():
            session.add(ReplyTemplate(name=name, kind=kind, subject=subject, subject_en=subject_en, body=body))
        session.commit()


def render(text: str, values: dict[str, str]) -> str:
    """Fill {placeholders}; unknown ones stay visible so the agent sees what is missing."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def kind_for(record: Feedback) -> str:
    """Which template fits: complaint, suggestion, praise or neutral (analysis first, then the rating)."""
    from feedbackloop.workflow.priority import sentiment_of

    label, _ = sentiment_of(record)
    if label == "negative":
        return "complaint"
    if ((record.analysis or {}).get("urgency") or record.urgency) == "建议":
        return "suggestion"
    return "praise" if label == "positive" else "neutral"


def placeholder_values(
    session: Session, record: Feedback, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """What each placeholder says for this item: from the item itself (product and module as stated, else
    as the analysis found them in the text; owner; SLA deadline). A value the item does not have is left
    out, so the placeholder stays visible and the editor marks it."""
    owner = session.get(User, record.owner_id) if record.owner_id else None
    ensure_token(record)
    due = record.resolution_due
    mentions = (record.analysis or {}).get("mentions") or {}
    found_products = [str(p) for p in mentions.get("products") or []] if isinstance(mentions, dict) else []
    found_modules = [str(m) for m in mentions.get("modules") or []] if isinstance(mentions, dict) else []
    values = {
        "customer_name": record.customer_name or "尊敬的客户",
        "feedback_id": record.id,
        "product": record.product or (found_products[0] if found_products else "") or record.touchpoint or "",
        "module": record.module or (found_modules[0] if found_modules else ""),
        "owner": (owner.display_name or owner.username) if owner else "",
        "deadline": due.astimezone(mail_tz()).strftime("%Y-%m-%d %H:%M") if due else "",
        "next_step": "我们会核实情况并尽快与您联系",
        "status_link": status_link(record),
    }
    values.update({k: v for k, v in (extra or {}).items() if v})
    return {k: v for k, v in values.items() if v}


def mail_tz() -> Any:
    return CHINA


# --- Templates CRUD ---------------------------------------------------------------------------------------


def list_templates(session: Session) -> list[ReplyTemplate]:
    ensure_default_templates(session)
    return list(session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.kind, ReplyTemplate.id)))


def get_template(session: Session, template_id: int) -> ReplyTemplate:
    tpl = session.get(ReplyTemplate, template_id)
    if tpl is None:
        raise NotFound(f"模板 {template_id} 不存在 / template {template_id} not found")
    return tpl


def save_template(session: Session, fields: dict[str, Any], template_id: int | None = None) -> ReplyTemplate:
    """Create or update a reply template."""
    if fields.get("kind") is not None and fields["kind"] not in TEMPLATE_KINDS:
        raise ValidationFailed(
            f"模板类型须为 {', '.join(TEMPLATE_KINDS)} / kind must be one of {list(TEMPLATE_KINDS)}"
        )
    tpl = get_template(session, template_id) if template_id else ReplyTemplate()
    for key, value in fields.items():
        if value is not None:
            setattr(tpl, key, value)
    if template_id is None:
        session.add(tpl)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"模板名称 '{fields.get('name')}' 已存在 / template name taken") from exc
    return tpl


def delete_template(session: Session, template_id: int) -> None:
    session.delete(get_template(session, template_id))
    session.commit()


def fill_template(
    session: Session, feedback_id: str, template_id: int, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """A template filled in for one item, and the placeholders it could not fill (`missing`)."""
    record = get_record(session, feedback_id)
    tpl = get_template(session, template_id)
    values = placeholder_values(session, record, extra)
    session.commit()
    subject = subject_in(record, tpl.subject, tpl.subject_en)
    body = render(tpl.body, values)
    return {"subject": render(subject, values), "body": body, "missing": missing_placeholders(body)}


# --- Knowledge base ---------------------------------------------------------------------------------------


def save_article(session: Session, fields: dict[str, Any], article_id: int | None = None) -> KbArticle:
    """Create or update a knowledge-base article."""
    art = get_article(session, article_id) if article_id else KbArticle()
    for key, value in fields.items():
        if value is not None:
            setattr(art, key, value)
    if article_id is None:
        session.add(art)
    session.commit()
    return art


def get_article(session: Session, article_id: int) -> KbArticle:
    art = session.get(KbArticle, article_id)
    if art is None:
        raise NotFound(f"知识库文章 {article_id} 不存在 / article {article_id} not found")
    return art


def delete_article(session: Session, article_id: int) -> None:
    session.delete(get_article(session, article_id))
    session.commit()


def search_articles(
    session: Session, q: str | None = None, tag: str | None = None, due_review: bool = False
) -> list[KbArticle]:
    """Articles matching a text (title, problem, cause, steps) and/or a tag; or those due for review."""
    stmt = select(KbArticle)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(
                KbArticle.title.like(like),
                KbArticle.problem.like(like),
                KbArticle.root_cause.like(like),
                KbArticle.steps.like(like),
            )
        )
    if due_review:
        stmt = stmt.where(KbArticle.review_date <= clock.now().date())
    rows = list(session.scalars(stmt.order_by(KbArticle.updated_at.desc()).limit(500)))
    if tag:
        rows = [a for a in rows if tag in (a.tags or [])]
    return rows


def _similarity(a: set[str], text: str) -> float:
    return textnorm.jaccard(a, textnorm.shingles(text))


def suggest(session: Session, feedback_id: str) -> dict[str, Any]:
    """A draft reply from the fitting template, the closest KB article and the most similar resolved cases."""
    record = get_record(session, feedback_id)
    grams = textnorm.shingles(record.content)
    arts = list(session.scalars(select(KbArticle).limit(2000)))
    best_art = max(
        arts,
        key=lambda a: _similarity(grams, f"{a.title} {a.problem} {' '.join(a.tags or [])}"),
        default=None,
    )
    art_score = (
        _similarity(grams, f"{best_art.title} {best_art.problem} {' '.join(best_art.tags or [])}")
        if best_art
        else 0
    )
    candidates = session.execute(
        select(Feedback.id, Feedback.content)
        .where(Feedback.status.in_(("resolved", "closed")), Feedback.id != record.id)
        .where(or_(Feedback.problem_type == record.problem_type, Feedback.problem_type.is_(None)))
        .order_by(Feedback.resolved_at.desc())
        .limit(500)
    ).all()
    similar = sorted(((round(_similarity(grams, c), 3), fid) for fid, c in candidates), reverse=True)[:3]
    similar = [s for s in similar if s[0] > 0.05]
    past = {}
    if similar:
        for fid, body in session.execute(
            select(Reply.feedback_id, Reply.body)
            .where(
                Reply.feedback_id.in_([f for _, f in similar]),
                Reply.direction == "out",
                Reply.kind == "email",
            )
            .order_by(Reply.id)
        ):
            past[fid] = body
    next_step = best_art.steps.strip() if best_art and art_score > 0.05 and best_art.steps else None
    kind = kind_for(record)
    tpl = next((t for t in list_templates(session) if t.kind == kind and t.is_active), None)
    values = placeholder_values(session, record, {"next_step": next_step} if next_step else None)
    body = render(tpl.body, values) if tpl else ""
    subject = render(subject_in(record, tpl.subject, tpl.subject_en), values) if tpl else subject_in(record, "关于您的反馈")
    session.commit()
    return {
        "missing": missing_placeholders(body),
        "kind": kind,
        "template_id": tpl.id if tpl else None,
        "subject": subject,
        "body": body,
        "knowledge": (
            {
                "id": best_art.id,
                "title": best_art.title,
                "root_cause": best_art.root_cause,
                "steps": best_art.steps,
                "score": round(art_score, 3),
            }
            if best_art and art_score > 0.05
            else None
        ),
        "similar_cases": [{"id": fid, "score": s, "reply": past.get(fid)} for s, fid in similar],
    }


# --- Replies ----------------------------------------------------------------------------------------------


def create_reply(
    session: Session,
    feedback_id: str,
    user: User,
    body: str,
    *,
    subject: str | None = None,
    kind: str = "email",
) -> Reply:
    """Record a reply: to the customer (kind "customer" picks e-mail, SMS or WeChat from the contact; or name
    one), an internal note, or a public-review draft. Customer replies are queued to send; a contact no
    configured channel reaches is recorded as 待人工外呼 with a task for the owner."""
    if kind not in REPLY_KINDS:
        raise ValidationFailed(f"kind 须为 {' / '.join(REPLY_KINDS)} / unknown reply kind")
    if not body.strip():
        raise ValidationFailed("回复内容不能为空 / reply body is empty")
    missing = missing_placeholders(body) if kind not in ("note", "public_draft") else []
    if missing:
        names = "、".join(PLACEHOLDERS[m] for m in missing)
        raise ValidationFailed(
            f"回复中还有未填写的占位符：{names}，请替换后再发送 / unfilled placeholders: {', '.join(missing)}",
            details={"missing": missing},
        )
    begin_write(session)
    record = get_record(session, feedback_id, lock=True)
    if kind == "customer":
        if not (record.contact or "").strip():
            raise Conflict("该客户没有留下联系方式，无法回复；可以写一条内部备注 / "
                           "The customer left no contact to reply to: write an internal note instead", code="no_contact")  # fmt: skip
        kind = channels.channel_for(record.contact) or "phone"
    if kind == "email" and not mail.is_email(record.contact):
        raise Conflict(
            "该客户没有可用的邮箱地址，请改用短信、备注或电话联系 / the customer has no email address",
            code="no_email",
        )
    if kind in ("sms", "wechat") and channels.channel_for(record.contact) != kind:
        raise Conflict(
            f"该客户的联系方式不是{channels.CHANNEL_LABELS[kind]}可达的 / the contact cannot receive {kind}",
            code="no_contact",
        )
    ensure_token(record)
    link = status_link(record)
    outgoing = kind in CUSTOMER_KINDS
    if kind == "email" and link not in body:
        body = f"{body.rstrip()}\n\n{'处理进度：' if customer_lang(record) == 'zh-CN' else 'Progress: '}{link}"
    now = clock.now()
    reply = Reply(
        feedback_id=record.id,
        direction="out",
        kind=kind,
        author_id=user.id,
        to_addr=record.contact if outgoing else None,
        subject=mail.subject_for(record, subject or subject_in(record, "关于您的反馈"))
        if kind == "email"
        else subject,
        body=body,
        state="queued" if outgoing else "draft",
        created_at=now,
    )
    session.add(reply)
    if kind in ("email", "sms", "wechat") and record.first_responded_at is None:
        record.first_responded_at = now
        record.sla_reminded_at = None
    add_history(session, record, "reply", user, REPLY_LABELS[kind])
    session.commit()
    if outgoing:
        for hook in after_email_reply_hooks:
            hook(reply.id)
    return reply


def callback_people(session: Session, record: Feedback) -> list[int]:
    """Who gets a 待人工外呼 task: the owner; for an unowned item its team's handlers, else the supervisors,
    so that a call nobody can be assigned to is never a task nobody sees."""
    if record.owner_id:
        return [record.owner_id]
    handlers = select(User.id).where(User.is_active.is_(True), User.role.in_(sorted(HANDLERS)))
    if record.team_id:
        team = list(session.scalars(handlers.where(User.team_id == record.team_id)))
        if team:
            return team
    return list(session.scalars(select(User.id).where(User.is_active.is_(True), User.role.in_(SUPERVISORS))))


def deliver(session: Session, reply_id: int) -> Reply | None:
    """Send a queued customer reply on its channel and record the result on the item; commits.

    E-mail goes through SMTP (mail.deliver_reply); SMS and WeChat through the configured adapter. Where no
    provider is configured (or the contact is only a landline), the reply becomes 待人工外呼 (state
    "manual") and the owner gets a task to call the customer."""
    reply = session.get(Reply, reply_id)
    if reply is None or reply.state not in ("queued", "failed"):
        return reply
    if reply.kind in ("email", "notice"):
        return mail.deliver_reply(session, reply_id)
    begin_write(session)
    record = get_record(session, reply.feedback_id)
    result = channels.send_to_customer(
        reply.to_addr, reply.body, status_link(record), reference=record.id, channel=reply.kind
    )
    reply.provider, reply.error = result.provider, result.error
    reply.message_id = result.message_id or reply.message_id
    provider = channels.PROVIDER_LABELS.get(result.provider or "", "")
    provider_en = channels.PROVIDER_LABELS_EN.get(result.provider or "", "")
    what = channels.CHANNEL_LABELS.get(reply.kind, reply.kind)
    what_en = channels.CHANNEL_LABELS_EN.get(reply.kind, reply.kind)
    error_zh, error_en = both_sides(result.error or "")
    if result.state == "sent":
        reply.state, reply.sent_at = "sent", clock.now()
        add_history(session, record, "delivery", None,
                    f"{what}已送达服务商（{provider}，编号 {result.message_id}） / "
                    f"{what_en} handed to the provider ({provider_en}, id {result.message_id})",
                    data={"reply_id": reply.id, "provider": result.provider, "state": "sent"})  # fmt: skip
    elif result.state == "manual":
        reply.state = "manual"
        add_history(session, record, "delivery", None, f"{MANUAL_LABEL}：{error_zh} / To call by hand: {error_en}",
                    data={"reply_id": reply.id, "state": "manual"})  # fmt: skip
        notify(session, callback_people(session, record), record, "callback",
               f"请电话联系客户：反馈 {record.id}（{MANUAL_LABEL}） / Call the customer back: item {record.id}",
               f"{reply.body}\n\n客户联系方式见反馈详情。 / The customer's contact is on the item's page.")  # fmt: skip
    else:
        reply.state = "failed"
        add_history(session, record, "delivery", None,
                    f"{what}发送失败（{provider}）：{error_zh} / {what_en} failed ({provider_en}): {error_en}",
                    data={"reply_id": reply.id, "provider": result.provider, "state": "failed"})  # fmt: skip
    session.commit()
    return reply


def replies(session: Session, feedback_id: str) -> list[Reply]:
    get_record(session, feedback_id)
    return list(session.scalars(select(Reply).where(Reply.feedback_id == feedback_id).order_by(Reply.id)))


def resolution_notice(session: Session, feedback_id: str) -> Reply | None:
    """Tell the customer what was done and ask the satisfaction question (email, within 24 h). Commits."""
    record = get_record(session, feedback_id)
    if (
        record.customer_notified_at
        or record.status not in ("resolved", "closed")
        or not mail.is_email(record.contact)
    ):
        return None
    last = session.scalar(
        select(Reply.body)
        .where(Reply.feedback_id == record.id, Reply.direction == "out", Reply.kind == "email")
        .order_by(Reply.id.desc())
        .limit(1)
    )
    done = session.scalar(
        select(HistoryEntry.reason)
        .where(HistoryEntry.feedback_id == record.id, HistoryEntry.to_status == "resolved")
        .order_by(HistoryEntry.id.desc())
        .limit(1)
    )
    link = status_link(record)
    result = done or (last.splitlines()[0] if last and last.strip() else None)
    if customer_lang(record) == "zh-CN":
        subject = "您的反馈已处理完成"
        body = (f"{record.customer_name or '尊敬的客户'}，您好：\n\n您的反馈 {record.id} 已处理完成。\n"
                f"处理结果：{localize_message(result or '问题已解决', 'zh-CN')}\n\n"
                f"您对本次处理满意吗？请点击链接选择「满意」或「不满意」：{link}\n"
                f"如不满意，我们会重新处理。")  # fmt: skip
    else:
        subject = "Your feedback has been resolved"
        body = (f"Dear {record.customer_name or 'customer'},\n\nYour feedback {record.id} has been resolved.\n"
                f"Result: {localize_message(result or 'The problem was solved', 'en')}\n\n"
                f"Were you satisfied? Open the link and choose satisfied or not satisfied: {link}\n"
                f"If you are not, we will look at it again.")  # fmt: skip
    reply = _send_notice(session, record, subject, body)
    if reply.state == "sent":
        record.customer_notified_at = clock.now()
        session.commit()
    return reply


def followup_notice(session: Session, feedback_id: str) -> Reply | None:
    """The follow-up check a few days after resolution: ask the customer whether the problem stayed solved.

    Sent by email when the item is still resolved or closed and the customer did not already say they were
    dissatisfied (that reopened the item). Commits.
    """
    record = get_record(session, feedback_id)
    if record.status not in ("resolved", "closed") or not mail.is_email(record.contact):
        return None
    link = status_link(record)
    if customer_lang(record) == "zh-CN":
        answer = (f"如问题仍然存在，请打开链接选择「不满意」，我们会重新处理：{link}" if awaits_answer(record)
                  else f"如问题再次出现，请直接回复本邮件，负责的客服会跟进。处理进度：{link}")  # fmt: skip
        body = (f"{record.customer_name or '尊敬的客户'}，您好：\n\n您的反馈 {record.id} 处理完成已有几天，"
                f"我们想确认：问题是否已经彻底解决？\n{answer}")  # fmt: skip
        return _send_notice(session, record, "回访：问题是否已彻底解决？", body)
    answer = (f"If it is not, open the link and choose not satisfied, and we will look at it again: {link}"
              if awaits_answer(record) else f"If it comes back, reply to this e-mail and your agent will follow up: {link}")
    body = (f"Dear {record.customer_name or 'customer'},\n\nA few days ago we resolved your feedback {record.id}. "
            f"Is the problem still solved?\n{answer}")  # fmt: skip
    return _send_notice(session, record, "Follow-up: is the problem still solved?", body)


def _send_notice(session: Session, record: Feedback, subject: str, body: str) -> Reply:
    """Record a system email to the customer in the item's conversation and send it now."""
    reply = Reply(
        feedback_id=record.id,
        direction="out",
        kind="notice",
        to_addr=record.contact,
        subject=mail.subject_for(record, subject),
        body=body,
        state="queued",
        created_at=clock.now(),
    )
    session.add(reply)
    session.flush()
    return mail.deliver_reply(session, reply.id)


def kb_from_item(session: Session, feedback_id: str, fields: dict[str, Any]) -> KbArticle:
    """Turn a resolved item into a KB article (problem from the item, steps from the agent)."""
    record = get_record(session, feedback_id)
    data = {
        "title": f"{record.problem_type or '问题'}: {record.content[:40]}",
        "problem": record.content,
        "problem_type": record.problem_type,
        "source_feedback_id": record.id,
        "review_date": date(clock.now().year + 1, clock.now().month, 1),
    }
    data.update({k: v for k, v in fields.items() if v is not None})
    return save_article(session, data)
