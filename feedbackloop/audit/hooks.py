"""Audit entries for feedback stored through any channel (run after the intake transaction commits)."""

from __future__ import annotations

from sqlalchemy import select

from feedbackloop.audit.services import record
from feedbackloop.db import begin_write, session_scope
from feedbackloop.feedback import services as feedback_services
from feedbackloop.feedback.models import Feedback

_FIELDS = ("channel", "external_id", "touchpoint", "customer_name", "contact", "problem_type", "content", "status")


def audit_ingest(ids: list[str]) -> None:
    """Record one `feedback.create` entry per new item."""
    with session_scope() as session:
        begin_write(session)
        for start in range(0, len(ids), 500):
            for item in session.scalars(select(Feedback).where(Feedback.id.in_(ids[start : start + 500]))):
                after = {f: getattr(item, f) for f in _FIELDS}
                record(session, "intake", "feedback.create", "feedback", item.id, None, after)


def snapshot(item: object, fields: tuple[str, ...]) -> dict[str, object]:
    """The named attributes of a record, for before/after."""
    return {f: getattr(item, f) for f in fields}


if audit_ingest not in feedback_services.after_ingest_hooks:
    feedback_services.after_ingest_hooks.append(audit_ingest)
