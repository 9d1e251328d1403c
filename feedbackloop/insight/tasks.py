"""Background work of the insight half on Huey: the per-item KPI durations (every minute) and the
scheduled reports (every hour)."""

from __future__ import annotations

from huey import crontab

from feedbackloop.db import get_read_sessionmaker, session_scope
from feedbackloop.insight import daily
from feedbackloop.surveys import services as survey_services
from feedbackloop.tasks import huey, not_while_running, once_per_period

# The daily survey rows follow every invitation and answer, in the same transaction (registered at start-up).
if daily.recount_surveys not in survey_services.change_hooks:
    survey_services.change_hooks.append(daily.recount_surveys)


@huey.periodic_task(crontab(minute="*"))
@once_per_period(60)
@not_while_running("refresh_kpi_times", longest=30 * 60)
def refresh_kpi_times() -> int:
    """Recompute the durations of items changed since the last run (kpi_facts.refresh)."""
    from feedbackloop.insight import kpi_facts

    with session_scope() as session:
        return kpi_facts.refresh(session)


@huey.task()
def recompute_kpi_times() -> int:
    """Recompute every item's durations in place after the business calendar changed (kpi_facts.rebuild)."""
    from feedbackloop.insight import kpi_facts

    with session_scope() as session:
        return kpi_facts.rebuild(session)


@huey.periodic_task(crontab(minute="7"))
@once_per_period(3600)
def scheduled_reports() -> int:
    """Every hour: mail the weekly and monthly reports whose period has ended, with the PDF attached."""
    from feedbackloop.insight.schedule import send_due
    from feedbackloop.workflow.mail import send

    # A reader: building the report and its PDF takes seconds, and must not hold SQLite's write lock;
    # send_due takes it only to claim and to finish each subscription.
    session = get_read_sessionmaker()()
    try:
        return send_due(session, send)
    finally:
        session.close()
