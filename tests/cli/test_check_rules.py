"""`tocsin check create`, `edit` and `show` with rules on runs; `check list` showing a
threshold's count; `tocsin export` keeping the rules."""

import asyncio
import uuid
from pathlib import Path

from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.domain.checks import Action


def words(output: str) -> str:
    return " ".join(output.split())


def test_rules_are_set_on_create_changed_by_edit_and_shown(cli: CliRunner) -> None:
    run_ok(
        cli,
        "check",
        "create",
        "--name",
        "backup",
        "--min-duration",
        "5m",
        "--failure-threshold",
        "3",
    )
    shown = words(run_ok(cli, "check", "show", "backup"))
    assert "Min duration: 5m" in shown
    assert "Alert after 3 failures in a row; a run shorter than 5m counts as a failure." in shown
    run_ok(cli, "check", "edit", "backup", "--min-duration", "off", "--max-duration", "2h")
    rules = run_json(cli, "check", "show", "backup")["rules"]
    assert rules == {
        "min_duration": None,
        "max_duration": 7200.0,
        "min_interval": None,
        "interval_from": "successes",
        "failure_threshold": 3,
        "recovery_threshold": 1,
    }


def test_rules_that_cannot_hold_are_one_line_errors(cli: CliRunner) -> None:
    for args in (
        ["--failure-threshold", "0"],
        ["--min-duration", "10m", "--max-duration", "5m"],
        ["--interval-from", "sometimes"],
        ["--min-interval", "90"],
    ):
        result = cli.invoke(app, ["check", "create", "--name", "x", *args])
        assert result.exit_code != 0, result.output
        assert result.output.startswith("error: "), result.output
    assert run_json(cli, "check", "list") == []


def test_the_list_shows_a_count_under_the_threshold(cli: CliRunner, database_url: str) -> None:
    created = run_json(cli, "check", "create", "--name", "flaky", "--failure-threshold", "3")
    asyncio.run(send_pings(database_url, uuid.UUID(created["uuid"]), [Action.FAIL]))
    assert "failing (1 of 3)" in run_ok(cli, "check", "list")
    [listed] = run_json(cli, "check", "list")
    assert (listed["status"], listed["streak"]) == ("up", "failing (1 of 3)")


def test_export_keeps_the_rules_and_applying_it_changes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    run_ok(
        cli,
        "check",
        "create",
        "--name",
        "sync",
        "--min-interval",
        "1h",
        "--interval-from",
        "starts",
    )
    exported = run_ok(cli, "export")
    assert "runs:\n      min_interval: 1h\n      interval_from: starts\n" in exported
    path = tmp_path / "monitors.yaml"
    path.write_text(exported)
    applied = run_ok(cli, "apply", str(path))
    assert "0 to create, 0 to update, 0 to delete, 1 unchanged." in applied
