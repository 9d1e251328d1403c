"""What every CLI command shares: errors as messages and exit codes, a progress bar, JSON output.

Feature `commands.py` modules import this; `cli.py` imports them to assemble the `feedbackloop` command."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from feedbackloop.errors import FeedbackLoopError
from feedbackloop.lib.columns import table  # every CLI table: columns by display width (Chinese counts 2)

__all__ = ["echo_json", "handle_errors", "progress_bar", "table"]


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


def progress_bar(console: Console | None = None, *, rows: bool = False) -> Progress:
    """A progress bar (description, bar, done/total, elapsed); rows=True adds a rows-per-second rate."""
    columns: list[str | ProgressColumn] = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    if rows:
        columns += [TextColumn("行 rows"), _RateColumn()]
    return Progress(*columns, TimeElapsedColumn(), console=console, transient=False)


class _RateColumn(ProgressColumn):
    """Rows per second; rich's own speed column shows bytes."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} 行/秒 rows/s" if speed else "")


def echo_json(data: Any, *, indent: int | None = None) -> None:
    """Print data as JSON with Chinese text left readable (not \\u-escaped); dates and the like as strings."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))
