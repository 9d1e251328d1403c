"""Settings read from the environment (prefix FEEDBACKLOOP_), with clear errors on bad values."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All configuration of one FeedbackLoop installation."""

    model_config = SettingsConfigDict(env_prefix="FEEDBACKLOOP_", extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; default a SQLite file in ./var/")
    var_dir: Path = Field(default=ROOT / "var")
    admin_password: str | None = None
    secret_key: str | None = None
    # Huey storage: "sqlite" (embedded, in-process consumer) or a redis:// URL for worker machines.
    queue_url: str = "sqlite"
    queue_immediate: bool = False
    run_consumer_in_process: bool = True
    # Owed work (an item not yet analysed or triaged) older than this that no task finished is queued again
    # by the reconciler (every minute, and on each worker's start after this long).
    reconcile_after_seconds: float = Field(default=120.0, gt=0, le=86400)
    # Shared state of several web nodes (public rate limits, sign-in throttle): a redis:// URL; empty = the
    # queue's Redis when the queue is on Redis, else per process.
    redis_url: str = ""
    # PostgreSQL connections per process: pool_size kept open, max_overflow more under load. Every web node,
    # uvicorn worker and task worker has its own pool: keep (processes × (pool + overflow)) under the
    # server's max_connections, or put PgBouncer in front (db_pgbouncer).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    db_pool_recycle_seconds: int = Field(default=1800, ge=0)
    # Behind PgBouncer in transaction mode: no server-side prepared statements and no per-connection startup
    # options (lock_timeout is set per transaction with SET LOCAL instead).
    db_pgbouncer: bool = False
    # How long a request waits for the database's write lock or a connection before it is answered 503.
    db_busy_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_upload_bytes: int = 50 * 1024 * 1024
    # An XLSX is a zip: these are checked on its directory before openpyxl unpacks anything, because a
    # 2 MB upload can unpack to GBs in memory (shared strings are held whole even in read-only mode).
    # 0 = 10 × max_upload_bytes, at most 512 MiB: ordinary workbooks unpack to 4–10 × their size.
    xlsx_max_unpacked_bytes: int = Field(default=0, ge=0)
    # Spreadsheet XML compresses about 5–30:1; a bomb of repeated characters about 1000:1.
    xlsx_max_ratio: int = Field(default=100, ge=1)
    # Members smaller than this are not ratio-checked (a tiny styles.xml of repeated tags may exceed it).
    xlsx_ratio_min_bytes: int = Field(default=1024 * 1024, ge=0)
    # openpyxl holds every shared string as a Python str (~100–200 bytes each): a workbook of tiny distinct
    # strings passes the size and ratio checks yet fills GBs. 1,000,000 strings stay under about 250 MB.
    xlsx_max_shared_strings: int = Field(default=1_000_000, ge=1)
    high_value_threshold: float = 5000.0
    public_rate_limit_per_minute: int = 20
    login_failures_per_minute: int = 10  # failed sign-ins per client and minute before 429
    # Idea board (ideas/): votes an idea needs to enter the product manager's priority queue; vote and
    # verification-code requests per client and minute (on top of the public limit).
    idea_vote_threshold: int = Field(default=50, ge=1)
    idea_votes_per_minute: int = Field(default=10, ge=1)
    base_url: str = "http://localhost:8000"
    smtp_host: str = "localhost"
    smtp_port: int = 8025
    mail_from: str = "service@feedbackloop.local"
    # Surveys (SPEC §7): nobody is surveyed again within the quiet period, across every channel and survey.
    survey_quiet_days: int = Field(default=30, ge=0, le=3650)
    survey_expiry_days: int = Field(default=14, ge=1, le=3650)

    def xlsx_unpacked_limit(self) -> int:
        """Most bytes an XLSX upload may unpack to: the setting, or 10 × the upload limit capped at 512 MiB."""
        return self.xlsx_max_unpacked_bytes or min(10 * self.max_upload_bytes, 512 * 1024 * 1024)

    def shared_redis_url(self) -> str | None:
        """Where state shared by every web node lives (Redis), or None (per process)."""
        if self.redis_url:
            return self.redis_url
        return self.queue_url if self.queue_url.startswith(("redis://", "rediss://")) else None

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / 'feedbackloop.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
