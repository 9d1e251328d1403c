"""Engine, sessions and the declarative base shared by every feature's models."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, sessionmaker
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

from feedbackloop.config import get_settings
from feedbackloop.errors import DatabaseBusy

BUSY_MESSAGE = "数据库繁忙，请稍后重试 / the database is busy, please retry in a few seconds"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned timezone-aware, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, busy_timeout: float = 30.0) -> Engine:
    """An engine configured for concurrent use on SQLite (WAL, busy timeout) or PostgreSQL.

    `busy_timeout` (seconds) bounds every wait for a lock or a pooled connection: past it the operation fails
    (DatabaseBusy, or the driver's lock error) and the request is answered 503 instead of hanging.
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # a fresh VAR_DIR, say
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            # The feedback table carries many indexes; SQLite's default 2 MB page cache makes every insert
            # re-read index pages once the table outgrows it (imports slowed from 4,800 to 3,400 rows/s).
            # No mmap: mapped pages count towards the process's memory, which then grew with the database
            # (an import's peak went from 197 MB at 50k rows to 369 MB at 200k; without it, 224 MB).
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        # Emit BEGIN ourselves (SQLAlchemy's documented pysqlite recipe) so that a unit of work that reads
        # and then writes can take the write lock up front; see begin_write().
        @event.listens_for(engine, "connect")
        def _no_pysqlite_tx(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        # Writers of this process queue on a lock before asking SQLite: SQLite's own busy handler polls with
        # sleeps of up to 100 ms, which gave concurrent API writes a p99 of over a second.
        writer_lock = threading.Lock()  # not an RLock: a request may begin and commit on different threads

        @event.listens_for(engine, "begin")
        def _begin(conn):
            immediate = conn.get_execution_options().get("sqlite_immediate")
            if immediate:
                if not writer_lock.acquire(timeout=busy_timeout):
                    raise DatabaseBusy(BUSY_MESSAGE)
                conn.info["holds_writer_lock"] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except BaseException:
                _release(conn)
                raise

        def _release(conn):
            if conn.info.pop("holds_writer_lock", False):
                writer_lock.release()

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        return engine
    return _postgres_engine(url, busy_timeout)


def _postgres_engine(url: str, busy_timeout: float, pool: tuple[int, int] | None = None) -> Engine:
    """PostgreSQL with a bounded pool (sizes from the settings) and bounded lock waits.

    Nothing per-connection survives a transaction, so the engine works behind PgBouncer in transaction
    pooling: with `db_pgbouncer` psycopg prepares no statements server-side and lock_timeout is set by
    `SET LOCAL` at each BEGIN instead of as a startup option (which PgBouncer refuses).
    """
    settings = get_settings()
    lock_ms = int(busy_timeout * 1000)
    connect_args: dict[str, Any] = {"connect_timeout": max(1, int(busy_timeout))}
    if settings.db_pgbouncer:
        connect_args["prepare_threshold"] = None
    else:
        # lock_timeout: a statement waiting on another transaction's lock fails (55P03), not waits for ever.
        connect_args["options"] = f"-c lock_timeout={lock_ms}"
    pool_size, max_overflow = pool or (settings.db_pool_size, settings.db_max_overflow)
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=max_overflow,
        pool_timeout=busy_timeout, pool_recycle=settings.db_pool_recycle_seconds or -1, connect_args=connect_args,
    )  # fmt: skip
    _ping_when_idle(engine)
    if settings.db_pgbouncer:

        @event.listens_for(engine, "begin")
        def _lock_timeout(conn):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_ms}")

    return engine


# A pooled connection idle for longer than this is tested with a round trip before it is handed out (a
# restarted or unreachable server is then noticed before the caller's statement, and the pool reconnects).
# Hot connections are not: under load a request takes a connection two or three times, and a ping each time
# cost a round trip per checkout. A hot connection broken by a restart fails its statement once (503), and
# that error invalidates the whole pool, so the next checkout connects afresh.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Pre-ping (SQLAlchemy's pessimistic disconnect handling), but only for connections idle for a while."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, proxy):
        idle_since = record.info.get("checked_in_at")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # the server went away: the pool replaces this connection and tries again
            raise DisconnectionError(str(exc)) from exc


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.resolved_database_url(), settings.db_busy_timeout_seconds)


_side_engines: dict[str, Engine] = {}
_side_lock = threading.Lock()


def side_engine(engine: Engine) -> Engine:
    """A small pool of its own beside `engine`'s (PostgreSQL), for short transactions that a caller runs while
    its own transaction stays open (id reservations): taking a second connection from the caller's pool could
    deadlock when every connection of it is held by a caller waiting for a second one."""
    url = engine.url.render_as_string(hide_password=False)
    with _side_lock:
        found = _side_engines.get(url)
        if found is None:
            found = _side_engines[url] = _postgres_engine(url, get_settings().db_busy_timeout_seconds, pool=(2, 6))
        return found


