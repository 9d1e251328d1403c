"""Every CLI command and sub-command explains itself with --help."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from feedbackloop.cli import main


def _paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out += _paths(cmd, (*prefix, name))
    return out


@pytest.mark.parametrize("path", _paths(main), ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_the_fixed_commands_exist():
    for name in ("import", "analyze", "evaluate", "train", "serve", "report", "backup", "restore"):
        assert name in main.commands
