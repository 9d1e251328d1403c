"""PostgreSQL pool: a connection that died while idle in the pool (a server restart, a killed backend) is
noticed and replaced before the caller's statement."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from feedbackloop import db as dbmod
from feedbackloop.db import get_engine

pytestmark = pytest.mark.skipif(
    not get_engine().dialect.name == "postgresql", reason="the pool's ping is PostgreSQL's (SQLite has no server)"
)


def _backend_pid() -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_killed_while_idle_is_replaced_before_the_callers_statement(monkeypatch) -> None:
    get_engine().dispose()  # one connection in the pool: the next checkout is the one killed below
    first = _backend_pid()
    dsn = get_engine().url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as other:  # from outside the pool, as a restart would
        other.execute("SELECT pg_terminate_backend(%s)", (first,))
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection counts as idle
    assert _backend_pid() != first, "the dead connection was replaced, and no statement failed"
