"""First-start work shared by `serve`, the CLI and tests: migrate, create the admin, load demo data."""

from __future__ import annotations

import logging

from feedbackloop.accounts import services as accounts
from feedbackloop.config import Settings
from feedbackloop.db import session_scope
from feedbackloop.migrations import migrate

log = logging.getLogger(__name__)


def prepare_database(settings: Settings, *, demo: bool = False) -> None:
    """Bring the schema up to date, create `admin` if missing, and load demo data if asked."""
    migrate(settings.resolved_database_url())
    with session_scope() as session:
        generated = accounts.ensure_admin(session, settings.admin_password)
    if generated:
        # Printed once, on the first start only: there is no other way to learn it.
        print(f"\n*** 已创建管理员 admin, 初始密码 / admin password: {generated} ***\n", flush=True)
    if demo:
        from feedbackloop.feedback.demo import load_demo_if_empty

        load_demo_if_empty()
