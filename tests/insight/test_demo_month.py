"""`make run` (serve --demo): the first start shows a team's real quarter, and every KPI has a value."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from feedbackloop.feedback.models import Feedback
from feedbackloop.insight import kpis
from feedbackloop.lib.clock import clock


def test_the_demo_quarter_gives_every_kpi_a_value_and_shows_the_whole_loop(db, monkeypatch):
    from feedbackloop.feedback import demo
    from feedbackloop.feedback import services as feedback_services
    from feedbackloop.insight.improvements import list_plans
    from feedbackloop.workflow.models import KbArticle, RoutingRule

    monkeypatch.setattr(feedback_services, "after_ingest_hooks", [])  # as on `serve`: the queue runs them later
    assert demo.load_demo_if_empty() == 3000
    db.commit()
    statuses = dict(db.execute(select(Feedback.status, func.count()).group_by(Feedback.status)).all())
    assert statuses["closed"] > 500 and statuses["resolved"] > 500 and {"in_progress", "assigned"} <= set(statuses)
    # Probe 14b: only agents, supervisors and admins own items; some new ones wait in a team's pool (未分配).
    from feedbackloop.accounts.models import User
    from feedbackloop.accounts.policy import HANDLERS
    from feedbackloop.workflow.models import HistoryEntry, Reply

    owners = set(db.scalars(select(User.role).join(Feedback, Feedback.owner_id == User.id).distinct()))
    assert owners and owners <= HANDLERS
    assert db.scalar(select(func.count()).where(Feedback.owner_id.is_(None), Feedback.status == "triaged")) > 0
    # Replies go out on the channel the contact allows: no e-mail to a phone number or to nobody.
    kinds = dict(db.execute(select(Reply.kind, func.count()).group_by(Reply.kind)).all())
    assert kinds.get("email") and kinds.get("sms") and kinds.get("public_draft")
    wrong = db.scalar(select(func.count()).select_from(Reply).where(Reply.kind == "email", ~Reply.to_addr.contains("@")))
    assert wrong == 0 and db.scalar(select(func.count()).where(Reply.kind == "sms", Reply.state != "manual")) == 0
    actors = set(db.scalars(select(HistoryEntry.actor).distinct()))
    assert not any(a.isdigit() for a in actors) and "张敏" in actors  # names, not user ids
    assert db.scalar(select(func.count()).where(Feedback.reopen_count > 0)) > 20
    assert db.scalar(select(func.count()).where(Feedback.escalation_level > 1)) > 20
    assert db.scalar(select(func.count()).where(Feedback.resolution_breached_at.is_not(None))) > 10
    assert db.scalar(select(func.count()).select_from(RoutingRule)) >= 4
    assert db.scalar(select(func.count()).select_from(KbArticle)) >= 4
    shipped = [p for p in list_plans(db) if p.status == "shipped"]
    assert shipped and shipped[0].shipped_at is not None
    today = clock.now().astimezone(kpis.CHINA).date()
    data = kpis.overview(db, today - timedelta(days=29), today)["kpis"]
    missing = [k for k, v in data.items() if v["value"] is None]
    assert missing == [], f"KPIs without a value on first start: {missing}"
    assert data["csat"]["target"] == 85 and data["nps"]["n"] >= 30
    assert demo.load_demo_if_empty() == 0  # once only
