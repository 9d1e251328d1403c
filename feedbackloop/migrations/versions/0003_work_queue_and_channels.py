"""routing on what the analysis read, the work queue, replies beyond e-mail (issue 14)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import feedbackloop.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wf_routing_rules') as batch:
        batch.add_column(sa.Column('urgency', sa.String(length=4), nullable=True))
        batch.add_column(sa.Column('sentiment', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('aspect', sa.String(length=60), nullable=True))
    with op.batch_alter_table('feedback') as batch:
        batch.add_column(sa.Column('tags', sa.JSON(), nullable=True))
    with op.batch_alter_table('wf_replies') as batch:
        batch.add_column(sa.Column('provider', sa.String(length=30), nullable=True))
    with op.batch_alter_table('wf_reply_templates') as batch:
        batch.add_column(sa.Column('subject_en', sa.String(length=300), nullable=True))
    op.create_table('wf_saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('created_at', feedbackloop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wf_saved_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wf_saved_views')),
    sa.UniqueConstraint('user_id', 'name', name='uq_wf_saved_views_user_name')
    )
    op.create_index(op.f('ix_wf_saved_views_user_id'), 'wf_saved_views', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wf_saved_views_user_id'), table_name='wf_saved_views')
    op.drop_table('wf_saved_views')
    with op.batch_alter_table('wf_reply_templates') as batch:
        batch.drop_column('subject_en')
    with op.batch_alter_table('wf_replies') as batch:
        batch.drop_column('provider')
    with op.batch_alter_table('feedback') as batch:
        batch.drop_column('tags')
    with op.batch_alter_table('wf_routing_rules') as batch:
        batch.drop_column('aspect')
        batch.drop_column('sentiment')
        batch.drop_column('urgency')
