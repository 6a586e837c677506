"""`tocsin check create --oncalendar`, repeated or with one expression a line; what
`check list` shows of such a check, and `tocsin export` keeping it."""

import asyncio
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.domain.checks import Action


def test_create_takes_repeated_oncalendar_options_in_a_zone(cli: CliRunner) -> None:
    created = run_json(
        cli,
        "check",
        "create",
        "--name",
        "backup",
        "--oncalendar",
        "Mon..Fri *-*-* 02:00",
        "--oncalendar",
        "Sat 04:00",
        "--tz",
        "Europe/Berlin",
    )
    assert created["schedule"] == "OnCalendar Mon..Fri *-*-* 02:00; Sat 04:00 (Europe/Berlin)"


def test_one_option_may_hold_several_lines(cli: CliRunner) -> None:
    created = run_json(cli, "check", "create", "--name", "b", "--oncalendar", "daily\nweekly")
    assert created["schedule"] == "OnCalendar daily; weekly (UTC)"


def test_the_list_shows_the_expressions(cli: CliRunner) -> None:
    output = run_ok(cli, "check", "create", "--name", "nightly", "--oncalendar", "*-*-* 02:30")
    assert "Created check 'nightly' (OnCalendar *-*-* 02:30 (UTC), grace 1h)" in output
    assert "Hint" not in output
    table = run_ok(cli, "check", "list")
    assert "OnCalendar *-*-* 02:30" in table
    assert "Hint" not in table
    (listed,) = run_json(cli, "check", "list")
    assert listed["schedule"] == "OnCalendar *-*-* 02:30 (UTC)"


def test_past_its_last_occurrence_the_list_says_never_and_its_json_null(
    cli: CliRunner, database_url: str
) -> None:
    created = run_json(cli, "check", "create", "--name", "y2k1", "--oncalendar", "2001-01-01")
    asyncio.run(send_pings(database_url, uuid.UUID(created["uuid"]), [Action.SUCCESS]))
    [listed] = run_json(cli, "check", "list")
    assert (listed["status"], listed["next_expected"]) == ("up", None)
    assert "never" in run_ok(cli, "check", "list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--oncalendar", "Mon 25:00"], "invalid OnCalendar expression 'Mon 25:00': Bad hour"),
        (["--oncalendar", "daily", "--cron", "0 2 * * *"], "give either --cron or --oncalendar"),
        (["--oncalendar", "daily", "--period", "1d"], "give either --period or --oncalendar"),
        (["--oncalendar", "daily", "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--oncalendar", "*-02-30"], "names no moment before 2200"),
        (["--oncalendar", "*-*-* 00:" + ",".join(map(str, range(40)))], "longer than 100"),
    ],
)
def test_mistakes_get_one_line_errors(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(app, ["check", "create", "--name", "x", *args])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert message in result.output


def test_export_keeps_the_expressions_and_applying_it_changes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    run_ok(
        cli,
        *("check", "create", "--name", "backup", "--slug", "backup", "--tz", "Asia/Tokyo"),
        *("--oncalendar", "Mon..Fri 02:00", "--oncalendar", "Sat 04:00"),
    )
    exported = tmp_path / "exported.yaml"
    run_ok(cli, "export", "--output", str(exported))
    text = exported.read_text()
    assert "    oncalendar:\n    - Mon..Fri 02:00\n    - Sat 04:00\n    tz: Asia/Tokyo\n" in text
    lines = run_ok(cli, "apply", str(exported), "--prune").splitlines()
    assert lines[-1] == "0 to create, 0 to update, 0 to delete, 1 unchanged."
    assert run_ok(cli, "export") == text
