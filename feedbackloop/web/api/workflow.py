"""Workflow API (issue 5): life cycle, claim/assign/escalate, replies, routing rules, SLA, teams,
templates, knowledge base, threshold alerts, notifications, and the customer's public status endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from feedbackloop.accounts.models import User
from feedbackloop.web.crud import Entity, add_crud_routes
from feedbackloop.web.deps import DbId, SessionDep, StaffUser, WriterUser, require_role
from feedbackloop.web.ratelimit import limit_public
from feedbackloop.workflow import alerts, customer, queue, replies, routing, services, sla
from feedbackloop.workflow import schemas as s
from feedbackloop.workflow.tasks import run_sweep

router = APIRouter(prefix="/api/v1", tags=["workflow"])
ManagerUser = Annotated[User, Depends(require_role("supervisor", "admin"))]
AgentUser = Annotated[User, Depends(require_role("agent", "supervisor", "admin"))]


# --- One item ------------------------------------------------------------------------------------------------


@router.get("/feedback/{feedback_id}/workflow", response_model=s.WorkflowState)
def item_state(feedback_id: str, session: SessionDep, user: StaffUser) -> object:
    """Status and allowed next states, owner, team, priority with reasons, SLA time left, escalation level."""
    return services.state(session, feedback_id)


@router.post("/feedback/{feedback_id}/transition", response_model=s.WorkflowState)
def transition(feedback_id: str, body: s.TransitionIn, session: SessionDep, user: WriterUser) -> object:
    """Move the item along its life cycle; 409 with the allowed next states if the move is not allowed."""
    services.transition(session, feedback_id, body.to, user, body.reason, merged_into=body.merged_into)
    return services.state(session, feedback_id)


@router.post("/feedback/{feedback_id}/claim", response_model=s.WorkflowState)
def claim(feedback_id: str, session: SessionDep, user: AgentUser) -> object:
    """Take an unowned item; of two agents claiming at once exactly one wins, the other gets 409."""
    services.claim(session, feedback_id, user)
    return services.state(session, feedback_id)


@router.post("/feedback/{feedback_id}/assign", response_model=s.WorkflowState)
def assign(feedback_id: str, body: s.AssignIn, session: SessionDep, user: AgentUser) -> object:
    """Give the item to one owner, or to a team whose routing strategy picks the owner."""
    if body.team_id is not None:
        queue.assign_to_team(session, feedback_id, body.team_id, user, body.reason)
    else:
        services.assign(session, feedback_id, body.owner_id or 0, user, body.reason)
    return services.state(session, feedback_id)


@router.post("/feedback/bulk", response_model=s.BulkOut)
def bulk(body: s.BulkIn, session: SessionDep, user: AgentUser) -> object:
    """One action on many items (assign to a person or a team, change status, close as duplicate, add a tag):
    every item is checked first, nothing changes if one fails; one audit entry and history event per item."""
    fields = body.model_dump(exclude={"ids", "action"})
    return queue.bulk(session, user, body.ids, body.action, **fields).as_dict()


@router.get("/saved-views", response_model=list[s.SavedViewOut])
def list_saved_views(session: SessionDep, user: StaffUser) -> object:
    """The caller's saved inbox views."""
    return queue.saved_views(session, user)


@router.post("/saved-views", response_model=s.SavedViewOut, status_code=201)
def save_view(body: s.SavedViewIn, session: SessionDep, user: StaffUser) -> object:
    """Save an inbox query (filters, view, sort) under a name; the same name replaces it."""
    return queue.save_view(session, user, body.name, body.query)


@router.delete("/saved-views/{view_id}", status_code=204)
def delete_view(view_id: DbId, session: SessionDep, user: StaffUser) -> None:
    queue.delete_view(session, user, view_id)


@router.post("/feedback/{feedback_id}/escalate", response_model=s.WorkflowState)
def escalate(feedback_id: str, body: s.EscalateIn, session: SessionDep, user: WriterUser) -> object:
    """Escalate to the next level (一线客服 → 专家团队 → 部门经理 → 高管)."""
    services.manual_escalate(session, feedback_id, user, body.reason)
    return services.state(session, feedback_id)


