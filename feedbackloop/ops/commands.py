"""`feedbackloop backup OUT` and `feedbackloop restore IN`."""

from __future__ import annotations

from pathlib import Path

import click

from feedbackloop.cli_support import handle_errors


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def backup_cmd(out: Path) -> None:
    """Write the whole database and the attachments to the zip OUT."""
    from feedbackloop.bootstrap import prepare_database
    from feedbackloop.config import get_settings
    from feedbackloop.db import get_engine
    from feedbackloop.ops.backup import backup

    prepare_database(get_settings())
    manifest = backup(get_engine(), out)
    rows = sum(manifest["tables"].values())
    click.echo(f"已备份 {rows} 行，{manifest['attachments']} 个附件 → {out} / backup written")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@handle_errors
def restore_cmd(src: Path) -> None:
    """Restore the backup SRC into an empty database (set FEEDBACKLOOP_DATABASE_URL to it)."""
    from feedbackloop.config import get_settings
    from feedbackloop.db import get_engine
    from feedbackloop.migrations import migrate
    from feedbackloop.ops.backup import restore

    migrate(get_settings().resolved_database_url())
    manifest = restore(get_engine(), src)
    rows = sum(manifest["tables"].values())
    click.echo(f"已恢复 {rows} 行，{manifest['attachments']} 个附件 / restore done")
