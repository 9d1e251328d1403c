"""Background work of insight: keep the per-item KPI durations current (every minute, on the consumer)."""

from __future__ import annotations

from huey import crontab

from feedbackloop.db import session_scope
from feedbackloop.tasks import huey


@huey.periodic_task(crontab(minute="*"))
def refresh_kpi_times() -> int:
    """Recompute the durations of items changed since the last run (kpi_facts.refresh)."""
    from feedbackloop.insight import kpi_facts

    with session_scope() as session:
        return kpi_facts.refresh(session)