@router.get("/feedback/{feedback_id}/history", response_model=list[s.HistoryOut])
def item_history(feedback_id: str, session: SessionDep, user: StaffUser) -> object:
    """Every change of the item: who, when, why."""
    return services.history(session, feedback_id)


@router.get("/feedback/{feedback_id}/replies", response_model=list[s.ReplyOut])
def list_replies(feedback_id: str, session: SessionDep, user: StaffUser) -> object:
    return replies.replies(session, feedback_id)


@router.post("/feedback/{feedback_id}/replies", response_model=s.ReplyOut, status_code=201)
def create_reply(feedback_id: str, body: s.ReplyIn, session: SessionDep, user: WriterUser) -> object:
    """Reply by email (with the status link), or keep an internal note / public-review draft."""
    return replies.create_reply(session, feedback_id, user, body.body, subject=body.subject, kind=body.kind)


@router.get("/feedback/{feedback_id}/suggested-reply")
def suggested_reply(feedback_id: str, session: SessionDep, user: StaffUser) -> dict[str, object]:
    """A draft from the fitting template, the closest KB article and similar resolved cases."""
    return replies.suggest(session, feedback_id)


@router.post("/feedback/{feedback_id}/render-template")
def render_template(
    feedback_id: str, body: s.RenderIn, session: SessionDep, user: StaffUser
) -> dict[str, object]:
    """A template with its placeholders filled in for this item; `missing` lists those it could not fill."""
    extra = {"next_step": body.next_step or "", "deadline": body.deadline or ""}
    return replies.fill_template(session, feedback_id, body.template_id, extra)


@router.post("/feedback/{feedback_id}/kb", response_model=s.KbOut, status_code=201)
def kb_from_item(feedback_id: str, body: s.KbFromItemIn, session: SessionDep, user: WriterUser) -> object:
    """Keep what solved this item as a knowledge-base article."""
    return replies.kb_from_item(session, feedback_id, body.model_dump())


# --- Routing rules, teams, SLA --------------------------------------------------------------------------------


add_crud_routes(router, Entity(
    "/routing-rules", "rule", "rules", s.RuleIn, s.RuleOut, routing.save_rule, StaffUser, ManagerUser,
    list_all=routing.list_rules, delete=routing.delete_rule,
))  # fmt: skip


add_crud_routes(router, Entity(
    "/workflow/teams", "team", "teams", s.TeamIn, dict[str, object], routing.save_team, StaffUser, ManagerUser,
    list_all=routing.list_teams, with_actor=True,
))  # fmt: skip


@router.get("/workflow/assignees")
def list_assignees(session: SessionDep, user: StaffUser) -> list[dict[str, object]]:
    """Who an item can be given to: every active agent, supervisor and admin, in a team or not."""
    return services.assignees(session)


@router.get("/sla-policies", response_model=list[s.PolicyOut])
def list_policies(session: SessionDep, user: StaffUser) -> object:
    result = list(sla.policies(session).values())
    session.commit()
    return sorted(result, key=lambda p: ["urgent", "high", "normal", "low"].index(p.priority))


@router.put("/sla-policies/{priority}", response_model=s.PolicyOut)
def update_policy(priority: s.Priority, body: s.PolicyIn, session: SessionDep, user: ManagerUser) -> object:
    """Change one priority's targets (first response never over 48 h)."""
    policy = sla.update_policy(session, priority, body.model_dump())
    session.commit()
    return policy


@router.get("/business-calendar", response_model=s.CalendarOut)
def get_calendar(session: SessionDep, user: StaffUser) -> object:
    sla.business_hours(session)
    session.commit()
    return sla.update_calendar(session, {})


