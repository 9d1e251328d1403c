"""Tamper-evident audit trail: who changed what, when, with before and after (SPEC §9)."""

from feedbackloop.audit import autolog as _autolog  # noqa: F401  (audits ORM changes of feedback and rules)
from feedbackloop.audit import hooks as _hooks  # noqa: F401  (registers the intake hook)
from feedbackloop.audit.services import entries, record, verify

__all__ = ["entries", "record", "verify"]
