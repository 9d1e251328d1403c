"""Alembic migrations; `migrate()` brings any database to the current schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """What autogenerate and the schema test compare: not the search index's FTS5 tables (SQLite) nor its
    expression index (PostgreSQL), which the models cannot describe (feedback/search.py)."""
    from feedbackloop.feedback import search

    if type_ == "table" and name and search.is_index_table(name):
        return False
    return not (type_ == "index" and name in (search.PG_INDEX, *search.EXPRESSION_INDEXES))


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest schema."""
    command.upgrade(alembic_config(url), "head")
