"""`tocsin check list` by the launcher's lane prints exactly what the Typer command
prints: every argument list, every database, every mistake, byte for byte."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tocsin.launcher import CHECK_LISTS

# Each road as the installed `tocsin` script runs it; the Typer command without the launcher.
SCRIPT = "import sys; from {} import main; sys.argv = ['tocsin', *sys.argv[1:]]; main()"
LAUNCHER = SCRIPT.format("tocsin.launcher")
TYPER = SCRIPT.format("tocsin.cli")

# The lane's argument lists, and others it must leave to the Typer command.
ARGUMENTS = [
    *[list(arguments) for arguments in CHECK_LISTS],
    ["check", "list", "--help"],
    ["check", "list", "--bogus"],
    ["check", "list", "--json", "--json"],
    ["check", "list", "extra"],
]


def both_roads(arguments: list[str], env: dict[str, str]) -> list[tuple[int, str, str]]:
    """(exit status, stdout, stderr) by the launcher and by the Typer command."""
    found = []
    for script in (LAUNCHER, TYPER):
        run = subprocess.run(
            [sys.executable, "-c", script, *arguments],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        found.append((run.returncode, run.stdout, run.stderr))
    return found


def environment(directory: Path, database_url: str) -> dict[str, str]:
    return {
        "TOCSIN_CONFIG": "",
        "TOCSIN_DATABASE_URL": database_url,
        "XDG_DATA_HOME": str(directory / "share"),
        "XDG_CONFIG_HOME": str(directory / "config"),
    }


def tocsin(env: dict[str, str], *arguments: str) -> None:
    command = [sys.executable, "-m", "tocsin", *arguments]
    subprocess.run(command, env={**os.environ, **env}, check=True, capture_output=True)


def add_checks(env: dict[str, str]) -> None:
    """Checks whose rows print the same at any moment: none has been pinged."""
    tocsin(env, "check", "create", "--name", "hourly", "--period", "1h")
    tocsin(env, "check", "create", "--name", "nightly", "--cron", "0 2 * * *", "--tz", "UTC")
    for n in range(4):  # a period of a day or more: the hint, with "and 1 more"
        tocsin(env, "check", "create", "--name", f"daily {n}", "--period", "2d")
    tocsin(env, "check", "pause", "hourly")


def test_on_sqlite_both_roads_print_the_same_for_every_argument_list(tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'tocsin.db'}")
    tocsin(env, "migrate")
    for arguments in ARGUMENTS:
        lane, typer = both_roads(arguments, env)
        assert lane == typer, arguments
    assert both_roads(["check", "list"], env)[0][1].startswith("No checks yet")
    add_checks(env)
    for arguments in ARGUMENTS:
        lane, typer = both_roads(arguments, env)
        assert lane == typer, arguments
    table = both_roads(["check", "list"], env)[0]
    assert table[0] == 0
    assert "daily 3" in table[1]
    assert "and 1 more" in table[1]


@pytest.mark.parametrize(
    "database",
    [
        "missing",  # no file: an error naming it, and no file made
        "empty",  # a file without Tocsin's schema
        "relative",  # a relative path in the environment: a configuration error
    ],
)
def test_databases_the_lane_leaves_alone_give_the_typer_commands_answer(
    tmp_path: Path, database: str
) -> None:
    path = tmp_path / "tocsin.db"
    if database == "empty":
        path.touch()
    url = "sqlite:///tocsin.db" if database == "relative" else f"sqlite:///{path}"
    env = environment(tmp_path, url)
    for arguments in ARGUMENTS[:2]:
        lane, typer = both_roads(arguments, env)
        assert lane == typer, arguments
        assert lane[0] != 0
        assert lane[2].startswith("error: ")
    assert path.exists() == (database == "empty")


def test_on_the_test_database_both_roads_print_the_same(database_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the launcher takes the Typer command; on SQLite, the lane."""
    env = environment(tmp_path, database_url)
    add_checks(env)
    for arguments in ARGUMENTS[:2]:
        lane, typer = both_roads(arguments, env)
        assert lane == typer, arguments
        assert lane[0] == 0
