"""Closing the loop in public: the "您说，我们做" changelog, and the "已上线" notice to every voter and every
customer whose feedback is linked, when an idea or its improvement plan ships.

Announcing writes one outbox row per recipient (unique per announcement and identity, so nobody is told
twice, however often it runs); delivering sends what is queued and records each outcome."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedbackloop.config import get_settings
from feedbackloop.db import begin_write
from feedbackloop.errors import FeedbackLoopError, NotFound, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas import channels, identity
from feedbackloop.ideas.models import IDEA_STATUS_FOR_PLAN, Idea, Notice, Subscription, Vote, Voter
from feedbackloop.ideas.plan_priority import asked_for
from feedbackloop.ideas.services import feedback_identity, public_view
from feedbackloop.insight import improvements
from feedbackloop.insight.models import ImprovementPlan
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.channels.aliyun_sms import VARIABLE_MAX
from feedbackloop.workflow.replies import customer_lang, text_lang

log = logging.getLogger(__name__)
SHIPPED_PLAN = ("shipped", "verified")
MAX_ATTEMPTS = 5
PUBLIC_EFFECT_DAYS = 7  # the changelog shows a measured effect once a week after shipping is in
SMS_CONTENT_MAX = VARIABLE_MAX  # the providers' limit of one template variable
# The plan's life cycle as the board shows it on the plan's ideas.


def _base() -> str:
    return get_settings().link_base()


# --- Who asked for it ------------------------------------------------------------------------------------


def _plan_ideas(session: Session, plan_id: int) -> list[Idea]:
    return list(session.scalars(select(Idea).where(Idea.plan_id == plan_id, Idea.status != "duplicate")))


# --- Announcing ------------------------------------------------------------------------------------------


def on_plan_status(session: Session, plan_id: int) -> int:
    """Mirror a plan's status on its ideas; once it ships, queue the notices. Returns notices queued; commits."""
    begin_write(session)
    plan = session.get(ImprovementPlan, plan_id)
    if plan is None:
        session.rollback()  # end the write transaction begun above
        return 0
    ideas = _plan_ideas(session, plan.id)
    mirrored = IDEA_STATUS_FOR_PLAN.get(plan.status)
    for idea in ideas:
        if mirrored and idea.status != mirrored:
            idea.status = mirrored
            if mirrored == "shipped":
                idea.shipped_at = idea.shipped_at or plan.shipped_at or clock.now()
    queued = _announce(session, f"plan:{plan.id}", plan, ideas) if plan.status in SHIPPED_PLAN else 0
    session.commit()
    return queued


def on_idea_shipped(session: Session, idea_id: int) -> int:
    """Queue the notices for an idea that staff marked 已上线 (through its plan's announcement if it has one)."""
    begin_write(session)
    idea = session.get(Idea, idea_id)
    if idea is None or idea.status != "shipped":
        session.rollback()  # end the write transaction begun above
        return 0
    plan = session.get(ImprovementPlan, idea.plan_id) if idea.plan_id else None
    subject = f"plan:{plan.id}" if plan is not None else f"idea:{idea.id}"
    queued = _announce(session, subject, plan, [idea] if plan is None else _plan_ideas(session, plan.id) or [idea])
    session.commit()
    return queued


def on_idea_linked(session: Session, idea_id: int) -> int:
    """An idea newly linked to a plan that has already shipped: its own voters and followers hear now (the
    plan's customers heard, or not, when it shipped; they are not told a second time or a month late)."""
    begin_write(session)
    idea = session.get(Idea, idea_id)
    plan = session.get(ImprovementPlan, idea.plan_id) if idea is not None and idea.plan_id else None
    if idea is None or plan is None or plan.status not in SHIPPED_PLAN:
        session.rollback()
        return 0
    queued = _announce(session, f"plan:{plan.id}", plan, [idea], customers=False)
    session.commit()
    return queued


