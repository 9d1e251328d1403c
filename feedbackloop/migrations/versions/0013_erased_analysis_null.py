"""an erased item's analysis is SQL NULL, not a JSON null (erasure wrote JSON null, which every `analysis IS NOT
NULL` reader took for an analysis: the themes API and the plans page answered 500 after an erasure)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 20:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE feedback SET analysis = NULL WHERE analysis = 'null'::jsonb")
    else:
        op.execute("UPDATE feedback SET analysis = NULL WHERE analysis = 'null'")


def downgrade() -> None:
    pass  # NULL is what the erasure meant; nothing to undo
