"""The improvement plan's priority from the idea board (SPEC §5, issue 15): impact × frequency, where the
frequency counts the people who voted for the plan's ideas and the feedback items that asked for it.

votes    = distinct voters of the plan's ideas (duplicates merged away are not counted twice);
feedback = the items that asked for it, as the changelog counts them (asked_for below: linked to its ideas,
           or in the plan's themes in the 30 days before it shipped, before now while it has not);
impact   = 1 + the negative share of those items + 1 if any of them is 紧急;
priority = impact × (votes + feedback)  (insight.improvements.priority_of, stored on the plan).

A vote only recounts the votes (`votes_changed`, in the voting transaction); a link, a merge or a change of
the plan recounts everything (`refresh`); an hourly task refreshes the open plans, whose theme window moves."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas.models import Idea, IdeaFeedback, Vote
from feedbackloop.insight import improvements
from feedbackloop.insight.models import ImprovementPlan
from feedbackloop.lib.clock import clock

CHUNK = 500
CLOSED = ("verified", "cancelled")  # their priority no longer changes anything; kept as it was


def _idea_ids(session: Session, plan_id: int) -> list[int]:
    return list(session.scalars(select(Idea.id).where(Idea.plan_id == plan_id, Idea.status != "duplicate")))


def _votes(session: Session, idea_ids: list[int]) -> int:
    if not idea_ids:
        return 0
    stmt = select(func.count(func.distinct(Vote.voter_id))).where(Vote.idea_id.in_(idea_ids))
    return int(session.scalar(stmt) or 0)


def _feedback_counts(session: Session, ids: list[str]) -> tuple[int, int]:
    """(negative, urgent) among the feedback items."""
    negative = urgent = 0
    for start in range(0, len(ids), CHUNK):
        row = session.execute(select(
            func.sum(case((Feedback.sentiment == "negative", 1), else_=0)),
            func.sum(case((Feedback.urgency == "紧急", 1), else_=0)),
        ).where(Feedback.id.in_(ids[start : start + CHUNK]))).one()  # fmt: skip
        negative, urgent = negative + int(row[0] or 0), urgent + int(row[1] or 0)
    return negative, urgent


LINK_DAYS = improvements.REVIEW_DAYS  # a plan's linked feedback: its themes in the days before shipping


def _theme_feedback(session: Session, plan: ImprovementPlan) -> set[str]:
    """Feedback in the plan's themes in the days before it shipped (what its effect review counts)."""
    keys = set(plan.theme_keys or [])
    if not keys:
        return set()
    end = plan.shipped_at or clock.now()
    rows = session.execute(select(Feedback.id, Feedback.content, Feedback.analysis).where(
        Feedback.received_at >= end - timedelta(days=LINK_DAYS), Feedback.received_at < end,
        Feedback.analysis.is_not(None), Feedback.duplicate_of.is_(None)))  # fmt: skip
    return {fid for fid, content, analysis in rows if keys & improvements.linked_keys(content, analysis)}


def _linked_feedback(session: Session, idea_ids: list[int]) -> set[str]:
    if not idea_ids:
        return set()
    return set(session.scalars(select(IdeaFeedback.feedback_id).where(IdeaFeedback.idea_id.in_(idea_ids))))


def asked_for(session: Session, plan: ImprovementPlan | None, ideas: list[Idea]) -> set[str]:
    """The feedback items that asked for a shipped change: linked to its ideas, or in its plan's themes."""
    found = _linked_feedback(session, [i.id for i in ideas])
    return found | (_theme_feedback(session, plan) if plan is not None else set())


def refresh(session: Session, plan: ImprovementPlan | int | None) -> None:
    """Recount the plan's votes and feedback and store its priority (in the caller's transaction)."""
    if plan is None:
        return
    row = session.get(ImprovementPlan, plan) if isinstance(plan, int) else plan
    if row is None:
        return
    ideas = list(session.scalars(select(Idea).where(Idea.plan_id == row.id, Idea.status != "duplicate")))
    asked = sorted(asked_for(session, row, ideas))
    negative, urgent = _feedback_counts(session, asked)
    improvements.set_priority(row, _votes(session, [i.id for i in ideas]), len(asked), negative, urgent)


def refresh_many(session: Session, plan_ids: Iterable[int | None]) -> None:
    for plan_id in dict.fromkeys(p for p in plan_ids if p):
        refresh(session, plan_id)


def votes_changed(session: Session, plan_id: int | None) -> None:
    """A vote arrived for one of the plan's ideas: recount the votes, keep the feedback counts."""
    plan = session.get(ImprovementPlan, plan_id) if plan_id else None
    if plan is None:
        return
    votes = _votes(session, _idea_ids(session, plan.id))
    improvements.set_priority(plan, votes, plan.priority_feedback or 0, plan.priority_negative or 0,
                              plan.priority_urgent or 0)  # fmt: skip


def on_plan_saved(session: Session, plan: ImprovementPlan) -> None:
    """insight.improvements.priority_hooks: a plan was created or changed."""
    refresh(session, plan)


def refresh_open(session: Session) -> int:
    """Refresh every plan not yet verified or cancelled (their theme window moves with time); commits."""
    begin_write(session)
    plans = list(session.scalars(select(ImprovementPlan).where(ImprovementPlan.status.not_in(CLOSED))))
    for plan in plans:
        refresh(session, plan)
    session.commit()
    return len(plans)