def _announce(session: Session, subject: str, plan: ImprovementPlan | None, ideas: list[Idea],
              customers: bool = True) -> int:  # fmt: skip
    secret = identity.installation_secret(session)
    told = set(session.scalars(select(Notice.recipient_hash).where(Notice.subject == subject)))
    headline = ideas[0].title if ideas else (plan.title if plan else "")
    link = f"{_base()}/changelog#{subject.replace(':', '-')}"
    reply = next((i.public_reply for i in ideas if i.public_reply), "")
    queued = 0
    for voter in _voters(session, [i.id for i in ideas]):
        queued += _queue(session, subject, told, voter, secret, "voter", headline, reply, link)
    asked = sorted(asked_for(session, plan, ideas)) if customers else []
    for record in session.scalars(select(Feedback).where(Feedback.id.in_(asked))):
        ident, kind = feedback_identity(secret, record)
        if kind == "feedback":
            continue  # no address to write to
        known = session.scalar(select(Voter).where(Voter.identity_hash == ident))
        # A customer who never used the board is written to in the language of their feedback (the replies' rule).
        voter = known or Voter(identity_hash=ident, kind=kind, contact=_canonical(record.contact), feedback_id=record.id,
                               lang=customer_lang(record))  # fmt: skip
        if known is None:
            session.add(voter)
            session.flush()
        queued += _queue(session, subject, told, voter, secret, "customer", headline, reply, link)
    return queued


def _canonical(contact: str | None) -> str | None:
    try:
        return identity.normalize_contact(contact or "")[1]
    except ValidationFailed:
        return None


def _voters(session: Session, idea_ids: list[int]) -> list[Voter]:
    """The voters and the subscribers of the ideas, each once."""
    if not idea_ids:
        return []
    voted = select(Vote.voter_id).where(Vote.idea_id.in_(idea_ids))
    followed = select(Subscription.voter_id).where(Subscription.idea_id.in_(idea_ids))
    return list(session.scalars(select(Voter).where(Voter.id.in_(voted.union(followed))).order_by(Voter.id)))


def _address(session: Session, voter: Voter) -> tuple[str, str] | None:
    """(channel, address) to reach a voter: their verified contact, or their feedback's."""
    if voter.contact and voter.kind in ("email", "phone"):
        return ("email" if voter.kind == "email" else "sms"), voter.contact
    if voter.feedback_id:
        record = session.get(Feedback, voter.feedback_id)
        canonical = _canonical(record.contact if record else None)
        if canonical:
            return ("email" if "@" in canonical else "sms"), canonical
    return None


def _queue(session: Session, subject: str, told: set[str], voter: Voter, secret: str, role: str, headline: str,
           reply: str, link: str) -> int:  # fmt: skip
    if voter.identity_hash in told or not voter.notify:
        return 0
    target = _address(session, voter)
    if target is None:
        return 0
    channel, address = target
    title, body = _message(role, channel, headline, reply, link, identity.unsubscribe_token(secret, voter.id),
                           _voter_lang(session, voter))  # fmt: skip
    state = "queued" if channel == "email" or channels.sms_available() else "pending_channel"
    session.add(Notice(subject=subject, recipient_hash=voter.identity_hash, channel=channel, address=address,
                       voter_id=voter.id, title=title, body=body, state=state, created_at=clock.now()))  # fmt: skip
    told.add(voter.identity_hash)
    return 1


def _voter_lang(session: Session, voter: Voter) -> str:
    """The language to write to this person in: the one they used on the board, else their feedback's."""
    if voter.lang in ("zh-CN", "en"):
        return str(voter.lang)
    record = session.get(Feedback, voter.feedback_id) if voter.feedback_id else None
    return customer_lang(record) if record is not None else "zh-CN"


