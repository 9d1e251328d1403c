"""feedback.analysis as jsonb on PostgreSQL (issue 13: an export read four fields of it per row, and json, stored as
text, was parsed again for each: 3.2 s of the server's time for 100,000 rows; jsonb is read without parsing)

SQLite keeps its JSON text column. On PostgreSQL the table is rewritten once (ALTER COLUMN … TYPE jsonb takes an
exclusive lock for as long as that takes: about a minute per million items).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE feedback ALTER COLUMN analysis TYPE jsonb USING analysis::jsonb")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE feedback ALTER COLUMN analysis TYPE json USING analysis::json")
