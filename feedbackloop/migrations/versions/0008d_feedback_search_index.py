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


def downgrade() -> None:
    bind = op.get_bind()
    for statement in search.POSTGRES_DROP if bind.dialect.name == "postgresql" else search.SQLITE_DROP:
        op.execute(statement)
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('search_terms')
