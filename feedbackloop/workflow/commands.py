"""CLI: `feedbackloop mail-listen` (inbound SMTP) and `feedbackloop sla` (run the sweep, show policies)."""

from __future__ import annotations

import time

import click

from feedbackloop.cli_support import echo_json, handle_errors, table


def _prepare() -> None:
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.tasks import load_task_modules

    prepare_database(get_settings())
    load_task_modules()


@click.command("mail-listen")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, default=2525, show_default=True)
@handle_errors
def mail_listen(host: str, port: int) -> None:
    """Receive customer mail over SMTP: new mail becomes feedback, answers thread onto their item."""
    from aiosmtpd.controller import Controller

    from feedbackloop.workflow.mail import InboundHandler

    _prepare()
    controller = Controller(InboundHandler(), hostname=host, port=port)
    controller.start()
    click.echo(f"收信服务已启动 / listening for mail on {host}:{port} (Ctrl+C 结束)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@click.group("sla")
def sla_group() -> None:
    """SLA policies and the SLA sweep."""


@sla_group.command("sweep")
@handle_errors
def sla_sweep() -> None:
    """Run one SLA sweep now: reminders, breaches and escalations, follow-ups."""
    from feedbackloop.workflow.tasks import run_sweep

    _prepare()
    echo_json(run_sweep())


@sla_group.command("policies")
@handle_errors
def sla_policies() -> None:
    """Print the SLA policy of each priority."""
    from feedbackloop.db import session_scope
    from feedbackloop.workflow import sla

    _prepare()
    with session_scope() as session:
        rows = [[p.priority, f"首次响应 {p.first_response_minutes} 分钟", f"解决 {p.resolution_minutes} 分钟",
                 "工作时间" if p.business_hours else "全天候", p.name] for p in sla.policies(session).values()]  # fmt: skip
        for line in table(rows, indent="", gap=" · "):
            click.echo(line)