def _message(role: str, channel: str, headline: str, reply: str, link: str, unsub: str,
             lang: str = "zh-CN") -> tuple[str, str]:  # fmt: skip
    """The notice's subject and text, in the customer's language (each version complete in itself)."""
    stop = _unsubscribe_url(unsub)
    en, customer = lang == "en", role == "customer"
    if en:
        link, stop = link.replace("#", "?lang=en#", 1) if "#" in link else f"{link}?lang=en", f"{stop}?lang=en"
        title = ("What you reported is fixed in our new version" if customer
                 else f"An idea you voted for has shipped: {headline}"[:200])  # fmt: skip
        lead = (f"You said, we did: what you reported (“{headline}”) is fixed in our new version. Try it out!"
                if customer else f"You said, we did: the idea you backed, “{headline}”, has shipped. Try it out!")  # fmt: skip
    else:
        title = "您反馈的问题已在新版本中修复，欢迎体验" if customer else f"您支持的想法已上线：{headline}"[:200]
        lead = (f"您说，我们做：您反馈的问题「{headline}」已在新版本中修复（已上线），欢迎体验。" if customer
                else f"您说，我们做：您支持的想法「{headline}」已上线，欢迎体验。")  # fmt: skip
    if channel == "sms":
        pattern = (("Fixed: {}" if customer else "Now live: {}") if en
                   else ("您反馈的问题「{}」已修复上线" if customer else "您支持的想法「{}」已上线"))  # fmt: skip
        return title, sms_body(pattern, headline, _with_unsubscribe(link, unsub))
    if en:
        reply = reply if reply and text_lang(reply) == "en" else ""  # the team's answer only where it is in English
        parts = [lead, reply, f"See “You said, we did”: {link}", "", f"Rather not get these notices? Unsubscribe: {stop}"]
    else:
        parts = [lead, reply, f"查看「您说，我们做」：{link}", "", f"不想再收到此类通知？退订：{stop}"]
    return title, "\n".join(p for p in parts if p is not None)


def _unsubscribe_url(token: str) -> str:
    return f"{_base()}/ideas/unsubscribe/{token}"


def sms_body(pattern: str, headline: str, link: str) -> str:
    """A text message as the providers take it: China's SMS are templates registered with the provider
    (its 【签名】, the fixed words and 回T退订 are in the template), and we fill a content variable of at most
    SMS_CONTENT_MAX characters and a link variable. Stored as "content\nlink"; `sms_parts` splits it again.
    The headline is shortened to fit, so the message always says what happened ("…已上线")."""
    room = SMS_CONTENT_MAX - len(pattern.format(""))
    headline = " ".join(headline.split())  # a title's line break would split content from link
    short = headline if len(headline) <= room else headline[: max(room - 1, 1)] + "…"
    return f"{pattern.format(short)}\n{link}"


def sms_parts(body: str) -> tuple[str, str]:
    content, _, link = body.partition("\n")
    return content, link


def _with_unsubscribe(link: str, unsub: str) -> str:
    """The changelog link that also offers to unsubscribe (a text message holds one link only)."""
    page, _, anchor = link.partition("#")
    joiner = "&" if "?" in page else "?"
    return f"{page}{joiner}u={unsub}" + (f"#{anchor}" if anchor else "")


# --- Delivering ------------------------------------------------------------------------------------------


def deliver(session: Session, limit: int = 200) -> dict[str, int]:
    """Send queued notices (and, once SMS exists, those waiting for it); each outcome recorded. Commits."""
    states = ["queued", "failed"] + (["pending_channel"] if channels.sms_available() else [])
    begin_write(session)
    pending = list(session.scalars(select(Notice).where(Notice.state.in_(states), Notice.attempts < MAX_ATTEMPTS)
                                   .order_by(Notice.id).limit(limit)))  # fmt: skip
    secret = identity.installation_secret(session)
    session.commit()
    counts = {"sent": 0, "failed": 0}
    for notice in pending:
        stop = _unsubscribe_url(identity.unsubscribe_token(secret, notice.voter_id)) if notice.voter_id else None
        ok = _send_one(notice, stop)
        begin_write(session)
        row = session.get(Notice, notice.id)
        if row is None or row.state not in states:
            session.commit()
            continue
        row.attempts += 1
        if ok is None:
            row.state, row.sent_at, row.address, row.error = "sent", clock.now(), None, None
            counts["sent"] += 1
        else:
            row.state, row.error = "failed", ok[:300]
            counts["failed"] += 1
        session.commit()
    return counts


