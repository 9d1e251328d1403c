"""Tamper-evident audit trail: who changed what, when, with before and after (SPEC §9)."""

from feedbackloop.audit import autolog as _autolog  # noqa: F401  (audits ORM changes of feedback and rules)
from feedbackloop.audit.services import entries, record, record_many, verify

__all__ = ["entries", "record", "record_many", "verify"]
