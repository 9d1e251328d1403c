"""one definition of SLA compliance (issue 13: the 管理层 dashboard showed 90.3% on its headline tile and 88.9% on its
KPI tile): an item answered or resolved after its deadline counts as breached in the inbox's sla= filter and the
dashboard too, not only in the KPI, and duplicates count in neither, so the daily SLA rows are counted again

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:30:00
"""
from __future__ import annotations

from alembic import op
from sqlalchemy.orm import Session

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from feedbackloop.insight import daily

    session = Session(bind=op.get_bind())
    daily.recount(session, daily.SLA_SPEC, None)
    session.flush()


def downgrade() -> None:
    pass  # the rows counted by the new definition are what the old code reads; nothing to undo