def _send_one(notice: Notice, unsubscribe: str | None) -> str | None:
    """None when sent, else the reason."""
    try:
        if notice.channel == "email":
            channels.send_email(notice.address or "", notice.title, notice.body, unsubscribe)
        else:
            channels.send_sms(notice.address or "", *sms_parts(notice.body))
    except FeedbackLoopError as exc:
        log.warning("idea notice %s failed: %s", notice.id, exc.message)
        return exc.message
    return None


def unsubscribe(session: Session, token: str) -> None:
    """Stop every further notice to this voter and forget their address; commits."""
    secret = identity.installation_secret(session)
    voter_id = identity.voter_of_unsubscribe(secret, token)
    begin_write(session)
    voter = session.get(Voter, voter_id) if voter_id else None
    if voter is None:
        raise NotFound("退订链接无效 / this unsubscribe link is not valid")
    voter.notify, voter.contact = False, None
    for notice in session.scalars(select(Notice).where(Notice.voter_id == voter.id,
                                                       Notice.state.in_(("queued", "failed", "pending_channel")))):  # fmt: skip
        notice.state, notice.address = "unsubscribed", None
    session.commit()


# --- The changelog ---------------------------------------------------------------------------------------


def effect_text(change: float | None) -> str | None:
    """"相关投诉下降 70%" from the effect review's volume change; None without a baseline."""
    if change is None:
        return None
    value = round(change * 100)
    if value < 0:
        return f"相关投诉下降 {-value}%"
    return f"相关投诉上升 {value}%" if value > 0 else "相关投诉持平"


