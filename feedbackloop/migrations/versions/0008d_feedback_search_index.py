"""feedback search index and inbox sort indexes (issue 16): feedback.search_terms, indexed by a GIN index
(PostgreSQL) or the FTS5 table feedback_fts (SQLite)

Existing items get their terms here (lib/cjk.document_terms, in batches of 2,000), then the index is built.

Revision ID: 0008d
Revises: 0006a
Create Date: 2026-12-02 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from feedbackloop.feedback import search
from feedbackloop.lib import cjk

revision = '0008d'
down_revision = '0006a'
branch_labels = None
depends_on = None

BATCH = 2000
# The inbox's sort keys, spelled exactly as feedback.services.priority_rank / no_due / next_due render them
# (an expression index serves only an ORDER BY or WHERE that spells it the same; tests/feedback/
# test_inbox_plans.py checks that the plans use them).
RANK = ("CASE WHEN (priority = 'urgent') THEN 0 WHEN (priority = 'high') THEN 1 WHEN (priority = 'normal') THEN 2 "
        "WHEN (priority = 'low') THEN 3 ELSE 9 END")
DUE = ("CASE WHEN (first_responded_at IS NULL AND first_response_due IS NOT NULL) THEN first_response_due "
       "ELSE resolution_due END")
NO_DUE = f"CASE WHEN ({DUE} IS NULL) THEN 1 ELSE 0 END"
INBOX_INDEXES = {
    # sort=priority: urgent first, then the next SLA target, then newest
    "ix_feedback_inbox_priority": f"({RANK}), ({NO_DUE}), ({DUE}), received_at DESC, id DESC",
    # sort=sla: the next SLA target soonest first, items without one last
    "ix_feedback_inbox_sla": f"({NO_DUE}), ({DUE}), ({RANK}), id DESC",
    # views 即将超时 / 已超时: a range of the next SLA target
    "ix_feedback_next_due": f"({DUE})",
}


def _backfill(bind: sa.Connection) -> None:
    feedback = sa.table("feedback", sa.column("id", sa.String), sa.column("content", sa.Text),
                        sa.column("search_terms", sa.Text))
    last = ""
    while True:
        rows = bind.execute(
            sa.select(feedback.c.id, feedback.c.content).where(feedback.c.id > last)
            .order_by(feedback.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.update(feedback).where(feedback.c.id == sa.bindparam("fid")).values(search_terms=sa.bindparam("terms")),
            [{"fid": fid, "terms": cjk.document_terms(content)} for fid, content in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_terms', sa.Text(), nullable=True))
    bind = op.get_bind()
    _backfill(bind)
    statements = search.POSTGRES_DDL if bind.dialect.name == "postgresql" else (*search.SQLITE_DDL,
                                                                                   search.SQLITE_REBUILD)
    for statement in statements:
        op.execute(statement)
    for name, columns in INBOX_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON feedback ({columns})")


def downgrade() -> None:
    bind = op.get_bind()
    for name in INBOX_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in search.POSTGRES_DROP if bind.dialect.name == "postgresql" else search.SQLITE_DROP:
        op.execute(statement)
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('search_terms')
