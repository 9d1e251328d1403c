"""The staff side of the board: create and edit ideas, moderate, merge duplicates (moving the votes), turn
feedback items and themes into ideas, link an improvement plan. Each change is audited (autolog covers the
idea rows; votes and links moved by a merge get their own entry)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from feedbackloop import audit
from feedbackloop.accounts.models import User
from feedbackloop.analysis.themes import theme_label
from feedbackloop.db import begin_write
from feedbackloop.errors import Conflict, NotFound, ValidationFailed
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas import plan_priority, queue, search
from feedbackloop.ideas.models import (
    IDEA_STATUS_FOR_PLAN,
    IDEA_STATUSES,
    MODERATION,
    Idea,
    IdeaFeedback,
    IdeaTask,
    Subscription,
    Vote,
)
from feedbackloop.ideas.services import recount
from feedbackloop.insight import improvements
from feedbackloop.insight.models import ImprovementPlan
from feedbackloop.lib.clock import clock
from feedbackloop.lib.masking import mask_pii_in_text

EDITABLE = ("title", "description", "status", "public_reply", "internal_note", "owner_id", "plan_id", "theme_key")
THEME_DAYS = 30
# Called with the idea's id after a change that shipped it has been committed (ideas/tasks.py announces it).
after_ship_hooks: list[Callable[[int], None]] = []
after_link_hooks: list[Callable[[int], None]] = []  # (idea id) after an idea joined a plan that has shipped


def get_idea(session: Session, idea_id: int) -> Idea:
    idea = session.get(Idea, idea_id)
    if idea is None:
        raise NotFound(f"想法 {idea_id} 不存在 / idea {idea_id} not found")
    return idea


def staff_view(session: Session, idea: Idea) -> dict[str, Any]:
    """Everything staff see of an idea, the internal note and moderation included. Phone numbers and e-mail
    addresses a customer wrote into the idea are masked (138****8000) for every role: no idea work needs them,
    and the moderator still sees that personal data is there."""
    linked = session.scalar(select(func.count()).where(IdeaFeedback.idea_id == idea.id)) or 0
    return {
        "id": idea.id, "title": mask_pii_in_text(idea.title), "description": mask_pii_in_text(idea.description or ""),
        "status": idea.status,
        "status_label": idea.status_label, "moderation": idea.moderation,
        "moderation_label": MODERATION.get(idea.moderation, idea.moderation),
        "moderation_reason": idea.moderation_reason, "public_reply": idea.public_reply,
        "internal_note": idea.internal_note, "source": idea.source, "theme_key": idea.theme_key,
        "owner_id": idea.owner_id, "created_by_id": idea.created_by_id, "plan_id": idea.plan_id,
        "merged_into_id": idea.merged_into_id, "votes": idea.vote_count, "linked_feedback": int(linked),
        "queued_at": idea.queued_at, "shipped_at": idea.shipped_at, "created_at": idea.created_at,
        "updated_at": idea.updated_at,
    }  # fmt: skip


def list_ideas(session: Session, moderation: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Ideas for staff, those awaiting review first, then by votes."""
    stmt = select(Idea)
    if moderation:
        if moderation not in MODERATION:
            raise ValidationFailed(f"审核状态应为 {', '.join(MODERATION)} / unknown moderation state")
        stmt = stmt.where(Idea.moderation == moderation)
    stmt = stmt.order_by((Idea.moderation == "pending").desc(), Idea.vote_count.desc(), Idea.id.desc()).limit(limit)
    return [staff_view(session, i) for i in session.scalars(stmt)]


def _check(session: Session, fields: dict[str, Any]) -> None:
    if fields.get("status") and fields["status"] not in IDEA_STATUSES:
        raise ValidationFailed(f"状态应为 {', '.join(IDEA_STATUSES)} / unknown status", code="invalid_status")
    if fields.get("status") == "duplicate":
        raise ValidationFailed("标记重复请使用合并（POST /api/v1/ideas/{id}/merge），票数会随之转移 / use merge")
    if fields.get("plan_id") is not None and session.get(ImprovementPlan, fields["plan_id"]) is None:
        raise ValidationFailed(f"改进计划 {fields['plan_id']} 不存在 / unknown plan_id")
    if fields.get("owner_id") is not None:
        owner = session.get(User, fields["owner_id"])
        if owner is None or owner.role == "customer":
            raise ValidationFailed(f"负责人 {fields['owner_id']} 不是员工账号 / owner_id is not a staff user")
    if "title" in fields and not 4 <= len((fields["title"] or "").strip()) <= 200:
        raise ValidationFailed("标题应为 4–200 个字 / the title must be 4–200 characters")


