"""The public idea board: list and search, submit with similar-idea suggestions, verified one-per-person votes.

Everything a public page or the public API shows goes through `public_view`, which names only customer-facing
fields: staff names, internal notes, moderation reasons and voters never leave this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.db import begin_write, rows_changed
from feedbackloop.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas import identity, queue, search
from feedbackloop.ideas.models import (
    IDEA_STATUSES,
    VOTABLE,
    Idea,
    Subscription,
    VerificationCode,
    Vote,
    Voter,
)
from feedbackloop.lib import textnorm
from feedbackloop.lib.clock import clock
from feedbackloop.lib.masking import mask_pii_in_text

PER_PAGE = 20
SORTS = ("hot", "new")
LANGS = ("zh-CN", "en")  # what a voter's codes and notices can be written in
CODES_PER_IDENTITY = 3  # codes one phone / e-mail may be sent per CODE_TTL
SIMILAR_MIN_SCORE = 0.25


# --- Reading the board -----------------------------------------------------------------------------------


def public_view(idea: Idea) -> dict[str, Any]:
    """The customer-facing fields of an idea (contacts in the text masked), nothing internal."""
    return {
        "id": idea.id, "title": mask_pii_in_text(idea.title), "description": mask_pii_in_text(idea.description),
        "status": idea.status, "status_label": idea.status_label, "votes": idea.vote_count,
        "public_reply": idea.public_reply or "", "merged_into_id": idea.merged_into_id,
        "created_at": idea.created_at, "shipped_at": idea.shipped_at,
    }  # fmt: skip


def _published() -> Any:
    return Idea.moderation == "published"


def board(
    session: Session, q: str | None = None, status: str | None = None, sort: str = "hot", page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """Published ideas (duplicates only when asked for), matching every word of `q`; the page and the total."""
    if status and status not in IDEA_STATUSES:
        raise ValidationFailed(f"未知状态 '{status}'，可用：{', '.join(IDEA_STATUSES)} / unknown status")
    if sort not in SORTS:
        raise ValidationFailed(f"排序方式应为 {' 或 '.join(SORTS)} / sort must be one of {SORTS}")
    where = [_published(), Idea.status == status if status else Idea.status != "duplicate"]
    order = (Idea.vote_count.desc(), Idea.id.desc()) if sort == "hot" else (Idea.id.desc(),)
    offset = (max(1, page) - 1) * per_page
    if q and q.strip():
        clauses = search.match_clauses(session, q)
        if not clauses:  # only stop words: nothing to look for
            return [], 0
        where += clauses
    # Two statements, not one with a window count: with the count in the page's statement PostgreSQL walks
    # the vote-ordered index to its end (610 ms for a rare word at 50,000 ideas); apart, the page stops after
    # its 20 rows and the count is a hash semi-join over the index rows (or, without a query, one index alone).
    total = int(session.scalar(select(func.count()).select_from(Idea).where(*where)) or 0)
    rows = session.scalars(select(Idea).where(*where).order_by(*order).offset(offset).limit(per_page))
    return [public_view(i) for i in rows], total


def public_idea(session: Session, idea_id: int) -> Idea:
    """A published idea, or 404 (an idea under review or rejected does not exist for the public)."""
    idea = session.get(Idea, idea_id)
    if idea is None or idea.moderation != "published":
        raise NotFound(f"想法 {idea_id} 不存在 / idea {idea_id} not found")
    return idea


def public_detail(session: Session, idea_id: int) -> dict[str, Any]:
    """One published idea with its published co-signatures (comments, without names)."""
    idea = public_idea(session, idea_id)
    comments = session.execute(
        select(Vote.comment, Vote.created_at)
        .where(Vote.idea_id == idea.id, Vote.comment_published.is_(True), Vote.comment.is_not(None))
        .order_by(Vote.id.desc())
        .limit(50)
    ).all()
    view = public_view(idea)
    view["comments"] = [{"text": mask_pii_in_text(text or ""), "at": at} for text, at in comments]
    if idea.merged_into_id:
        target = session.get(Idea, idea.merged_into_id)
        view["merged_into"] = public_view(target) if target is not None and target.moderation == "published" else None
    return view


# --- Submitting ------------------------------------------------------------------------------------------


def similar(session: Session, text: str, limit: int = 5, exclude: int | None = None) -> list[dict[str, Any]]:
    """Published ideas like `text`: candidates from the token index, ranked by shared words and by the
    near-duplicate measure of intake cleaning (Jaccard of character bigrams)."""
    tokens = search.index_tokens(text)
    grams = textnorm.shingles(text)
    candidates = dict(search.overlap(session, tokens))
    if not candidates:
        return []
    ideas = session.scalars(select(Idea).where(Idea.id.in_(list(candidates)), _published(), Idea.id != (exclude or 0)))
    scored = []
    for idea in ideas:
        target = idea if idea.merged_into_id is None else session.get(Idea, idea.merged_into_id) or idea
        words = candidates[idea.id] / max(1, len(tokens))
        near = textnorm.jaccard(grams, textnorm.shingles(f"{idea.title}{idea.description}"))
        score = 0.6 * words + 0.4 * min(1.0, near * 2)
        if score >= SIMILAR_MIN_SCORE:
            scored.append((score, target))
    best: dict[int, tuple[float, Idea]] = {}
    for score, idea in scored:  # a merged duplicate points at the idea that gathers the votes
        if idea.id not in best or best[idea.id][0] < score:
            best[idea.id] = (score, idea)
    ranked = sorted(best.values(), key=lambda p: (-p[0], -p[1].vote_count))[:limit]
    return [{**public_view(i), "score": round(s, 3)} for s, i in ranked]


def submit(session: Session, title: str, description: str, voter_id: int | None = None) -> Idea:
    """A customer's idea, kept for review (not public until a moderator publishes it); commits."""
    title, description = (title or "").strip(), (description or "").strip()
    if not 4 <= len(title) <= 200:
        raise ValidationFailed("标题应为 4–200 个字 / the title must be 4–200 characters", code="invalid_title")
    if len(description) > 5000:
        raise ValidationFailed("描述最多 5,000 字 / the description is at most 5,000 characters")
    begin_write(session)
    idea = Idea(title=title, description=description, source="customer", moderation="pending",
                submitter_voter_id=voter_id)  # fmt: skip
    session.add(idea)
    search.reindex(session, idea)
    audit.record(session, "customer", "idea.submit", "idea_ideas", idea.id, None, {"title": title})
    session.commit()
    return idea


