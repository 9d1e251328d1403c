"""The `feedbackloop` command: assembles the features' command groups; shared helpers are in cli_support.

Only the process commands live here (serve, worker); each feature defines its own in its commands.py."""

from __future__ import annotations

import os

import click

from feedbackloop.accounts.commands import createuser
from feedbackloop.audit.commands import audit_group
from feedbackloop.cli_support import handle_errors
from feedbackloop.feedback.analysis_commands import COMMANDS as ANALYSIS_COMMANDS
from feedbackloop.feedback.commands import import_
from feedbackloop.insight.commands import report_cmd
from feedbackloop.ops.commands import backup_cmd, restore_cmd
from feedbackloop.privacy.commands import privacy_group
from feedbackloop.workflow.commands import mail_listen, sla_group


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

    from feedbackloop.config import get_settings
    from feedbackloop.web.app import create_app

    settings = get_settings()
    settings.port = port  # links default to this server's port, not a fixed 8000
    for problem in settings.base_url_problems():
        click.secho(f"警告: {problem}", fg="yellow", err=True)
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


# The feature command groups, each defined in its package's commands.py.
for command in (
    import_,
    *ANALYSIS_COMMANDS,
    createuser,
    audit_group,
    privacy_group,
    backup_cmd,
    restore_cmd,
    mail_listen,
    sla_group,
    report_cmd,
):
    main.add_command(command)

if __name__ == "__main__":
    main()
