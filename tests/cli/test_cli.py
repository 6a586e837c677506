"""The `tocsin` command, run in-process against a real database."""

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import typer
from typer._click.core import Command, Context
from typer.core import TyperGroup
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.cli.banner import checks_banner
from tocsin.cli.common import load_settings
from tocsin.cli.serving import print_banner
from tocsin.domain.checks import Action, CheckState
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period


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


def words(output: str) -> str:
    """The output with its line breaks undone: rich wraps long lines at the width."""
    return " ".join(output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "90"], "invalid duration '90': a unit is required, like 90s, 90m"),
        (["--grace", "30"], "invalid duration '30': a unit is required"),
        (["--period", "1h", "--tz", "Europe/Berlin"], "--tz is the time zone of a --cron"),
        (["--tz", "Europe/Berlin"], "--tz is the time zone of a --cron"),
        (["--name", ""], "a check needs a name people recognise"),
        (["--name", "   "], "a check needs a name people recognise"),
        ([], "a check needs a name people recognise"),
    ],
)
def test_create_refuses_what_it_would_otherwise_guess_or_ignore(
    cli: CliRunner, args: list[str], message: str
) -> None:
    result = cli.invoke(app, ["check", "create", *args])
    assert (result.exit_code, result.output.startswith("error: ")) == (2, True), result.output
    assert message in words(result.output)
    assert run_json(cli, "check", "list") == []


def test_a_check_on_a_period_of_a_day_gets_a_hint_to_use_a_schedule(cli: CliRunner) -> None:
    created = words(run_ok(cli, "check", "create", "--name", "db backup", "--period", "1d"))
    assert "Hint: a job that runs every 1d is better watched with a schedule" in created
    assert "--cron '0 2 * * *' --tz Europe/Berlin" in created
    listed = words(run_ok(cli, "check", "list"))
    assert "Hint: 'db backup' runs on a period of a day or more" in listed


@pytest.mark.parametrize(
    "schedule", [["--period", "15m"], ["--cron", "0 2 * * *", "--tz", "Europe/Berlin"]]
)
def test_a_check_on_a_short_period_or_a_schedule_gets_no_hint(
    cli: CliRunner, schedule: list[str]
) -> None:
    assert "Hint" not in run_ok(cli, "check", "create", "--name", "job", *schedule)
    assert "Hint" not in run_ok(cli, "check", "list")


def test_the_list_hint_names_three_checks_and_counts_the_rest(cli: CliRunner) -> None:
    for n in range(5):
        run_ok(cli, "check", "create", "--name", f"job {n}", "--period", "1w")
    listed = words(run_ok(cli, "check", "list"))
    assert "Hint: 'job 0', 'job 1', 'job 2' and 2 more run on a period of a day" in listed


def command_paths(command: Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's words, the lazily loaded groups' included."""
    found = [path]
    if isinstance(command, TyperGroup):
        ctx = Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            found += command_paths(sub, (*path, name))
    return found


TYPE_TAGS = re.compile(r"<(str|bool|int|float|Path|datetime|list\[\w+\])>")


def test_no_help_screen_shows_a_python_type_name(cli: CliRunner) -> None:
    paths = command_paths(typer.main.get_command(app))
    assert ("check", "create") in paths
    for path in paths:
        result = cli.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert not TYPE_TAGS.search(result.output), (path, result.output)
    create = words(cli.invoke(app, ["check", "create", "--help"]).output)
    assert "--period DURATION" in create
    assert "--name NAME" in create
    assert "--json Print JSON" in create  # a flag takes no value


@pytest.mark.parametrize(
    ("count", "first_line", "last_line"),
    [
        (1, "1 check. Ping URLs:", "  job 0: https://t.example/ping/"),
        (5, "5 checks. Ping URLs:", "  job 4: https://t.example/ping/"),
        (21, "21 checks. Ping URLs:", "  and 16 more: tocsin check list"),
    ],
)
def test_the_banner_counts_checks_and_says_how_many_it_does_not_list(
    count: int, first_line: str, last_line: str
) -> None:
    records = [fake_record(f"job {n}") for n in range(count)]
    lines = checks_banner(records, "https://t.example", "tocsin").splitlines()
    assert lines[0] == first_line
    assert lines[-1].startswith(last_line)
    assert len(lines) == 1 + min(count, 5) + (count > 5)


def test_the_banner_without_checks_suggests_a_schedule() -> None:
    text = checks_banner([], "https://t.example", "tocsin")
    assert "tocsin check create --name 'db backup' --cron '0 2 * * *'" in text
    assert "--period" not in text


def fake_record(name: str) -> CheckRecord:
    return CheckRecord(
        id=1,
        project_id=1,
        uuid=uuid.uuid4(),
        token="t",
        name=name,
        slug="",
        tags="",
        description="",
        n_pings=0,
        created=datetime(2026, 1, 1, tzinfo=UTC),
        alert_after=None,
        state=CheckState(schedule=Period(timedelta(days=1)), grace=timedelta(hours=1)),
    )


def test_serve_prints_the_banner_with_the_checks_it_has(
    cli: CliRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(6):
        run_ok(cli, "check", "create", "--name", f"job {n}", "--period", "1h")
    capsys.readouterr()
    asyncio.run(print_banner(load_settings()))
    printed = capsys.readouterr().out
    assert "6 checks. Ping URLs:" in printed
    assert "  job 4: https://tocsin.example/ping/" in printed
    assert "job 5" not in printed
    assert "  and 1 more: tocsin check list" in printed