# --- Voter identity --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    """A code to send: where, and through which channel."""

    challenge: str
    kind: str  # email | phone
    contact: str
    code: str


def request_code(session: Session, contact: str) -> CodeRequest:
    """A one-time code for a phone or e-mail (at most 3 per identity in 10 minutes); commits."""
    import secrets

    kind, canonical = identity.normalize_contact(contact)
    secret = identity.installation_secret(session)
    ident = identity.identity_hash(secret, kind, canonical)
    now = clock.now()
    begin_write(session)
    recent = session.scalar(
        select(func.count()).where(
            VerificationCode.identity_hash == ident, VerificationCode.created_at > now - identity.CODE_TTL
        )
    )
    if (recent or 0) >= CODES_PER_IDENTITY:
        raise RateLimited("验证码发送过于频繁，请 10 分钟后再试 / too many codes for this address, retry in 10 minutes",
                          retry_after=600)  # fmt: skip
    challenge, code = secrets.token_urlsafe(18), identity.new_code()
    session.add(VerificationCode(challenge=challenge, identity_hash=ident, kind=kind, contact=canonical,
                                 code_hash=identity.code_hash(secret, challenge, code), created_at=now,
                                 expires_at=now + identity.CODE_TTL))  # fmt: skip
    session.commit()
    return CodeRequest(challenge, kind, canonical, code)


_BAD_CODE = "验证码错误或已失效，请重新获取 / wrong or expired code, request a new one"


