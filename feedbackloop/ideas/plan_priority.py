"""The improvement plan's priority from the idea board (SPEC §5, issue 15): impact × frequency, where the
frequency counts the people who voted for the plan's ideas and the feedback items that asked for it.

votes    = distinct voters of the plan's ideas (duplicates merged away are not counted twice);
feedback = the items that asked for it, as the changelog counts them (notify.asked_for: linked to its ideas,
           or in the plan's themes in the 30 days before it shipped, before now while it has not);
impact   = 1 + the negative share of those items + 1 if any of them is 紧急;
priority = impact × (votes + feedback)  (insight.improvements.priority_of, stored on the plan).

A vote only recounts the votes (`votes_changed`, in the voting transaction); a link, a merge or a change of
the plan recounts everything (`refresh`); an hourly task refreshes the open plans, whose theme window moves."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from feedbackloop.db import begin_write
from feedbackloop.feedback.models import Feedback
from feedbackloop.ideas.models import Idea, Vote
from feedbackloop.insight import improvements
from feedbackloop.insight.models import ImprovementPlan

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


def refresh(session: Session, plan: ImprovementPlan | int | None) -> None:
    """Recount the plan's votes and feedback and store its priority (in the caller's transaction)."""
    from feedbackloop.ideas import notify  # notify → services → this module

    if plan is None:
        return
    row = session.get(ImprovementPlan, plan) if isinstance(plan, int) else plan
    if row is None:
        return
    ideas = list(session.scalars(select(Idea).where(Idea.plan_id == row.id, Idea.status != "duplicate")))
    asked = sorted(notify.asked_for(session, row, ideas))
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
