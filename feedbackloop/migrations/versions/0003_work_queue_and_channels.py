"""routing on what the analysis read, the work queue, replies beyond e-mail (issue 14)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wf_routing_rules') as batch:
        batch.add_column(sa.Column('urgency', sa.String(length=4), nullable=True))
        batch.add_column(sa.Column('sentiment', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('aspect', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wf_routing_rules') as batch:
        batch.drop_column('aspect')
        batch.drop_column('sentiment')
        batch.drop_column('urgency')