def changelog(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Shipped improvements, newest first: plans once 已上线/已验证 and ideas shipped on their own, each with
    the number of feedback items (and votes) that asked for it and, once verified, its measured effect."""
    entries = []
    plans = session.scalars(select(ImprovementPlan).where(ImprovementPlan.status.in_(SHIPPED_PLAN))
                            .order_by(ImprovementPlan.shipped_at.desc()).limit(limit))  # fmt: skip
    for plan in plans:
        ideas = [i for i in _plan_ideas(session, plan.id) if i.moderation == "published"]
        change, measuring = None, False
        if plan.status == "verified":
            review = improvements.review(session, plan)
            # A public claim needs a week of after-data: "下降 100%" an hour after shipping measures nothing.
            if review.partial or review.days < PUBLIC_EFFECT_DAYS or review.volume_change is None:
                measuring = review.stage == "review"
            else:
                change = review.volume_change
        entries.append(_entry(f"plan-{plan.id}", plan.title, ideas, plan.shipped_at,
                              len(asked_for(session, plan, ideas)), change, plan.status == "verified", measuring))  # fmt: skip
    alone = session.scalars(select(Idea).where(Idea.status == "shipped", Idea.plan_id.is_(None),
                                               Idea.moderation == "published")
                            .order_by(Idea.shipped_at.desc()).limit(limit))  # fmt: skip
    for idea in alone:
        entries.append(_entry(f"idea-{idea.id}", idea.title, [idea], idea.shipped_at,
                              len(asked_for(session, None, [idea])), None, False))  # fmt: skip
    entries.sort(key=lambda e: e["shipped_at"] or clock.now(), reverse=True)
    return entries[:limit]


def _entry(anchor: str, title: str, ideas: list[Idea], shipped_at: Any, asked: int, change: float | None,
           verified: bool, measuring: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"anchor": anchor, "title": title, "shipped_at": shipped_at, "feedback_count": asked,
            "votes": sum(i.vote_count for i in ideas), "effect": effect_text(change),
            "effect_percent": None if change is None else round(change * 100), "verified": verified,
            "text": next((i.public_reply for i in ideas if i.public_reply), ""),
            "ideas": [public_view(i) for i in ideas], "measuring": measuring}  # fmt: skip


def outbox(session: Session, limit: int = 200) -> dict[str, Any]:
    """Notices by state and channel, and the latest ones (addresses masked), for staff."""
    from sqlalchemy import func

    from feedbackloop.lib.masking import mask_contact

    counts = session.execute(select(Notice.state, Notice.channel, func.count()).group_by(Notice.state, Notice.channel))
    latest = session.scalars(select(Notice).order_by(Notice.id.desc()).limit(limit))
    return {
        "counts": [{"state": s, "channel": c, "count": int(n)} for s, c, n in counts],
        "notices": [{"id": n.id, "subject": n.subject, "channel": n.channel, "state": n.state,
                     "address": mask_contact(n.address) if n.address else None, "error": n.error,
                     "sent_at": n.sent_at, "created_at": n.created_at} for n in latest],
    }  # fmt: skip


def erase_person(session: Session, contact: str, feedback_ids: list[str]) -> dict[str, int]:
    """Erasure (privacy.erase_hooks): the person with this phone / e-mail, or behind these feedback items'
    status links, is found on the board even if they never gave feedback. Their votes stay counted but belong
    to no one (the voter's identity hash is replaced by a random one, address and language cleared), their
    co-signing comments are emptied, subscriptions and verification codes deleted, notice addresses cleared
    and unsent notices stopped. Returns what was erased; in the caller's transaction."""
    import secrets

    from sqlalchemy import delete, or_

    from feedbackloop.ideas.models import VerificationCode

    secret = identity.installation_secret(session)
    hashes = {identity.identity_hash(secret, "feedback", fid) for fid in feedback_ids}
    try:
        kind, canonical = identity.normalize_contact(contact)
        hashes.add(identity.identity_hash(secret, kind, canonical))
    except ValidationFailed:
        pass  # not a phone or e-mail: only the feedback items' own identities
    found = [Voter.identity_hash.in_(sorted(hashes))] + ([Voter.feedback_id.in_(feedback_ids)] if feedback_ids else [])
    voters = list(session.scalars(select(Voter).where(or_(*found))))
    ids = [v.id for v in voters]
    counts = {"voters": len(voters), "votes": 0, "comments": 0, "subscriptions": 0, "codes": 0, "notices": 0}
    for vote in session.scalars(select(Vote).where(Vote.voter_id.in_(ids))) if ids else []:
        counts["votes"] += 1
        if vote.comment:
            vote.comment, vote.comment_published = None, False
            counts["comments"] += 1
    if ids:
        counts["subscriptions"] = _deleted(session, delete(Subscription).where(Subscription.voter_id.in_(ids)))
    counts["codes"] = _deleted(session, delete(VerificationCode).where(VerificationCode.identity_hash.in_(sorted(hashes))))
    anonymous = {v.id: secrets.token_hex(28) for v in voters}
    notices = select(Notice).where(or_(Notice.recipient_hash.in_(sorted(hashes)), Notice.voter_id.in_(ids or [0])))
    for notice in session.scalars(notices):
        counts["notices"] += 1
        notice.address = None
        notice.recipient_hash = "erased:" + anonymous.get(notice.voter_id or 0, secrets.token_hex(28))
        if notice.state != "sent":
            notice.state = "unsubscribed"
    for voter in voters:
        voter.identity_hash = "erased:" + anonymous[voter.id]
        voter.contact, voter.notify, voter.feedback_id, voter.lang = None, False, None, None
    session.flush()
    return counts


def _deleted(session: Session, statement: Any) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)
