"""Write the next numbered migration from the difference between the models and the current migrations.

Usage: .venv/bin/python scripts/new_migration.py "what changed"

Databases already in use are stamped with the revisions they ran, so a schema change is always a new
revision, never an edit of an old one. Review the file it writes, then run `ruff check --fix` on it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from feedbackloop.migrations import HERE, alembic_config

if len(sys.argv) != 2:
    sys.exit(__doc__)
rev_id = f"{len(list((HERE / 'versions').glob('[0-9][0-9][0-9][0-9]_*.py'))) + 1:04d}"
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp) / 'current.db'}")
    command.upgrade(cfg, "head")  # autogenerate compares the models with a database at the newest revision
    command.revision(cfg, message=sys.argv[1], autogenerate=True, rev_id=rev_id)
print(f"wrote revision {rev_id} under {HERE / 'versions'}")