def save_idea(session: Session, fields: dict[str, Any], idea_id: int | None, user: User | None = None) -> dict[str, Any]:
    """Create (published: staff are the reviewers) or update an idea; commits. Shipping it tells its voters."""
    _check(session, fields)
    begin_write(session)
    if idea_id is None:
        idea = Idea(source="staff", moderation="published", published_at=clock.now(),
                    created_by_id=user.id if user else None)  # fmt: skip
        session.add(idea)
        before_status = None
    else:
        idea = get_idea(session, idea_id)
        before_status = idea.status
    before_plan = idea.plan_id
    for key in EDITABLE:
        if key in fields and fields[key] is not None:
            setattr(idea, key, fields[key].strip() if isinstance(fields[key], str) else fields[key])
    idea.status = idea.status or "open"
    shipped = _mark_shipped(idea, before_status)
    search.reindex(session, idea)
    _sync_task(session, idea)
    if idea.plan_id != before_plan:
        plan_priority.refresh_many(session, [before_plan, idea.plan_id])
    session.commit()
    if shipped:
        _after_ship(idea.id)
    return staff_view(session, idea)


def _mark_shipped(idea: Idea, before: str | None) -> bool:
    if idea.status == "shipped" and before != "shipped":
        idea.shipped_at = clock.now()
        return True
    return False


def _after_ship(idea_id: int) -> None:
    for hook in after_ship_hooks:
        hook(idea_id)


def _sync_task(session: Session, idea: Idea) -> None:
    """A linked plan completes the product manager's task."""
    task = session.scalar(select(IdeaTask).where(IdeaTask.idea_id == idea.id))
    if task is not None and idea.plan_id and task.status == "open":
        task.plan_id, task.status, task.done_at = idea.plan_id, "done", clock.now()


def moderate(session: Session, idea_id: int, decision: str, reason: str | None = None) -> dict[str, Any]:
    """Publish an idea or keep it off the board (spam, abuse, personal data: say which in `reason`); commits."""
    if decision not in ("publish", "reject"):
        raise ValidationFailed("decision 应为 publish 或 reject / decision must be publish or reject")
    begin_write(session)
    idea = get_idea(session, idea_id)
    idea.moderation = "published" if decision == "publish" else "rejected"
    idea.moderation_reason = (reason or "").strip()[:200] or None
    if decision == "publish":
        idea.published_at = idea.published_at or clock.now()
    session.commit()
    return staff_view(session, idea)


def moderate_comment(session: Session, vote_id: int, publish: bool) -> dict[str, Any]:
    """Show a co-signing comment on the public page, or hide it; commits."""
    begin_write(session)
    vote = session.get(Vote, vote_id)
    if vote is None or not vote.comment:
        raise NotFound(f"评论 {vote_id} 不存在 / comment {vote_id} not found")
    vote.comment_published = publish
    audit.record(session, session.info.get("actor"), "idea.comment." + ("publish" if publish else "hide"),
                 "idea_votes", vote.id)  # fmt: skip
    session.commit()
    return {"id": vote.id, "idea_id": vote.idea_id, "published": vote.comment_published}


def comments(session: Session, idea_id: int) -> list[dict[str, Any]]:
    get_idea(session, idea_id)
    rows = session.scalars(select(Vote).where(Vote.idea_id == idea_id, Vote.comment.is_not(None)).order_by(Vote.id))
    return [{"id": v.id, "text": mask_pii_in_text(v.comment or ""), "published": v.comment_published, "at": v.created_at}
            for v in rows]  # fmt: skip


