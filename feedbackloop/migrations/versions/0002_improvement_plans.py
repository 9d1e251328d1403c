"""improvement plans (SPEC §6)

A migration of its own, not a regenerated 0001: databases created by an earlier version are stamped
0001 and would otherwise never get the table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import feedbackloop.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wf_improvement_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('problem_type', sa.String(length=20), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('theme_keys', sa.JSON(), nullable=False),
    sa.Column('shipped_at', feedbackloop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', feedbackloop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', feedbackloop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_wf_improvement_plans_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_wf_improvement_plans_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_improvement_plans'))
    )
    with op.batch_alter_table('wf_improvement_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wf_improvement_plans_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_wf_improvement_plans_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wf_improvement_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wf_improvement_plans_team_id'))
        batch_op.drop_index(batch_op.f('ix_wf_improvement_plans_status'))

    op.drop_table('wf_improvement_plans')