def verify_code(session: Session, challenge: str, code: str, notify: bool = True,
                lang: str | None = None) -> tuple[Voter, str]:  # fmt: skip
    """Check a code (5 tries, 10 minutes, one use) and return the voter with a signed voter token; commits."""
    secret = identity.installation_secret(session)
    now = clock.now()
    begin_write(session)
    # Count the try first, in one conditional UPDATE: parallel guesses cannot share a try.
    tried = rows_changed(session, update(VerificationCode).where(
        VerificationCode.challenge == challenge, VerificationCode.used_at.is_(None),
        VerificationCode.attempts < identity.CODE_ATTEMPTS, VerificationCode.expires_at > now,
    ).values(attempts=VerificationCode.attempts + 1))  # fmt: skip
    row = session.scalar(select(VerificationCode).where(VerificationCode.challenge == challenge)) if tried else None
    if row is None or not _same(row.code_hash, identity.code_hash(secret, challenge, (code or "").strip())):
        session.commit()  # the failed try stays counted
        raise AuthenticationFailed(_BAD_CODE, code="invalid_code")
    row.used_at, contact, row.contact = now, row.contact, None
    voter = _voter(session, row.identity_hash, row.kind, contact if notify else None, None)
    _remember_lang(voter, lang)
    session.commit()
    return voter, identity.voter_token(secret, voter.id)


def _remember_lang(voter: Voter, lang: str | None) -> None:
    """Keep the language the person used last (the board's page language or the API's `lang`)."""
    if lang in LANGS:
        voter.lang = lang


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a, b)


def _voter(session: Session, ident: str, kind: str, contact: str | None, feedback_id: str | None) -> Voter:
    voter = session.scalar(select(Voter).where(Voter.identity_hash == ident))
    if voter is None:
        voter = Voter(identity_hash=ident, kind=kind, contact=contact, feedback_id=feedback_id,
                      notify=contact is not None or feedback_id is not None)  # fmt: skip
        session.add(voter)
        session.flush()
    elif contact:  # a fresh verification asking to be told is renewed consent, even after unsubscribing
        voter.contact, voter.notify = contact, True
    return voter


def feedback_identity(secret: str, record: Feedback) -> tuple[str, str]:
    """(identity hash, kind) of a feedback item's customer: their contact if valid, else the item itself, so
    that the same person voting by status link and by a code is one voter."""
    try:
        kind, canonical = identity.normalize_contact(record.contact or "")
    except ValidationFailed:
        return identity.identity_hash(secret, "feedback", record.id), "feedback"
    return identity.identity_hash(secret, kind, canonical), kind


# Channels whose status link is shown on the spot to whoever filled in the form (the public form's and the QR
# form's thank-you page): holding it proves nobody's identity, and anyone can fill in the form again and again,
# with anyone's phone or e-mail. Their submitters vote with a code. Other items' links reach only the customer
# (the acknowledgement mail or text, the CRM, the platform), so they identify them.
SELF_SERVED_CHANNELS = frozenset({"web_form", "qr"})
_FORM_LINK = ("通过网页或二维码表单提交的反馈，其进度链接不能用于投票：请用手机号或邮箱验证码投票，每人一票 / "
              "a status link from the web or QR form cannot vote: verify your phone or e-mail with a code")  # fmt: skip


def voter_by_status_token(session: Session, status_token: str) -> Voter:
    """The voter behind the status link of their own feedback (the token of /s/<token>); in the caller's
    transaction. Refused for items of SELF_SERVED_CHANNELS and for erased items."""
    secret = identity.installation_secret(session)
    record = session.scalar(select(Feedback).where(Feedback.status_token == status_token)) if status_token else None
    if record is None:
        raise AuthenticationFailed("状态链接无效 / this status link is not valid", code="invalid_status_token")
    if record.channel in SELF_SERVED_CHANNELS:
        raise PermissionDenied(_FORM_LINK, code="verify_to_vote")
    ident, kind = feedback_identity(secret, record)
    return _voter(session, ident, kind, None, record.id)


def voter_by_token(session: Session, token: str) -> Voter:
    voter = session.get(Voter, identity.voter_from_token(identity.installation_secret(session), token))
    if voter is None:
        raise AuthenticationFailed("投票凭证无效 / invalid voter token", code="invalid_voter")
    return voter


# --- Voting ----------------------------------------------------------------------------------------------