def pending_comments(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Co-signing comments not shown yet, oldest first (what the moderator reviews)."""
    rows = session.execute(select(Vote.id, Vote.idea_id, Vote.comment, Vote.created_at, Idea.title)
                           .join(Idea, Idea.id == Vote.idea_id)
                           .where(Vote.comment.is_not(None), Vote.comment_published.is_(False))
                           .order_by(Vote.id).limit(limit))  # fmt: skip
    return [{"id": i, "idea_id": idea, "text": mask_pii_in_text(text or ""), "at": at, "idea": mask_pii_in_text(title)}
            for i, idea, text, at, title in rows]  # fmt: skip


def merge(session: Session, source_id: int, target_id: int) -> dict[str, Any]:
    """Merge a duplicate into the idea that stays: its voters vote for the target (once each), its linked
    feedback moves along, it becomes 重复 pointing at the target. Commits."""
    if source_id == target_id:
        raise ValidationFailed("不能把想法合并到它自己 / cannot merge an idea into itself")
    begin_write(session)
    source, target = get_idea(session, source_id), get_idea(session, target_id)
    if target.merged_into_id is not None or target.status == "duplicate":
        raise Conflict(f"想法 {target_id} 本身已被合并，请合并到 {target.merged_into_id} / target is itself merged")
    moved_votes = _move_votes(session, source.id, target.id)
    moved_links = _move_links(session, source.id, target.id)
    _move_subscriptions(session, source.id, target.id)
    source.status, source.merged_into_id = "duplicate", target.id
    recount(session, source.id)
    votes = recount(session, target.id)
    plan_priority.refresh_many(session, [source.plan_id, target.plan_id])
    audit.record(session, session.info.get("actor"), "idea.merge", "idea_ideas", source.id,
                 {"votes": moved_votes}, {"into": target.id, "votes_moved": moved_votes, "links_moved": moved_links})  # fmt: skip
    queue.check_threshold(session, target)
    session.commit()
    return {"source": staff_view(session, source), "target": staff_view(session, target), "votes": votes,
            "votes_moved": moved_votes}  # fmt: skip


def _move_votes(session: Session, source_id: int, target_id: int) -> int:
    already = select(Vote.voter_id).where(Vote.idea_id == target_id)
    moving = list(session.scalars(select(Vote).where(Vote.idea_id == source_id, Vote.voter_id.not_in(already))))
    for vote in moving:
        vote.idea_id = target_id
    session.flush()
    session.execute(delete(Vote).where(Vote.idea_id == source_id))  # voters who had voted for both
    return len(moving)


def _move_links(session: Session, source_id: int, target_id: int) -> int:
    already = select(IdeaFeedback.feedback_id).where(IdeaFeedback.idea_id == target_id)
    moving = list(session.scalars(
        select(IdeaFeedback).where(IdeaFeedback.idea_id == source_id, IdeaFeedback.feedback_id.not_in(already))))  # fmt: skip
    for link in moving:
        link.idea_id = target_id
    session.flush()
    session.execute(delete(IdeaFeedback).where(IdeaFeedback.idea_id == source_id))
    return len(moving)


def _move_subscriptions(session: Session, source_id: int, target_id: int) -> None:
    already = select(Subscription.voter_id).where(Subscription.idea_id == target_id)
    for row in session.scalars(select(Subscription).where(Subscription.idea_id == source_id,
                                                          Subscription.voter_id.not_in(already))):  # fmt: skip
        row.idea_id = target_id
    session.flush()
    session.execute(delete(Subscription).where(Subscription.idea_id == source_id))


def link_feedback(session: Session, idea_id: int, feedback_ids: list[str]) -> dict[str, Any]:
    """Link feedback items to an idea (their customers are told when it ships); unknown ids → 422. Commits."""
    begin_write(session)
    idea = get_idea(session, idea_id)
    if _add_links(session, idea, feedback_ids):
        plan_priority.refresh(session, idea.plan_id)
    session.commit()
    return staff_view(session, idea)


def _add_links(session: Session, idea: Idea, feedback_ids: list[str]) -> int:
    ids = list(dict.fromkeys(f.strip() for f in feedback_ids if f and f.strip()))
    found = set(session.scalars(select(Feedback.id).where(Feedback.id.in_(ids)))) if ids else set()
    missing = [f for f in ids if f not in found]
    if missing:
        session.rollback()
        raise ValidationFailed(f"反馈不存在：{', '.join(missing[:10])} / unknown feedback ids", details={"missing": missing})
    have = set(session.scalars(select(IdeaFeedback.feedback_id).where(IdeaFeedback.idea_id == idea.id)))
    new = [f for f in ids if f not in have]
    for fid in new:
        session.add(IdeaFeedback(idea_id=idea.id, feedback_id=fid, created_at=clock.now()))
    if new:
        audit.record(session, session.info.get("actor"), "idea.link_feedback", "idea_ideas", idea.id, None,
                     {"feedback_ids": new[:50], "count": len(new)})  # fmt: skip
    return len(new)


def from_feedback(session: Session, feedback_ids: list[str], title: str, description: str = "",
                  user: User | None = None) -> dict[str, Any]:  # fmt: skip
    """A new published idea from feedback items, which are linked to it. Commits."""
    if not feedback_ids:
        raise ValidationFailed("请至少选择一条反馈 / choose at least one feedback item")
    _check(session, {"title": title})
    begin_write(session)
    idea = Idea(title=title.strip(), description=(description or "").strip(), source="feedback",
                moderation="published", published_at=clock.now(), created_by_id=user.id if user else None)  # fmt: skip
    session.add(idea)
    session.flush()
    _add_links(session, idea, feedback_ids)
    search.reindex(session, idea)
    session.commit()
    return staff_view(session, idea)


def from_theme(session: Session, theme_key: str, title: str | None = None, description: str = "",
               user: User | None = None) -> dict[str, Any]:  # fmt: skip
    """A new published idea for a theme (`GET /api/v1/themes` keys), linked to the theme's feedback of the
    last 30 days. Commits."""
    if theme_key.partition(":")[0] not in ("aspect", "risk", "problem_type"):
        raise ValidationFailed("主题键应形如 aspect:早餐:negative 或 problem_type:物流 / A theme key looks like aspect:早餐:negative or problem_type:物流")
    title = (title or "").strip() or f"改善「{theme_label(theme_key)}」"
    _check(session, {"title": title})
    since = clock.now() - timedelta(days=THEME_DAYS)
    rows = session.execute(select(Feedback.id, Feedback.content, Feedback.analysis).where(
        Feedback.received_at >= since, Feedback.analysis.is_not(None), Feedback.duplicate_of.is_(None)))  # fmt: skip
    ids = [fid for fid, content, analysis in rows if theme_key in improvements.linked_keys(content, analysis)]
    begin_write(session)
    idea = Idea(title=title, description=(description or "").strip(), source="theme", theme_key=theme_key,
                moderation="published", published_at=clock.now(), created_by_id=user.id if user else None)  # fmt: skip
    session.add(idea)
    session.flush()
    _add_links(session, idea, ids)
    search.reindex(session, idea)
    session.commit()
    return staff_view(session, idea)


def link_plan(session: Session, idea_id: int, plan_id: int | None, plan_fields: dict[str, Any] | None) -> dict[str, Any]:
    """Link an existing improvement plan, or make one from `plan_fields` (as POST /api/v1/improvements takes)
    with the idea's theme; the idea becomes 已计划 and the product manager's task is done. Commits."""
    idea = get_idea(session, idea_id)
    if plan_id is None:
        if not plan_fields:
            raise ValidationFailed("请给出 plan_id 或新计划的字段（title, team_id） / give plan_id or plan fields")
        fields = {"title": idea.title, **plan_fields}
        if not fields.get("theme_keys"):
            fields["theme_keys"] = [idea.theme_key] if idea.theme_key else _themes_of_linked(session, idea)
        plan_id = improvements.create_plan(session, fields).id
    elif session.get(ImprovementPlan, plan_id) is None:
        raise ValidationFailed(f"改进计划 {plan_id} 不存在 / unknown plan_id")
    begin_write(session)
    idea = get_idea(session, idea_id)
    plan = session.get(ImprovementPlan, plan_id)
    before_plan, idea.plan_id = idea.plan_id, plan_id
    # The idea takes the plan's stage (已计划, 开发中, 已上线); an idea that has shipped already stays so.
    stage = IDEA_STATUS_FOR_PLAN.get(plan.status if plan else "", "planned")
    newly_shipped = stage == "shipped" and idea.status != "shipped"
    if idea.status in ("open", "planned", "in_progress"):
        idea.status = stage
        if stage == "shipped":
            idea.shipped_at = idea.shipped_at or (plan.shipped_at if plan else None) or clock.now()
    _sync_task(session, idea)
    plan_priority.refresh_many(session, [before_plan, plan_id])  # its votes and feedback now count for the plan
    session.commit()
    if newly_shipped:  # linked to a plan that has shipped: its voters are told now, once
        for hook in after_link_hooks:
            hook(idea.id)
    session.refresh(idea)
    return staff_view(session, idea)


def _themes_of_linked(session: Session, idea: Idea, limit: int = 2) -> list[str]:
    """The negative themes that at least half of the idea's linked feedback shares, most common first: what
    the plan's effect review then measures (without a theme a plan has nothing to measure)."""
    from collections import Counter

    rows = session.execute(select(Feedback.content, Feedback.analysis).join(IdeaFeedback, IdeaFeedback.feedback_id == Feedback.id)
                           .where(IdeaFeedback.idea_id == idea.id)).all()  # fmt: skip
    counts = Counter(key for content, analysis in rows for key in improvements.linked_keys(content, analysis)
                     if key.partition(":")[0] in ("aspect", "risk", "problem_type"))  # fmt: skip
    return [key for key, n in counts.most_common(limit) if rows and n * 2 >= len(rows)]


def ideas_of_plan(session: Session, plan_id: int) -> list[Idea]:
    return list(session.scalars(select(Idea).where(Idea.plan_id == plan_id, Idea.status != "duplicate")))
