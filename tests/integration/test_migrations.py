"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import SAWarning

from feedbackloop.db import get_engine
from feedbackloop.migrations import include_name
from feedbackloop.models import Base


def compare(conn):  # type: ignore[no-untyped-def]
    """The differences between the models and the database, leaving out what the models cannot describe (the
    search index's FTS5 tables and the inbox's and idea search's expression indexes, which SQLAlchemy cannot reflect
    on SQLite)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
        # SQLite cannot reflect idea search's PostgreSQL-only expression index (ddl_if(dialect="postgresql"))
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index "
                                "'ix_idea_ideas_search'", UserWarning)  # fmt: skip
        return compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), Base.metadata)


def test_migrations_match_models(db):
    with get_engine().connect() as conn:
        diff = compare(conn)
    assert diff == [], f"models and migrations differ; write one with scripts/new_migration.py: {diff}"


def test_a_database_made_by_an_earlier_version_is_brought_up_to_date(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from feedbackloop.migrations import alembic_config, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")  # the schema before improvement plans
    assert "wf_improvement_plans" not in inspect(create_engine(url)).get_table_names()
    migrate(url)
    engine = create_engine(url)
    assert "wf_improvement_plans" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert compare(conn) == []


def test_an_upgrade_counts_the_declared_product_and_module_as_mentions(tmp_path):
    """Migration 0009 rewrites the facets of analysed items that came with a product or module."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from feedbackloop.analysis import analyze
    from feedbackloop.feedback.facets import FeedbackFacet
    from feedbackloop.feedback.models import Feedback
    from feedbackloop.insight.daily_models import DailyCounts
    from feedbackloop.migrations import alembic_config, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0008a")
    engine = create_engine(url)
    text = "付款的时候一直转圈, 付不了款"
    now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    with Session(engine) as session:
        session.add(Feedback(id="FB-OLD-1", channel="api", content=text, product="会员App", module="支付",
                             received_at=now, created_at=now, updated_at=now, analysis=analyze(text).to_dict(),
                             status="triaged", content_hash="0" * 64))  # fmt: skip
        session.commit()
    migrate(url)
    with Session(engine) as session:
        kinds = set(session.execute(select(FeedbackFacet.kind, FeedbackFacet.value)
                                    .where(FeedbackFacet.feedback_id == "FB-OLD-1")))  # fmt: skip
        assert {("product", "会员App"), ("module", "支付")} <= kinds
        counted = set(session.scalars(select(DailyCounts.key1).where(DailyCounts.kind == "mention")))
        assert {"会员App", "支付"} <= counted
