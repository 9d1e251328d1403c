"""Ideas over the vote threshold enter the priority queue: a task for a product manager, linked to an
improvement plan once one is made; the votes feed the priority (impact × frequency, SPEC §5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedbackloop.accounts.models import User
from feedbackloop.config import get_settings
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas.models import Idea, IdeaFeedback, IdeaTask
from feedbackloop.insight import improvements
from feedbackloop.lib.clock import clock
from feedbackloop.workflow.services import notify


def threshold() -> int:
    return get_settings().idea_vote_threshold


def _least_loaded_manager(session: Session) -> int | None:
    """The active product manager with the fewest open idea tasks (admins when there is none)."""
    open_tasks = (
        select(IdeaTask.assignee_id, func.count().label("n")).where(IdeaTask.status == "open")
        .group_by(IdeaTask.assignee_id).subquery()
    )  # fmt: skip
    for role in ("product_manager", "admin"):
        row = session.execute(
            select(User.id)
            .outerjoin(open_tasks, open_tasks.c.assignee_id == User.id)
            .where(User.role == role, User.is_active.is_(True))
            .order_by(func.coalesce(open_tasks.c.n, 0), User.id)
            .limit(1)
        ).first()
        if row is not None:
            return int(row[0])
    return None


def check_threshold(session: Session, idea: Idea) -> IdeaTask | None:
    """Open the product manager's task when the idea's votes reach the threshold (once); in the caller's
    transaction."""
    session.refresh(idea)
    if idea.vote_count < threshold() or idea.queued_at is not None:
        return None
    if session.scalar(select(IdeaTask.id).where(IdeaTask.idea_id == idea.id)) is not None:
        return None
    assignee = _least_loaded_manager(session)
    task = IdeaTask(idea_id=idea.id, assignee_id=assignee, plan_id=idea.plan_id, votes_at_entry=idea.vote_count,
                    status="done" if idea.plan_id else "open", created_at=clock.now())  # fmt: skip
    idea.queued_at = clock.now()
    session.add(task)
    if assignee:
        notify(session, [assignee], None, "idea_queue",
               f"想法「{idea.title[:60]}」已获 {idea.vote_count} 票，进入优先队列 / Idea #{idea.id} passed the vote threshold",
               "请在「想法」页评估并创建改进计划 / Review it on the Ideas page and plan an improvement")  # fmt: skip
    return task


def sweep(session: Session) -> int:
    """Queue every votable idea already at the threshold but not queued (the threshold was lowered, or votes
    came in by a merge before it was raised); in the caller's transaction. Returns how many entered."""
    from feedbackloop.ideas.models import VOTABLE

    waiting = session.scalars(select(Idea).where(Idea.vote_count >= threshold(), Idea.queued_at.is_(None),
                                                 Idea.status.in_(VOTABLE), Idea.moderation == "published"))  # fmt: skip
    return sum(check_threshold(session, idea) is not None for idea in list(waiting))


def priority(session: Session, idea: Idea) -> dict[str, Any]:
    """impact × frequency with the reasons: frequency = votes + linked feedback; impact 1–3 from the linked
    feedback's negative share and urgent items."""
    linked = session.execute(
        select(func.count(), func.sum(_is(Feedback.sentiment, "negative")), func.sum(_is(Feedback.urgency, "紧急")))
        .select_from(IdeaFeedback).join(Feedback, Feedback.id == IdeaFeedback.feedback_id)
        .where(IdeaFeedback.idea_id == idea.id)
    ).one()  # fmt: skip
    n, negative, urgent = int(linked[0] or 0), int(linked[1] or 0), int(linked[2] or 0)
    impact, score = improvements.priority_of(idea.vote_count, n, negative, urgent)  # the plans' formula too
    reasons = [f"{idea.vote_count} 票", f"关联反馈 {n} 条"]
    if n:
        reasons.append(f"负面占比 {negative / n:.0%}")
    if urgent:
        reasons.append(f"紧急反馈 {urgent} 条")
    return {"score": score, "impact": impact, "frequency": idea.vote_count + n, "votes": idea.vote_count,
            "feedback": n, "negative": negative, "urgent": urgent, "reasons": reasons}  # fmt: skip


def _is(column: Any, value: str) -> Any:
    from sqlalchemy import case

    return case((column == value, 1), else_=0)


def queue(session: Session, include_done: bool = False) -> list[dict[str, Any]]:
    """The priority queue: ideas that passed the threshold, the highest impact × frequency first."""
    stmt = select(IdeaTask, Idea).join(Idea, Idea.id == IdeaTask.idea_id)
    if not include_done:
        stmt = stmt.where(IdeaTask.status == "open")
    names = dict(session.execute(select(User.id, User.display_name)).all())
    out: list[dict[str, Any]] = []
    for task, idea in session.execute(stmt):
        out.append({"task_id": task.id, "idea_id": idea.id, "title": idea.title, "status": task.status,
                    "idea_status": idea.status, "votes": idea.vote_count, "assignee_id": task.assignee_id,
                    "assignee": names.get(task.assignee_id) if task.assignee_id else None,
                    "plan_id": idea.plan_id, "created_at": task.created_at,
                    "priority": priority(session, idea)})  # fmt: skip
    out.sort(key=lambda row: (-float(row["priority"]["score"]), int(row["task_id"])))
    return out
