"""`tocsin oncall`, run in-process against a real database."""

import asyncio
import shlex
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from typer.testing import CliRunner

from tests.helpers import T0, run_ok
from tests.test_readme_commands import ROOT
from tocsin.cli import app
from tocsin.config import Settings
from tocsin.store.database import Database
from tocsin.store.projects import default_project
from tocsin.store.users import add_membership, insert_user

README = (ROOT / "README.md").read_text()
README_COMMANDS = [
    line for line in README.splitlines() if line.startswith("tocsin oncall rotation Primary")
] + [line for line in README.splitlines() if line.startswith("tocsin oncall override Primary")]


def members(database_url: str, *emails: str) -> None:
    """People in the first project, as joining it by invitation leaves them."""

    def work(connection: sa.Connection) -> None:
        ours = default_project(connection, T0)
        for email in emails:
            user_id = insert_user(connection, email, "x", False, T0)
            add_membership(connection, user_id, ours, "member")

    async def run() -> None:
        database = Database(Settings.from_env({}, database_url=database_url))
        try:
            await database.write_with(work)
        finally:
            await database.close()

    asyncio.run(run())


def test_with_no_calendar_it_says_how_to_make_one(cli: CliRunner, database_url: str) -> None:
    assert "tocsin oncall create NAME" in run_ok(cli, "oncall")


def test_it_lists_who_is_on_call_now_and_next_and_warns_of_gaps(
    cli: CliRunner, database_url: str
) -> None:
    members(database_url, "day@example.com", "night@example.com")
    assert "(the project's default)" in run_ok(cli, "oncall", "create", "Ops")
    monday = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT09:00")
    run_ok(cli, "oncall", "rotation", "Ops", "--member", "day@example.com", "--starts", monday,
           "--zone", "Europe/Berlin", "--every", "1w", "--days", "mon-fri")  # fmt: skip
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT00:00")
    run_ok(cli, "oncall", "override", "Ops", "--member", "night@example.com", "--from", later,
           "--for", "2")  # fmt: skip
    output = run_ok(cli, "oncall")
    assert "Ops (default)" in output
    assert "https://tocsin.example/oncall/feed/" in output
    assert "day@example.com" in output or "nobody" in output
    assert "warning: Ops: nobody is on call" in output


def test_mistakes_are_one_line_errors(cli: CliRunner, database_url: str) -> None:
    members(database_url, "day@example.com")
    run_ok(cli, "oncall", "create", "Ops")
    cases = [
        (["rotation", "Nope", "--member", "day@example.com", "--starts", "2026-03-02T09:00"],
         "no calendar 'Nope'"),
        (["rotation", "Ops", "--member", "who@example.com", "--starts", "2026-03-02T09:00"],
         "who@example.com is not a member of this project"),
        (["rotation", "Ops", "--member", "day@example.com", "--starts", "soon"],
         "write a date and time"),
        (["rotation", "Ops", "--member", "day@example.com", "--starts", "2026-03-02T09:00",
          "--every", "1 month"], "write a number and h, d or w"),
        (["rotation", "Ops", "--member", "day@example.com", "--starts", "2026-03-02T09:00",
          "--hours", "nights"], "HH:MM-HH:MM"),
        (["override", "Ops", "--member", "day@example.com", "--from", "2026-03-02T09:00"],
         "give --to or --for"),
    ]  # fmt: skip
    for args, message in cases:
        result = cli.invoke(app, ["oncall", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output


def test_the_readmes_rotations_and_override_run_with_its_people(
    database_url: str, cli: CliRunner
) -> None:
    members(database_url, "alice@example.com", "bob@example.com", "carol@example.com")
    run_ok(cli, "oncall", "create", "Primary")
    for line in README_COMMANDS:
        assert line in README
        run_ok(cli, *shlex.split(line)[1:])
    output = run_ok(cli, "oncall")
    assert "Primary (default)" in output
