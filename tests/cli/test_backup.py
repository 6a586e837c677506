"""`tocsin backup`: its refusals, in one line each, and PostgreSQL's pointer to pg_dump."""

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_ok
from tocsin.cli import app


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command against a migrated SQLite database of its own."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'tocsin.db'}")
    cli = CliRunner()
    run_ok(cli, "migrate")
    return cli


def refusal(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return result.output


def test_it_writes_a_copy_only_its_owner_can_read(sqlite_cli: CliRunner, tmp_path: Path) -> None:
    output = run_ok(sqlite_cli, "backup", str(tmp_path / "copy.db"))
    assert f"Backed up {tmp_path / 'tocsin.db'} to {tmp_path / 'copy.db'}" in output
    assert (tmp_path / "copy.db").stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_it_replaces_a_file_only_when_forced(sqlite_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "copy.db").write_text("yesterday's")
    output = refusal(sqlite_cli, "backup", str(tmp_path / "copy.db"))
    assert f"error: {tmp_path / 'copy.db'} already exists; pass --force to replace it" in output
    assert (tmp_path / "copy.db").read_text() == "yesterday's"
    run_ok(sqlite_cli, "backup", str(tmp_path / "copy.db"), "--force")
    assert (tmp_path / "copy.db").read_bytes().startswith(b"SQLite format 3\x00")


def test_it_names_a_directory_that_does_not_exist(sqlite_cli: CliRunner, tmp_path: Path) -> None:
    output = refusal(sqlite_cli, "backup", str(tmp_path / "nightly" / "copy.db"))
    assert f"the directory {tmp_path / 'nightly'} does not exist" in output


def test_it_will_not_write_over_the_database(sqlite_cli: CliRunner, tmp_path: Path) -> None:
    output = refusal(sqlite_cli, "backup", str(tmp_path / "tocsin.db"), "--force")
    assert "is the database itself" in output


def test_it_creates_no_database_where_there_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'typo.db'}")
    output = refusal(CliRunner(), "backup", str(tmp_path / "copy.db"))
    assert f"there is no SQLite database at {tmp_path / 'typo.db'}" in output
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_on_postgresql_it_gives_the_pg_dump_command_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", "postgresql://tocsin:s3cret@db:5433/tocsin")
    output = refusal(CliRunner(), "backup", str(tmp_path / "tocsin.dump"))
    assert (
        f"pg_dump --format=custom --file={tmp_path / 'tocsin.dump'} "
        "postgresql://tocsin@db:5433/tocsin"
    ) in output
    assert "s3cret" not in output
