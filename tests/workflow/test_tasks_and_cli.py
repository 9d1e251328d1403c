"""Background work is registered with Huey (periodic sweep, alerts); tests/integration/test_entry_points.py
covers the hand-over intake → analysis → triage."""

from __future__ import annotations

from click.testing import CliRunner

from feedbackloop.cli import main
from feedbackloop.tasks import huey, load_task_modules


def test_the_consumer_knows_the_periodic_workflow_tasks() -> None:
    load_task_modules()
    periodic = {t.name for t in huey._registry.periodic_tasks}
    assert {"sla_sweep", "threshold_alerts", "reprioritise"} <= periodic


def test_the_commands_have_help() -> None:
    runner = CliRunner()
    for args in (["mail-listen", "--help"], ["sla", "--help"], ["sla", "sweep", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_sla_sweep_command_prints_counts(db) -> None:
    result = CliRunner().invoke(main, ["sla", "sweep"])
    assert result.exit_code == 0, result.output
    assert '"first_response_breached": 0' in result.output