@router.put("/business-calendar", response_model=s.CalendarOut)
def update_calendar(body: s.CalendarIn, session: SessionDep, user: ManagerUser) -> object:
    """Working hours, weekdays (Mon=0), holidays and make-up working days (调休)."""
    fields = body.model_dump()
    for key in ("holidays", "extra_workdays"):
        if fields[key] is not None:
            fields[key] = sorted({d.isoformat() for d in fields[key]})
    before = sla.business_hours(session)
    cal = sla.update_calendar(session, fields)
    session.commit()
    if sla.business_hours(session) != before:
        # Business minutes of every item depend on the calendar: recompute them in the background (in place:
        # the KPIs keep the old figures of an item until its new ones are written).
        from feedbackloop.insight.tasks import recompute_kpi_times

        recompute_kpi_times()
    return cal


@router.post("/workflow/sla-sweep")
def sla_sweep(user: ManagerUser) -> dict[str, int]:
    """Run the SLA sweep now (it also runs every minute in the background)."""
    return run_sweep()


# --- Templates, knowledge base ---------------------------------------------------------------------------------


add_crud_routes(router, Entity(
    "/templates", "template", "templates", s.TemplateIn, s.TemplateOut, replies.save_template, StaffUser, ManagerUser,
    list_all=replies.list_templates, delete=replies.delete_template,
))  # fmt: skip


@router.get("/kb", response_model=list[s.KbOut])
def search_kb(
    session: SessionDep,
    user: StaffUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    due_review: bool = False,
) -> object:
    """Search articles by text or tag, or list those due for review."""
    return replies.search_articles(session, q, tag, due_review)


# Listing is the search above; writers keep articles, managers delete them.
add_crud_routes(router, Entity(
    "/kb", "article", "articles", s.KbIn, s.KbOut, replies.save_article, StaffUser, WriterUser,
    deleters=ManagerUser, get_one=replies.get_article, delete=replies.delete_article,
))  # fmt: skip


# --- Threshold alerts, notifications --------------------------------------------------------------------------


add_crud_routes(router, Entity(
    "/alert-rules", "alert_rule", "alert_rules", s.AlertRuleIn, s.AlertRuleOut, alerts.save_rule, StaffUser, ManagerUser,
    list_all=alerts.list_rules, delete=alerts.delete_rule, id_name="rule_id",
))  # fmt: skip


@router.post("/alert-rules/evaluate", response_model=list[s.AlertEventOut])
def evaluate_alerts(session: SessionDep, user: ManagerUser) -> object:
    """Evaluate every rule now (they also run every five minutes)."""
    return alerts.run_all(session)


@router.get("/alert-events", response_model=list[s.AlertEventOut])
def alert_events(
    session: SessionDep, user: StaffUser, rule_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> object:
    """Fired alerts with the items that caused them."""
    return alerts.events(session, rule_id)


@router.get("/notifications", response_model=list[s.NotificationOut])
def my_notifications(session: SessionDep, user: StaffUser, unread: bool = False) -> object:
    return services.notifications_for(session, user, unread)


@router.post("/notifications/read")
def read_notifications(body: s.ReadIn, session: SessionDep, user: StaffUser) -> dict[str, int]:
    return {"marked": services.mark_read(session, user, body.ids)}


# --- The customer's status link (no login) --------------------------------------------------------------------


@router.get("/public/status/{token}", tags=["public"])
def public_status(token: str, session: SessionDep, request: Request) -> dict[str, object]:
    """The status of one item and the replies sent, for the holder of its status link."""
    limit_public(request)
    view = customer.public_view(session, token)
    record = view["record"]
    return {
        "id": record.id,
        "status": record.status,
        "status_label": view["status_label"],
        "steps": view["steps"],
        "can_rate": view["can_rate"],
        "satisfaction": record.satisfaction,
        "replies": [{"at": r.created_at, "direction": r.direction, "body": r.body} for r in view["replies"]],
    }


@router.post("/public/status/{token}/satisfaction", tags=["public"])
def public_satisfaction(
    token: str, body: s.SatisfactionIn, session: SessionDep, request: Request
) -> dict[str, str]:
    """The customer's 满意 / 不满意; 不满意 reopens the item."""
    limit_public(request)
    record = customer.answer_satisfaction(session, token, body.satisfied)
    return {"id": record.id, "status": record.status}
