"""First-start work shared by `serve`, the CLI and tests: migrate, create the admin, load demo data."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from feedbackloop.accounts import services as accounts
from feedbackloop.config import Settings
from feedbackloop.db import get_engine, session_scope
from feedbackloop.feedback import search
from feedbackloop.migrations import migrate

log = logging.getLogger(__name__)


BOOTSTRAP_LOCK = 0x46_4C_42_4F  # "FLBO": the advisory lock that serialises first-start work on PostgreSQL


@contextmanager
def _first_start_lock() -> Iterator[None]:
    """On PostgreSQL, one process at a time migrates and creates the admin: web nodes and workers of a
    cluster start together, and two migrating a fresh database at once fail on each other's tables.

    A transaction-level advisory lock, held by a transaction left open meanwhile, so that it also works
    behind PgBouncer in transaction pooling. SQLite serialises this work by its own write lock.
    """
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOOTSTRAP_LOCK})
        try:
            yield
        finally:
            conn.rollback()


# How long a starting process waits for a database that is restarting or not up yet before it gives up.
START_WAIT_SECONDS = 120.0


def prepare_database(settings: Settings, *, demo: bool = False, wait: float = START_WAIT_SECONDS) -> None:
    """Bring the schema up to date, create `admin` if missing, and load demo data if asked.

    A database that is restarting or not reachable yet (a cluster's processes start with it, or it restarts
    just then) is waited for, up to `wait` seconds, instead of the process exiting: a worker that died at
    start left its share of the work undone until someone restarted it."""
    from feedbackloop.web.dberrors import is_busy

    delay, deadline = 0.5, time.monotonic() + wait
    while True:
        try:
            _prepare(settings)
            break
        except Exception as exc:  # noqa: BLE001 - only "unreachable or busy right now" is waited for
            if not is_busy(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("数据库暂不可用，%.1f 秒后重试 / database unavailable (%s), retrying in %.1f s",
                        delay, str(getattr(exc, "orig", exc)).strip()[:200], delay)  # fmt: skip
            get_engine().dispose()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    if demo:
        from feedbackloop.feedback.demo import load_demo_if_empty

        load_demo_if_empty()


def _prepare(settings: Settings) -> None:
    with _first_start_lock():
        migrate(settings.resolved_database_url())
        if search.ensure_index(get_engine()):
            log.warning("搜索索引缺失，已重建 / the feedback search index was missing and has been rebuilt")
        with session_scope() as session:
            generated = accounts.ensure_admin(session, settings.admin_password)
    if generated:
        # Printed once, on the first start only: there is no other way to learn it.
        print(f"\n*** 已创建管理员 admin，初始密码 / admin password: {generated} ***\n", flush=True)
