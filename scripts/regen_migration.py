"""Regenerate the initial migration from the models (only while nothing has been released).

Usage: .venv/bin/python scripts/regen_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from feedbackloop.migrations import HERE, alembic_config

target = HERE / "versions" / "0001_initial_schema.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    command.revision(
        alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}"), message="initial schema", autogenerate=True, rev_id="0001"
    )
print(f"regenerated {target}")
