"""KPI API (SPEC §11): every KPI for a date range and the feedback list's filters, and the targets."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from feedbackloop.accounts.models import User
from feedbackloop.insight import daily, kpi_facts, kpis
from feedbackloop.web.deps import SessionDep, StaffUser, require_role

router = APIRouter(prefix="/api/v1", tags=["kpis"])
ManagerUser = Annotated[User, Depends(require_role("supervisor", "admin"))]
DbRef = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Text = Annotated[str | None, Query(max_length=200)]


def kpi_filters(
    channel: Annotated[str | None, Query(max_length=20)] = None,
    team_id: DbRef = None,
    agent_id: DbRef = None,
    problem_type: Annotated[str | None, Query(max_length=20)] = None,
    product: Text = None,
    customer_type: Annotated[str | None, Query(max_length=20)] = None,
) -> kpis.Filters:
    """The feedback list's filters that apply to KPIs (kpis.overview refuses unknown values)."""
    return kpis.Filters(channel, team_id, agent_id, problem_type, product, customer_type)


@router.get("/kpis")
def list_kpis(
    session: SessionDep,
    user: StaffUser,
    filters: Annotated[kpis.Filters, Depends(kpi_filters)],
    date_from: Annotated[date | None, Query(alias="from", description="YYYY-MM-DD, 默认 30 天前")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="YYYY-MM-DD (含), 默认今天")] = None,
) -> dict[str, Any]:
    """Every KPI with value, n, low_n, target, direction, met, the previous period and the change."""
    kpi_facts.refresh(session)
    daily.pin_fresh(session)
    lo, hi = kpis.default_range(date_from, date_to)
    return kpis.overview(session, lo, hi, filters)


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: float | None = Field(description="目标值; null 清除目标")
    direction: Literal["higher", "lower"] | None = Field(default=None, description="越高越好 / 越低越好")


class TargetOut(BaseModel):
    key: str
    target: float | None
    direction: str


@router.get("/kpis/targets", response_model=list[TargetOut])
def list_targets(session: SessionDep, user: StaffUser) -> object:
    """Each KPI's target and direction (the supervisor's, else the default)."""
    return [{"key": k, "target": t, "direction": d} for k, (t, d) in kpis.targets(session).items()]


@router.put("/kpis/targets/{key}", response_model=TargetOut)
def put_target(key: Annotated[str, Path(max_length=60)], body: TargetIn, session: SessionDep, user: ManagerUser) -> object:
    """Set a KPI's target (supervisors); audited."""
    row = kpis.set_target(session, key, body.target, body.direction, user)
    return {"key": row.key, "target": row.target, "direction": row.direction}
