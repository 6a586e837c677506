"""`tocsin maintenance`, `tocsin check snooze` and `tocsin incident snooze`, run
in-process against a real database."""

import asyncio
from uuid import UUID

from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.domain.checks import Action


def refused(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code != 0, result.output
    return result.output


def test_windows_are_added_listed_and_removed(cli: CliRunner, database_url: str) -> None:
    run_ok(cli, "check", "create", "--name", "db backup", "--tags", "nas")
    said = run_ok(cli, "maintenance", "add", "nightly", "--check", "db backup", "--days", "mon,tue",
                  "--from", "23:00", "--to", "01:00", "--tz", "Europe/Berlin")  # fmt: skip
    assert "Added maintenance window 1: nightly, check" in said
    run_ok(cli, "maintenance", "add", "NAS move", "--tag", "nas", "--start",
           "2030-01-31T02:00:00Z", "--end", "2030-01-31T04:00:00Z")  # fmt: skip
    run_ok(cli, "maintenance", "add", "freeze", "--days", "sat,sun", "--from", "00:00",
           "--to", "00:00")  # fmt: skip
    listed = run_json(cli, "maintenance", "list")
    assert [(w["name"], w["tag"], w["check_id"] is not None) for w in listed] == [
        ("nightly", None, True),
        ("NAS move", "nas", False),
        ("freeze", None, False),
    ]
    assert listed[0] | {"id": 0, "check_id": 0} == {
        "id": 0,
        "name": "nightly",
        "check_id": 0,
        "tag": None,
        "snooze": False,
        "created_by": "cli",
        "days": ["mon", "tue"],
        "from": "23:00",
        "to": "01:00",
        "tz": "Europe/Berlin",
    }
    assert listed[1]["starts_at"] == "2030-01-31T02:00:00+00:00"
    assert "Removed maintenance window 2 (NAS move)" in run_ok(cli, "maintenance", "remove", "2")
    assert "NAS move" not in run_ok(cli, "maintenance", "list")


def test_bad_windows_are_refused_in_one_line(cli: CliRunner, database_url: str) -> None:
    assert "needs --days" in refused(cli, "maintenance", "add", "x", "--days", "mon")
    assert "funday" in refused(
        cli, "maintenance", "add", "x", "--days", "funday", "--from", "1:00", "--to", "2:00"
    )
    assert "end after it starts" in refused(
        cli, "maintenance", "add", "x", "--start", "2030-01-01T02:00Z", "--end", "2030-01-01T01:00Z"
    )
    assert "no check 'nope'" in refused(
        cli, "maintenance", "add", "x", "--check", "nope", "--days", "mon", "--from", "01:00",
        "--to", "02:00",
    )  # fmt: skip
    assert "no maintenance window 9" in refused(cli, "maintenance", "remove", "9")


def test_a_check_is_snoozed_and_woken(cli: CliRunner, database_url: str) -> None:
    run_ok(cli, "check", "create", "--name", "db backup")
    assert "Snoozed 'db backup' until" in run_ok(cli, "check", "snooze", "db backup", "2h")
    [snooze] = run_json(cli, "maintenance", "list")
    assert (snooze["snooze"], snooze["name"]) == (True, "snooze")
    assert "is awake" in run_ok(cli, "check", "unsnooze", "db backup")
    assert run_json(cli, "maintenance", "list") == []
    assert "not snoozed" in refused(cli, "check", "unsnooze", "db backup")
    assert "between" in refused(cli, "check", "snooze", "db backup", "90d")


def test_an_incident_is_snoozed_with_a_timeline_line(cli: CliRunner, database_url: str) -> None:
    check = run_json(cli, "check", "create", "--name", "db backup")
    asyncio.run(send_pings(database_url, UUID(check["uuid"]), [Action.FAIL]))
    assert "Snoozed incident 1 for 2h" in run_ok(
        cli, "incident", "snooze", "1", "2h", "--by", "eve"
    )
    shown = run_ok(cli, "incident", "show", "1")
    assert "snoozed by eve: snoozed until" in shown
    assert "is awake" in run_ok(cli, "incident", "unsnooze", "1")
    assert "unsnoozed by cli: snooze ended" in run_ok(cli, "incident", "show", "1")
    assert "is not snoozed" in refused(cli, "incident", "unsnooze", "1")
    assert "no incident 5" in refused(cli, "incident", "snooze", "5", "2h")
