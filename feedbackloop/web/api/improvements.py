"""Improvement plans API (SPEC §6): product managers plan changes against themes and review their effect."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from feedbackloop.accounts.models import User
from feedbackloop.accounts.policy import PLANNERS
from feedbackloop.insight import improvements
from feedbackloop.insight import schemas as s
from feedbackloop.web.deps import DbId, SessionDep, StaffUser, require_role

router = APIRouter(prefix="/api/v1/improvements", tags=["improvements"])
# SPEC §1: product managers own improvement plans; supervisors and admins may act for them.
PlannerUser = Annotated[User, Depends(require_role(*PLANNERS))]


@router.get("", response_model=list[s.ImprovementOut])
def list_plans(
    session: SessionDep, user: StaffUser, status: Annotated[s.PlanStatus | None, Query()] = None,
    sort: Annotated[Literal["due", "priority"], Query(description="due: 截止日期最近的在前; priority: 优先级最高的在前")] = "due",
) -> object:
    """Plans, the nearest due date first (or `sort=priority`: the highest impact × frequency first);
    `status` filters (planned, in_progress, shipped, verified, cancelled)."""
    plans = improvements.list_plans(session, status, sort)
    teams = improvements.team_names(session)
    return [improvements.plan_view(session, p, teams=teams) for p in plans]


@router.post("", response_model=s.ImprovementOut, status_code=201)
def create_plan(body: s.ImprovementCreate, session: SessionDep, user: PlannerUser) -> object:
    """A new plan in status 计划中 (planned)."""
    plan = improvements.create_plan(session, body.model_dump())
    return improvements.plan_view(session, plan, effect=True)


@router.get("/{plan_id}", response_model=s.ImprovementOut)
def get_plan(plan_id: DbId, session: SessionDep, user: StaffUser) -> object:
    """One plan with its effect review: linked feedback before and after shipping (or the baseline so far)."""
    return improvements.plan_view(session, improvements.get_plan(session, plan_id), effect=True)


@router.patch("/{plan_id}", response_model=s.ImprovementOut)
def update_plan(plan_id: DbId, body: s.ImprovementUpdate, session: SessionDep, user: PlannerUser) -> object:
    """Change fields; `status` moves the plan (409 with the allowed moves when the move is not allowed)."""
    plan = improvements.update_plan(session, plan_id, body.model_dump(exclude_unset=True))
    return improvements.plan_view(session, plan, effect=True)
