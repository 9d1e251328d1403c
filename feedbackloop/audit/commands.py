"""`feedbackloop audit verify|log`."""

from __future__ import annotations

import sys

import click

from feedbackloop.cli_support import handle_errors, table


@click.group("audit")
def audit_group() -> None:
    """审计日志 / the tamper-evident audit log."""


@audit_group.command("verify")
@handle_errors
def verify_cmd() -> None:
    """Check the hash chain and that every item has its creation entry; exit 1 and say what is wrong."""
    from feedbackloop.audit.services import verify
    from feedbackloop.db import session_scope

    with session_scope() as session:
        result = verify(session)
    if result.ok:
        click.echo(f"审计链完整，共 {result.checked} 条 / audit chain intact, {result.checked} entries")
        return
    if result.chain_ok:
        click.secho(f"哈希链未断开，共 {result.checked} 条，但有记录缺少审计条目 / chain unbroken, "
                    f"but records lack their audit entry", fg="red", err=True)  # fmt: skip
    else:
        click.secho(f"审计链在第 {result.broken_seq} 条断开：{result.reason} / audit chain broken at entry "
                    f"{result.broken_seq}", fg="red", err=True)  # fmt: skip
    for missing in result.unaudited:
        click.secho(missing.message, fg="red", err=True)
    sys.exit(1)


@audit_group.command("log")
@click.option("--entity", default=None)
@click.option("--entity-id", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@handle_errors
def log_cmd(entity: str | None, entity_id: str | None, limit: int) -> None:
    """Print the newest entries."""
    from feedbackloop.audit.services import entries
    from feedbackloop.db import session_scope

    with session_scope() as session:
        rows, _ = entries(session, entity=entity, entity_id=entity_id, per_page=limit)
        lines = table([[e.seq, f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, f"{e.entity}/{e.entity_id}"]
                       for e in rows], ">", indent="", gap=" ")  # fmt: skip
        for line in lines:
            click.echo(line)