def engine_of(session: Session) -> Engine:
    """The engine a session writes through (its bind may be an engine or one of its connections)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def run_apart(session: Session, statement: Executable, params: dict[str, Any]) -> Any:
    """Run one counter-bumping statement (an UPDATE … RETURNING) and return its scalar (None: no row), committed at once
    in a short transaction of its own on PostgreSQL, so that the counter's row is locked for one statement
    rather than until the caller's transaction ends (concurrent writers took turns for their whole
    transactions). On SQLite inside the caller's transaction, which holds the only write lock anyway.

    The short transaction commits without waiting for its WAL flush. That is safe for counters whose values
    only matter once the caller commits: the caller's commit flushes the WAL up to its own record, which
    covers the counter's earlier one, so a crash loses a bump only while nothing committed uses it. A
    rolled-back caller leaves a gap, as a sequence does."""
    engine = engine_of(session)
    if engine.dialect.name != "postgresql":
        return session.execute(statement, params).scalar()
    with side_engine(engine).connect() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        value = conn.execute(statement, params).scalar()
        conn.commit()
    return value


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    """Sessions for units of work that write: on SQLite each transaction takes the write lock at BEGIN.

    SQLite (WAL) fails a transaction at once with "database is locked" when it read, another writer committed,
    and it then tries to write; background work commits often, so read-then-write must lock up front.
    """
    return sessionmaker(bind=get_engine().execution_options(sqlite_immediate=True), expire_on_commit=False)


@lru_cache
def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions for reading (GET requests, reports): never block writers; begin_write() upgrades one."""
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a writer.

    On SQLite a transaction that reads and later writes fails at once with "database is locked" if another
    writer committed in between; taking the write lock at BEGIN makes concurrent writers queue instead.
    PostgreSQL ignores the option. Ends (commits) any transaction the session had open.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})


def xact_lock(session: Session, key: int) -> None:
    """Hold a PostgreSQL transaction-level advisory lock on `key` until the session's transaction ends, so
    that writers which read and then rewrite the same derived rows take turns (READ COMMITTED alone lets two
    of them both delete and re-insert a day's rows). SQLite serialises writers by its own write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT many rows that all have the same keys, in the session's transaction, as Core's `insert()` would
    store them (Python-side column defaults for absent keys, each type's bind processing).

    On PostgreSQL through COPY: psycopg writes the rows in C, where SQLAlchemy's multi-row INSERT builds every
    parameter of every row in Python (that was half the web node's CPU time in a 1,000-item batch)."""
    if not rows:
        return
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        session.execute(table.insert(), list(rows))
        return
    dialect = bind.dialect
    keys = rows[0].keys()
    columns, fill = [], []
    for column in table.columns:
        present = column.key in keys
        if not present and column.default is None:
            continue  # NULL or the server's default, as an INSERT without the column gives
        default = column.default
        process = column.type._cached_bind_processor(dialect)  # noqa: SLF001 - the documented bind path
        columns.append(column.name)
        fill.append((column.key, present, default, process))
    names = ", ".join(f'"{name}"' for name in columns)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for key, present, default, process in fill:
                if present:
                    value = row[key]
                elif default.is_callable:  # type: ignore[union-attr]  # default is set when not present
                    value = default.arg(None)  # type: ignore[union-attr]
                else:
                    value = default.arg  # type: ignore[union-attr]
                values.append(process(value) if process is not None else value)
            copy.write_row(values)


COPY_FROM_ROWS = 20  # fewer rows: a plain INSERT (COPY's set-up costs more than it saves)


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed (0 where the driver cannot tell).

    The typed `Session.execute` answers a plain Result; DML statements get a CursorResult, which counts."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount or 0


def in_list(dialect: str, column: ColumnElement[Any] | QueryableAttribute[Any], name: str) -> ColumnElement[bool]:
    """`column IN <the list bound to parameter name>`, for lists of any length, in a statement built once.

    Bind the list with `list_value`. On SQLite it travels as one JSON text (`IN (SELECT value FROM
    json_each(:name))`), on PostgreSQL as one array (`= ANY(:name)`): no per-value parameters to build, and
    the statement's compiled form is reused whatever the length.
    """
    if dialect == "sqlite":
        listed = func.json_each(bindparam(name, type_=String())).table_valued("value")
        return column.in_(select(listed.c.value))
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def list_value(dialect: str, values: Iterable[Any]) -> Any:
    """The value to bind to an `in_list` parameter on this database."""
    return json.dumps(list(values), ensure_ascii=False) if dialect == "sqlite" else list(values)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_caches() -> None:
    """Forget the cached engine (tests and the CLI switch databases through the environment)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    with _side_lock:
        for side in _side_engines.values():
            side.dispose()
        _side_engines.clear()
    get_sessionmaker.cache_clear()
    get_read_sessionmaker.cache_clear()
    get_settings.cache_clear()
