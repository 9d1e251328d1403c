"""issue 15 leftovers: the improvement plan's priority (impact × frequency, the linked ideas' votes counted),
the language a voter used, and the idea board's search through a GIN index on PostgreSQL

`idea_ideas.search_tokens` holds the idea's jieba tokens separated by spaces (the same tokens as idea_tokens);
PostgreSQL indexes them as a tsvector (GIN, one lexeme per token, no parsing or stemming), SQLite keeps
searching the idea_tokens table.

Revision ID: 0008b
Revises: 0008d
Create Date: 2026-12-02 18:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import feedbackloop.db

revision = '0008b'
down_revision = '0008d'
branch_labels = None
depends_on = None

# Kept in one place: the query in ideas/search.py must spell the indexed expression exactly like this.
SEARCH_VECTOR = "array_to_tsvector(string_to_array(search_tokens, ' '))"


def upgrade() -> None:
    with op.batch_alter_table('wf_improvement_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('priority_votes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('priority_feedback', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('priority_negative', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('priority_urgent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('priority_at', feedbackloop.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_wf_improvement_plans_priority', ['priority'], unique=False)
    with op.batch_alter_table('idea_voters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang', sa.String(length=10), nullable=True))
    with op.batch_alter_table('idea_ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_tokens', sa.Text(), nullable=False, server_default=''))
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("UPDATE idea_ideas SET search_tokens = coalesce((SELECT string_agg(t.token, ' ' ORDER BY t.token) "
                   "FROM idea_tokens t WHERE t.idea_id = idea_ideas.id AND position(' ' in t.token) = 0), '')")
        op.execute(f"CREATE INDEX ix_idea_ideas_search ON idea_ideas USING gin ({SEARCH_VECTOR})")
    else:
        op.execute("UPDATE idea_ideas SET search_tokens = coalesce((SELECT group_concat(t.token, ' ') "
                   "FROM idea_tokens t WHERE t.idea_id = idea_ideas.id AND instr(t.token, ' ') = 0), '')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_idea_ideas_search")
    with op.batch_alter_table('idea_ideas', schema=None) as batch_op:
        batch_op.drop_column('search_tokens')
    with op.batch_alter_table('idea_voters', schema=None) as batch_op:
        batch_op.drop_column('lang')
    with op.batch_alter_table('wf_improvement_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_wf_improvement_plans_priority')
        for name in ('priority_at', 'priority_urgent', 'priority_negative', 'priority_feedback', 'priority_votes',
                     'priority'):
            batch_op.drop_column(name)
