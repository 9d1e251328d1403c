"""Shared fixtures: a real database per test worker (SQLite, or PostgreSQL when
FEEDBACKLOOP_TEST_DATABASE_URL names one), an app client, tokens and factories."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_TMP = Path(tempfile.mkdtemp(prefix=f"fltest-{_WORKER}-"))
ADMIN_PASSWORD = "admin-pass-123"  # auth_helpers reads it back from the environment set below


def _database_url() -> str:
    base = os.environ.get("FEEDBACKLOOP_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{_TMP / 'test.db'}"
    # One database per xdist worker so that workers never see each other's rows.
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_{_WORKER}"
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


os.environ.update(
    FEEDBACKLOOP_DATABASE_URL=_database_url(),
    FEEDBACKLOOP_VAR_DIR=str(_TMP),
    FEEDBACKLOOP_QUEUE_IMMEDIATE="true",
    FEEDBACKLOOP_RUN_CONSUMER_IN_PROCESS="false",
    FEEDBACKLOOP_ADMIN_PASSWORD=ADMIN_PASSWORD,
    FEEDBACKLOOP_SECRET_KEY="test-secret",
    FEEDBACKLOOP_PUBLIC_RATE_LIMIT_PER_MINUTE="1000",
    FEEDBACKLOOP_LOGIN_FAILURES_PER_MINUTE="1000",
)

import pytest  # noqa: E402
from auth_helpers import token_for  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from feedbackloop.bootstrap import prepare_database  # noqa: E402
from feedbackloop.config import get_settings  # noqa: E402
from feedbackloop.db import get_engine, get_read_sessionmaker  # noqa: E402
from feedbackloop.lib.clock import clock  # noqa: E402
from feedbackloop.models import Base  # noqa: E402
from feedbackloop.tasks import load_task_modules  # noqa: E402
from feedbackloop.web import ratelimit  # noqa: E402

load_task_modules()  # as every entry point does: tasks and hooks (e.g. the daily survey rows) registered

IS_POSTGRES = os.environ["FEEDBACKLOOP_DATABASE_URL"].startswith("postgresql")


def _wipe() -> None:
    with get_engine().begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _one_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test counts its requests inside one rate-limit minute: a test that spends a budget and then
    expects 429 must not pass or fail by whether the wall clock crossed a minute meanwhile."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)


@pytest.fixture(autouse=True)
def _count_items_afresh() -> None:
    """Each test starts without a remembered 'every item is counted' (insight.daily.KEYED_RECHECK)."""
    from feedbackloop.insight import daily

    daily._keyed_seen.clear()


@pytest.fixture(scope="session")
def _schema() -> None:
    prepare_database(get_settings())


@pytest.fixture
def db(_schema: None) -> Iterator[Session]:
    """A clean database with only the admin user, and a session on it."""
    _wipe()
    prepare_database(get_settings())
    ratelimit.reset()
    clock.reset()
    session = get_read_sessionmaker()()
    yield session
    session.close()
    clock.reset()


@pytest.fixture(scope="session")
def _app(_schema: None):  # type: ignore[no-untyped-def]
    from feedbackloop.web.app import create_app

    return create_app()


@pytest.fixture
def client(_app, db: Session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(_app) as c:
        yield c


@pytest.fixture
def admin_headers(client: TestClient) -> dict[str, str]:
    return token_for(client)


@pytest.fixture
def make_user(db: Session):  # type: ignore[no-untyped-def]
    """Factory: make_user("agent") → (username, password)."""
    from feedbackloop.accounts.services import create_user
    from feedbackloop.db import begin_write

    counter = iter(range(10_000))

    def _make(role: str = "agent", **fields: object) -> tuple[str, str]:
        name = f"{role}{next(counter)}"
        begin_write(db)  # as a route's writer session would: `db` may hold a read snapshot older than a request's write
        create_user(db, name, "password-123", role=role, **fields)
        db.commit()
        return name, "password-123"

    return _make


@pytest.fixture
def make_feedback(db: Session):  # type: ignore[no-untyped-def]
    """Factory: make_feedback(content=..., **overrides) → the stored Feedback record."""
    from feedbackloop.feedback import services
    from feedbackloop.feedback.schemas import FeedbackCreate

    def _make(**overrides: object):  # type: ignore[no-untyped-def]
        fields: dict[str, object] = {"content": "房间很干净, 但是早餐很差", "channel": "api"}
        fields.update(overrides)
        record, _ = services.create_one(db, FeedbackCreate(**fields))  # type: ignore[arg-type]
        return record

    return _make


CHROMIUM_ARGS = [  # Debian's Chromium as root, headless, with no background traffic to the closed network
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def live_server(_schema: None) -> Iterator[str]:
    """create_app() served by uvicorn on a free localhost port, on the test database."""
    import socket
    import threading
    import time

    import uvicorn

    from feedbackloop.web.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (no downloaded browsers)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
