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
    base_url: str = "http://localhost:8000"
    smtp_host: str = "localhost"
    smtp_port: int = 8025
    mail_from: str = "service@feedbackloop.local"

    def xlsx_unpacked_limit(self) -> int:
        """Most bytes an XLSX upload may unpack to: the setting, or 10 × the upload limit capped at 512 MiB."""
        return self.xlsx_max_unpacked_bytes or min(10 * self.max_upload_bytes, 512 * 1024 * 1024)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / 'feedbackloop.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
