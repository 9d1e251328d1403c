"""Automatic audit entries for ORM changes to feedback and to the rules and settings of every feature.

Services may call `audit.record()` themselves (accounts, tokens, privacy do, with richer context); for the
tables below every ORM insert, update and delete is recorded after each flush, in the same transaction, with
the changed columns before and after. The actor is `session.info["actor"]`, which the web layer sets to the
signed-in user; background work records as "system".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from feedbackloop.audit.services import Entry, record_entries

AUDITED_TABLES = {
    "feedback", "analysis_corrections", "custom_aspects", "touchpoints", "wf_team_settings", "wf_routing_rules",
    "wf_sla_policies", "wf_calendar", "wf_reply_templates", "wf_kb_articles", "wf_alert_rules",
    "wf_improvement_plans", "surveys", "kpi_targets", "churn_tasks", "idea_ideas", "idea_tasks", "wf_saved_views",
}  # fmt: skip
# Machine-maintained columns: re-analysis and re-scoring are not "changes" a person made.
IGNORED_COLUMNS = {
    "updated_at", "analysis", "model_version", "analyzed_at", "sentiment", "urgency", "content_hash",
    "mh0", "mh1", "mh2", "mh3", "mh4", "priority_score", "priority_reasons", "vote_count",
}  # fmt: skip
# Per table: an improvement plan's priority is recounted from votes and linked feedback (ideas/plan_priority.py).
IGNORED_BY_TABLE = {
    "wf_improvement_plans": {"priority", "priority_votes", "priority_feedback", "priority_negative",
                             "priority_urgent", "priority_at"},
}  # fmt: skip
SKIP_KEY = "audit_skip"


def _entity_id(obj: Any) -> str:
    identity = inspect(obj).identity
    return ",".join(str(v) for v in identity) if identity else "?"


def _columns(obj: Any) -> list[str]:
    ignored = IGNORED_COLUMNS | IGNORED_BY_TABLE.get(getattr(obj, "__tablename__", ""), set())
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in ignored]


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = {}, {}
    for key in _columns(obj):
        history = get_history(obj, key)  # not inspect(obj).attrs, which builds every attribute's state
        if history.has_changes():
            before[key] = history.deleted[0] if history.deleted else None
            after[key] = history.added[0] if history.added else None
    return before, after


def _snapshot(obj: Any) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in _columns(obj)}


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _context: object) -> None:
    if session.info.get(SKIP_KEY):
        return
    actor = session.info.get("actor")
    entries: list[Entry] = []
    for obj in list(session.new):
        if getattr(obj, "__tablename__", None) in AUDITED_TABLES:
            table = obj.__tablename__
            entries.append((actor, f"{table}.create", table, _entity_id(obj), None, _snapshot(obj)))
    for obj in list(session.dirty):
        if getattr(obj, "__tablename__", None) in AUDITED_TABLES and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                table = obj.__tablename__
                entries.append((actor, f"{table}.update", table, _entity_id(obj), before, after))
    for obj in list(session.deleted):
        if getattr(obj, "__tablename__", None) in AUDITED_TABLES:
            table = obj.__tablename__
            entries.append((actor, f"{table}.delete", table, _entity_id(obj), _snapshot(obj), None))
    record_entries(session, entries, in_flush=True)