def cast_vote(
    session: Session, idea_id: int, *, voter_token: str | None = None, status_token: str | None = None,
    comment: str | None = None, lang: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One vote (with an optional co-signing comment) by a verified voter; a second one is refused (409).

    The count is the database's: recounted from idea_votes in the voting transaction. Commits."""
    identity.installation_secret(session)  # before the write lock: it may have to be made
    begin_write(session)
    voter = _identify(session, voter_token, status_token)
    _remember_lang(voter, lang)
    idea = public_idea(session, idea_id)
    if idea.status not in VOTABLE:
        raise Conflict(f"该想法{idea.status_label}，不再接受投票 / this idea no longer takes votes", code="not_votable")
    text = (comment or "").strip()[:1000] or None
    try:
        with session.begin_nested():
            session.add(Vote(idea_id=idea.id, voter_id=voter.id, comment=text, created_at=clock.now()))
    except IntegrityError:
        session.rollback()
        raise Conflict("您已为该想法投过票，每人限投一票。 / you have already voted for this idea",
                       code="already_voted") from None  # fmt: skip
    count = recount(session, idea.id)
    if idea.plan_id:
        from feedbackloop.ideas import plan_priority  # it imports notify, which imports this module

        plan_priority.votes_changed(session, idea.plan_id)
    audit.record(session, "customer", "idea.vote", "idea_ideas", idea.id, None,
                 {"voter": voter.identity_hash[:12], "votes": count})  # fmt: skip
    queue.check_threshold(session, idea)
    session.commit()
    return {"idea_id": idea.id, "votes": count, "voted": True}


def subscribe(session: Session, idea_id: int, *, voter_token: str | None = None,
              status_token: str | None = None, lang: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Follow an idea without voting (told when it ships); following twice changes nothing. Commits."""
    identity.installation_secret(session)
    begin_write(session)
    voter = _identify(session, voter_token, status_token)
    _remember_lang(voter, lang)
    idea = public_idea(session, idea_id)
    exists = session.scalar(select(Subscription.id).where(Subscription.idea_id == idea.id,
                                                          Subscription.voter_id == voter.id))  # fmt: skip
    if exists is None:
        session.add(Subscription(idea_id=idea.id, voter_id=voter.id, created_at=clock.now()))
    voter.notify = voter.notify or voter.contact is not None or voter.feedback_id is not None
    session.commit()
    return {"idea_id": idea.id, "subscribed": True, "notify": voter.notify}


def _identify(session: Session, voter_token: str | None, status_token: str | None) -> Voter:
    if voter_token:
        return voter_by_token(session, voter_token)
    if status_token:
        return voter_by_status_token(session, status_token)
    raise AuthenticationFailed("请先验证手机号或邮箱，或使用反馈状态链接 / verify first", code="voter_required")


def recount(session: Session, idea_id: int) -> int:
    """Set the idea's vote_count from its vote rows (one UPDATE with a subquery) and return it."""
    counted = select(func.count()).where(Vote.idea_id == idea_id).scalar_subquery()
    session.execute(update(Idea).where(Idea.id == idea_id).values(vote_count=counted, updated_at=clock.now()))
    session.expire_all()
    return int(session.scalar(select(Idea.vote_count).where(Idea.id == idea_id)) or 0)


def is_subscribed(session: Session, idea_id: int, voter_id: int | None) -> bool:
    if voter_id is None:
        return False
    found = session.scalar(select(Subscription.id).where(Subscription.idea_id == idea_id, Subscription.voter_id == voter_id))
    return found is not None


def has_voted(session: Session, idea_id: int, voter_id: int | None) -> bool:
    if voter_id is None:
        return False
    return session.scalar(select(Vote.id).where(Vote.idea_id == idea_id, Vote.voter_id == voter_id)) is not None


def voter_id_from(session: Session, token: str | None) -> int | None:
    """The voter a (browser-held) token names, or None when it is missing, forged or expired."""
    if not token:
        return None
    try:
        return identity.voter_from_token(identity.installation_secret(session), token)
    except AuthenticationFailed:
        return None


def published_at_now(idea: Idea) -> datetime:
    idea.published_at = idea.published_at or clock.now()
    return idea.published_at
