"""owed work: partial indexes over the items still owed analysis or triage, and analyzed_at (issue 16)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OWED_ANALYSIS = sa.text("analyzed_at IS NULL")
OWED_TRIAGE = sa.text("prioritized_at IS NULL AND status = 'new'")


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_owed_analysis', ['created_at'], unique=False,
                              postgresql_where=OWED_ANALYSIS, sqlite_where=OWED_ANALYSIS)
        batch_op.create_index('ix_feedback_owed_triage', ['created_at'], unique=False,
                              postgresql_where=OWED_TRIAGE, sqlite_where=OWED_TRIAGE)
        batch_op.create_index('ix_feedback_analyzed_at', ['analyzed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_analyzed_at')
        batch_op.drop_index('ix_feedback_owed_triage')
        batch_op.drop_index('ix_feedback_owed_analysis')
