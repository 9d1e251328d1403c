"""The `feedbackloop` command: a thin layer that calls services and turns their errors into messages."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from feedbackloop.errors import FeedbackLoopError


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print a FeedbackLoopError as a clear message and exit 1, instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FeedbackLoopError as exc:
            click.secho(f"错误 / error: {exc.message}", fg="red", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="feedbackloop")
def main() -> None:
    """FeedbackLoop 客户反馈闭环系统 — customer-feedback handling."""
    # Every command runs the same pipeline as the web process: register the tasks and after-ingest hooks
    # (analysis, triage, audit) before any command can store an item.
    from feedbackloop.tasks import load_task_modules

    load_task_modules()


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "8000")), show_default="$PORT or 8000")
@click.option("--demo/--no-demo", default=False, help="首次启动时载入演示数据 / load demo data on first start")
@handle_errors
def serve(host: str, port: int, demo: bool) -> None:
    """Run the web UI and API (with the in-process task consumer on the embedded default)."""
    import uvicorn

    from feedbackloop.web.app import create_app

    click.echo(f"FeedbackLoop → http://localhost:{port}  (admin 登录 / log in as admin)")
    uvicorn.run(create_app(demo=demo), host=host, port=port, log_level="info")


@main.command()
@click.option("--workers", type=int, default=4, show_default=True)
def worker(workers: int) -> None:
    """Run a task-queue worker process (production: several, on any machines sharing the queue)."""
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.tasks import huey, load_task_modules

    load_task_modules()
    prepare_database(get_settings())
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@main.command("createuser")
@click.argument("username")
@click.option("--role", default="agent", show_default=True)
@click.password_option()
@handle_errors
def createuser(username: str, role: str, password: str) -> None:
    """Create a user with a role (agent, supervisor, product_manager, csm, analyst, admin)."""
    from feedbackloop.accounts.services import create_user
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import session_scope

    prepare_database(get_settings())
    with session_scope() as session:
        create_user(session, username, password, role=role)
    click.echo(f"已创建用户 {username} ({role}) / user created")


# Feature command groups register here, one line each.
def _register_feature_commands() -> None:
    from feedbackloop.feedback.commands import import_; main.add_command(import_)  # noqa: E702, I001
    from feedbackloop.audit.commands import audit_group; main.add_command(audit_group)  # noqa: E702, I001
    from feedbackloop.privacy.commands import privacy_group; main.add_command(privacy_group)  # noqa: E702, I001
    from feedbackloop.ops.commands import backup_cmd, restore_cmd; main.add_command(backup_cmd); main.add_command(restore_cmd)  # noqa: E702, I001, E501
    from feedbackloop.workflow.commands import mail_listen, sla_group; main.add_command(mail_listen); main.add_command(sla_group)  # noqa: E702, I001, E501
    from feedbackloop.feedback.analysis_commands import COMMANDS; [main.add_command(c) for c in COMMANDS]  # noqa: E702, I001
    from feedbackloop.reports.commands import report_cmd; main.add_command(report_cmd)  # noqa: E702, I001


_register_feature_commands()

if __name__ == "__main__":
    main()
