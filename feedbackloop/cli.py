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
from feedbackloop.insight.commands import kpi_cmd, report_cmd
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
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True,
    help="uvicorn 工作进程数 / uvicorn worker processes on this host (they share the port)",
)  # fmt: skip
@handle_errors
def serve(host: str, port: int, demo: bool, workers: int) -> None:
    """Run the web UI and API (with the in-process task consumer on the embedded default)."""
    import uvicorn

    from feedbackloop.config import get_settings

    settings = get_settings()
    settings.port = port  # links default to this server's port, not a fixed 8000
    os.environ["FEEDBACKLOOP_PORT"] = str(port)  # and in worker processes, which read their own settings
    for problem in settings.base_url_problems():
        click.secho(f"警告: {problem}", fg="yellow", err=True)
    click.echo(f"FeedbackLoop → http://localhost:{port}  (admin 登录 / log in as admin)")
    if workers == 1:
        from feedbackloop.web.app import create_app

        uvicorn.run(create_app(demo=demo), host=host, port=port, log_level="info")
        return
    settings = get_settings()
    if not settings.secret_key:
        # Every process must sign cookies with the same key, or a session made by one is refused by another.
        import secrets

        os.environ["FEEDBACKLOOP_SECRET_KEY"] = secrets.token_urlsafe(32)
        click.echo("FEEDBACKLOOP_SECRET_KEY 未设置：本次启动的进程共用一个随机密钥 / one random key for these workers")
    if demo:
        os.environ["FEEDBACKLOOP_SERVE_DEMO"] = "1"
    # Migrate and create the admin once, before the workers start (they would otherwise race on it).
    from feedbackloop.bootstrap import prepare_database

    prepare_database(get_settings(), demo=demo)
    uvicorn.run(
        "feedbackloop.web.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
        log_level="info", timeout_worker_healthcheck=30,  # a busy host must not get its workers killed (5 s)
    )  # fmt: skip


@main.command()
@click.option("--workers", type=click.IntRange(1, 256), default=4, show_default=True)
@click.option(
    "--worker-type", type=click.Choice(["thread", "process"]), default="thread", show_default=True,
    help="线程或进程 / threads share one CPU core (the GIL); processes use one core each (analysis is CPU-bound)",
)  # fmt: skip
@click.option(
    "--metrics-port", type=int, default=None,
    help="在 127.0.0.1:PORT 提供 Prometheus 指标 / serve this worker's task metrics on 127.0.0.1:PORT",
)  # fmt: skip
def worker(workers: int, worker_type: str, metrics_port: int | None) -> None:
    """Run a task-queue worker process (production: several, on any machines sharing the queue)."""
    import logging

    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import get_engine
    from feedbackloop.ops.metrics import install_task_metrics
    from feedbackloop.tasks import POLLING, huey, load_task_modules

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    load_task_modules()
    prepare_database(get_settings())
    get_engine().dispose()  # forked worker processes must not share the parent's pooled connections
    install_task_metrics(huey)
    from feedbackloop.analysis import analyze

    analyze("预热模型 / warm-up")  # load the model now, not inside the first task (it holds its batch meanwhile)
    # Whatever the last run of this worker left unfinished (kill -9, a crash) is owed in the database:
    # look for it once the tasks other workers hold have had time to finish.
    from feedbackloop.tasks import reconcile_now

    try:
        reconcile_now.schedule(delay=get_settings().reconcile_after_seconds)
    except Exception as exc:  # noqa: BLE001 - the queue is down: the periodic reconciler covers it later
        click.echo(f"reconcile at start not scheduled: {exc}", err=True)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    consumer = huey.create_consumer(workers=workers, worker_type=worker_type, periodic=True, **POLLING)
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
    kpi_cmd,
):
    main.add_command(command)

if __name__ == "__main__":
    main()
