"""The `tocsin` command, run in-process against a real database."""

import asyncio
import uuid

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.domain.checks import Action


def test_create_prints_both_ping_urls(cli: CliRunner) -> None:
    output = run_ok(
        cli, "check", "create", "--name", "db backup", "--period", "1d", "--grace", "1h"
    )
    assert "Created check 'db backup' (every 1d, grace 1h)" in output
    assert "https://tocsin.example/ping/" in output
    assert "https://tocsin.example/api/v1/heartbeat/" in output


def test_create_with_cron_and_slug_gives_a_slug_url(cli: CliRunner) -> None:
    created = run_json(
        cli,
        "check",
        "create",
        "--name",
        "tokyo",
        "--cron",
        "0 2 * * *",
        "--tz",
        "Asia/Tokyo",
        "--grace",
        "30m",
        "--slug",
        "tokyo-job",
    )
    assert created["schedule"] == "cron 0 2 * * * (Asia/Tokyo)"
    assert created["grace"] == 1800
    assert created["ping_url"] == f"https://tocsin.example/ping/{created['uuid']}"
    assert created["slug_url"].startswith("https://tocsin.example/ping/")
    assert created["slug_url"].endswith("/tokyo-job")


def test_the_slug_follows_the_name_unless_one_is_given(cli: CliRunner) -> None:
    # As the APIs make it, so `tocsin run --check db-backup` finds "db backup".
    created = run_json(cli, "check", "create", "--name", "db backup")
    assert created["slug"] == "db-backup"
    assert created["slug_url"].endswith("/db-backup")
    assert run_json(cli, "check", "create", "--name", "x", "--slug", "y-1")["slug"] == "y-1"


def test_list_shows_each_check_with_its_status(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "alpha", "--period", "15m")
    run_ok(cli, "check", "create", "--name", "beta", "--period", "1h30m", "--grace", "0s")
    table = run_ok(cli, "check", "list")
    for expected in (
        "alpha",
        "every 15m",
        "beta",
        "every 1h30m, grace 0s",
        "new",
        "after the first ping",
    ):
        assert expected in table
    listed = run_json(cli, "check", "list")
    assert [(c["name"], c["status"]) for c in listed] == [("alpha", "new"), ("beta", "new")]


def test_pause_resume_and_delete_by_name_slug_or_uuid(cli: CliRunner) -> None:
    created = run_json(cli, "check", "create", "--name", "nightly", "--slug", "nightly-job")
    assert "Paused 'nightly'" in run_ok(cli, "check", "pause", "nightly")
    assert "was paused" in run_ok(cli, "check", "pause", "nightly-job")
    assert run_json(cli, "check", "list")[0]["status"] == "paused"
    assert "Resumed" in run_ok(cli, "check", "resume", created["uuid"])
    assert run_json(cli, "check", "list")[0]["status"] == "new"
    flips = run_json(cli, "check", "flips", "nightly")
    assert [(f["from"], f["to"], f["reason"]) for f in flips] == [
        ("paused", "new", "resumed"),
        ("new", "paused", "paused"),
    ]
    assert "Deleted 'nightly'" in run_ok(cli, "check", "delete", "nightly", "--yes")
    assert run_json(cli, "check", "list") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "create", "--period", "5x"], "invalid duration '5x'"),
        (["check", "create", "--period", "0s"], "period must be between 1s and"),
        (["check", "create", "--grace", "400d"], "grace must be between 0s and"),
        (["check", "create", "--cron", "0 2 * *"], "it needs 5 fields"),
        (["check", "create", "--cron", "61 * * * *"], "invalid cron expression"),
        (
            ["check", "create", "--cron", "0 2 * * *", "--tz", "Mars/Olympus"],
            "unknown time zone 'Mars/Olympus'",
        ),
        (["check", "create", "--cron", "0 2 * * *", "--period", "1d"], "not both"),
        (["check", "create", "--slug", "Has Spaces"], "invalid slug"),
        (["check", "pause", "no-such-check"], "no check matches 'no-such-check'"),
        (["check", "resume", "no-such-check"], "no check matches"),
        (["check", "flips", "no-such-check"], "no check matches"),
    ],
)
def test_mistakes_get_one_line_errors_and_exit_status_2(
    cli: CliRunner, args: list[str], message: str
) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: ")


def test_resuming_a_check_that_is_not_paused_is_an_error(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "busy")
    result = cli.invoke(app, ["check", "resume", "busy"])
    assert (result.exit_code, result.output) == (2, "error: check 'busy' is not paused\n")


def test_two_checks_with_one_name_must_be_named_by_uuid(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "twin")
    run_ok(cli, "check", "create", "--name", "twin")
    result = cli.invoke(app, ["check", "pause", "twin"])
    assert result.exit_code == 2
    # Their slugs, made from the name, are the same too.
    assert "2 checks have the slug 'twin'; use a uuid" in result.output


def test_bad_configuration_names_the_variable(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", "mysql://nope")
    result = cli.invoke(app, ["check", "list"])
    assert result.exit_code == 2
    assert "TOCSIN_DATABASE_URL" in result.output


def test_pings_lists_the_newest_pings_first(cli: CliRunner, database_url: str) -> None:
    created = run_json(cli, "check", "create", "--name", "logged")
    assert "No pings yet." in run_ok(cli, "check", "pings", "logged")
    asyncio.run(send_pings(database_url, uuid.UUID(created["uuid"]), [Action.START, Action.FAIL]))
    pings = run_json(cli, "check", "pings", "logged")
    assert [(p["n"], p["kind"]) for p in pings] == [(2, "fail"), (1, "start")]
    assert "fail" in run_ok(cli, "check", "pings", "logged", "--limit", "1")
    assert run_json(cli, "check", "list")[0]["status"] == "down"
