"""The inbox's full-text search over feedback content (issue 16): an index, not a LIKE '%…%' scan.

Each item's content is cut into terms by lib/cjk (Chinese character unigrams and bigrams, Latin/digit words,
contacts masked) and stored in `feedback.search_terms` by every write of the content. The databases index that
column themselves:

- PostgreSQL: a GIN index over `array_to_tsvector(string_to_array(search_terms, ' '))` (ix_feedback_search).
  The terms are used as they are (no text-search parser or dictionary in between), and the query is a
  `tsquery` of the same terms joined by `&` (prefixes as `'iphone':*`).
- SQLite: an FTS5 table `feedback_fts` over the same column (external content: it stores only the index),
  kept in step by triggers on every INSERT, DELETE and UPDATE OF search_terms; the query is the terms, each
  quoted, which FTS5 joins with AND.

`matches(q)` is the filter condition; SQL for both databases comes from one construct compiled per dialect, so
the inbox, its exports and the dashboard (feedback.services.filter_conditions) share it unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Engine, literal, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from feedbackloop.feedback.models import Feedback
from feedbackloop.lib import cjk

PG_INDEX = "ix_feedback_search"
PG_EXPRESSION = "array_to_tsvector(string_to_array(search_terms, ' '))"
FTS_TABLE = "feedback_fts"
# The inbox's expression indexes over its sort keys (migration 0008d); like ix_feedback_search, the models
# cannot describe them, so autogenerate leaves them alone.
EXPRESSION_INDEXES = ("ix_feedback_inbox_priority", "ix_feedback_inbox_sla", "ix_feedback_next_due")

# SQLite DDL (the migration 0008d runs it; tests and `feedbackloop serve` get it through the migrations).
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_terms, content='feedback', content_rowid='rowid', "
    "tokenize='ascii')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON feedback BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_terms) VALUES (new.rowid, new.search_terms); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON feedback BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_terms) VALUES ('delete', old.rowid, old.search_terms); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_terms ON feedback BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_terms) VALUES ('delete', old.rowid, old.search_terms); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_terms) VALUES (new.rowid, new.search_terms); END",
)
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
SQLITE_DROP = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
POSTGRES_DDL = (
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON feedback USING gin ({PG_EXPRESSION})",
    # Statistics on 100,000 terms instead of 1,000: with the default, every term outside the 1,000 most common
    # (in 1,000,000 reviews, all but single characters and the commonest bigrams) is estimated at 0.5 % of the
    # rows, and PostgreSQL then walks the newest-first index for a rare word (蟑螂: 1.8 s) instead of reading its
    # few rows through this index (27 ms). Measured in README "Benchmarks".
    f"ALTER INDEX {PG_INDEX} ALTER COLUMN 1 SET STATISTICS 10000",
)
POSTGRES_DROP = (f"DROP INDEX IF EXISTS {PG_INDEX}",)


def is_index_table(name: str) -> bool:
    """The FTS5 table and its shadow tables (feedback_fts_data, …): not in the models, made by the migration."""
    return name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")


class TermsMatch(ColumnElement[bool]):
    """`feedback` holds every term of the query (see the module's docstring)."""

    type = Boolean()
    inherit_cache = False  # the query text is part of the SQL on SQLite's MATCH and PostgreSQL's tsquery

    def __init__(self, query: cjk.Query) -> None:
        self.query = query


def tsquery(query: cjk.Query) -> str:
    """PostgreSQL tsquery text: 'a' & 'b' & 'iphone':* (terms hold only letters and digits, never quotes)."""
    return " & ".join([f"'{t}'" for t in query.exact] + [f"'{p}':*" for p in query.prefixes])


def fts_match(query: cjk.Query) -> str:
    """SQLite FTS5 query text: "a" "b" "iphone"* (implicit AND)."""
    return " ".join([f'"{t}"' for t in query.exact] + [f'"{p}"*' for p in query.prefixes])


@compiles(TermsMatch, "postgresql")
def _postgres(element: TermsMatch, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(Feedback.__table__.c.search_terms, **kw)
    value = compiler.process(literal(tsquery(element.query)), **kw)
    return f"array_to_tsvector(string_to_array({column}, ' ')) @@ CAST({value} AS tsquery)"


@compiles(TermsMatch, "sqlite")
def _sqlite(element: TermsMatch, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(literal(fts_match(element.query)), **kw)
    return f"feedback.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {value})"


def matches(q: str) -> ColumnElement[bool]:
    """The condition "the content contains q" for the inbox filter `q`."""
    query = cjk.query_terms(q)
    if query:
        return TermsMatch(query)
    # Nothing to look up (only punctuation or spaces, e.g. "？"): the substring scan is the only honest answer,
    # and such queries are rare.
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Feedback.content.like(f"%{escaped}%", escape="\\")


def ensure_index(engine: Engine) -> bool:
    """Re-create the search index where something dropped it; True when it had to.

    SQLite loses the FTS5 triggers when a later migration rebuilds the feedback table (batch "move and copy")
    and rowids may change: then the table and triggers are made again and the index rebuilt from
    search_terms. PostgreSQL drops an expression index with a column it reads. Runs at every start (cheap)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            found = conn.scalar(text("SELECT 1 FROM pg_indexes WHERE indexname = :n"), {"n": PG_INDEX})
            if found:
                return False
            for statement in POSTGRES_DDL:
                conn.execute(text(statement))
            return True
        names = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE name LIKE 'feedback_fts%'")))
        if {FTS_TABLE, f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au"} <= names:
            return False
        for statement in (*SQLITE_DROP, *SQLITE_DDL, SQLITE_REBUILD):
            conn.execute(text(statement))
        return True
