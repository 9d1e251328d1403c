"""sort=sla puts handled items last (issue 14: in the 全部 view the resolved and closed items, whose due times lie
in the past, came first): the inbox's two sort indexes that spell "no running SLA target" are rebuilt with
the handled statuses in it, as feedback.services.no_due spells it now

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:20:00
"""
from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

RANK = ("CASE WHEN (priority = 'urgent') THEN 0 WHEN (priority = 'high') THEN 1 WHEN (priority = 'normal') THEN 2 "
        "WHEN (priority = 'low') THEN 3 ELSE 9 END")
DUE = ("CASE WHEN (first_responded_at IS NULL AND first_response_due IS NOT NULL) THEN first_response_due "
       "ELSE resolution_due END")
OLD_NO_DUE = f"CASE WHEN ({DUE} IS NULL) THEN 1 ELSE 0 END"
NO_DUE = f"CASE WHEN ({DUE} IS NULL OR status IN ('resolved', 'closed', 'merged', 'spam')) THEN 1 ELSE 0 END"


def _indexes(no_due: str) -> dict[str, str]:
    return {
        "ix_feedback_inbox_priority": f"({RANK}), ({no_due}), ({DUE}), received_at DESC, id DESC",
        "ix_feedback_inbox_sla": f"({no_due}), ({DUE}), ({RANK}), id DESC",
    }


def _rebuild(no_due: str) -> None:
    for name, columns in _indexes(no_due).items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON feedback ({columns})")


def upgrade() -> None:
    _rebuild(NO_DUE)


def downgrade() -> None:
    _rebuild(OLD_NO_DUE)
