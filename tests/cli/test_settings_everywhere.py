"""One config file for every command: `tocsin config`, databases only `migrate` and
`serve` may create, and `tocsin channel test` with the mail settings of the file."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_ok
from tests.receivers import SmtpReceiver
from tocsin.cli import LAZY, app

MISSING = "no Tocsin database at"


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """The `tocsin` command with no database settings at all: the conftest's empty
    TOCSIN_CONFIG, and a data directory of the test's own."""
    for name in [n for n in os.environ if n.startswith("TOCSIN_") and n != "TOCSIN_CONFIG"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return CliRunner()


def configured(monkeypatch: pytest.MonkeyPatch, path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    monkeypatch.setenv("TOCSIN_CONFIG", str(path))
    return path


def run_fails(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")
    assert result.output.count("\n") == 1, result.output
    return result.output


# --- tocsin config ------------------------------------------------------------------------


def test_config_prints_each_setting_its_value_and_where_it_came_from(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "etc" / "smtp-password").parent.mkdir(parents=True)
    (tmp_path / "etc" / "smtp-password").write_text("hunter2\n")
    path = configured(
        monkeypatch,
        tmp_path / "etc" / "tocsin.toml",
        'database_url = "postgresql://tocsin:pg-secret@db/tocsin"\nport = 9000\n'
        'smtp_host = "mail.example"\nsmtp_password_file = "smtp-password"\n',
    )
    monkeypatch.setenv("TOCSIN_PORT", "9100")
    output = run_ok(bare, "config")
    lines = {line.split()[0]: line.split() for line in output.splitlines()[1:]}
    assert output.splitlines()[0] == f"Config file: {path}"
    assert lines["port"][1:] == ["9100", "TOCSIN_PORT"]
    assert lines["smtp_host"][1:] == ["mail.example", str(path)]
    assert lines["smtp_password"][1:] == ["********", str(path)]
    assert lines["database_url"][1:] == ["postgresql://tocsin:***@db/tocsin", str(path)]
    assert lines["log_level"][1:] == ["INFO", "default"]
    assert lines["secret_key"][1:] == ["(empty)", "default"]
    assert "hunter2" not in output
    assert "pg-secret" not in output


def test_config_without_a_file_says_so_and_shows_the_default_database(
    bare: CliRunner, tmp_path: Path
) -> None:
    output = run_ok(bare, "config")
    assert output.splitlines()[0] == "Config file: none (TOCSIN_CONFIG is set empty)"
    lines = {line.split()[0]: line.split()[1:] for line in output.splitlines()[1:]}
    assert lines["database_url"] == [f"sqlite:///{tmp_path}/share/tocsin/tocsin.db", "default"]


def test_a_mistake_in_the_config_file_stops_every_command_naming_file_and_key(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = configured(monkeypatch, tmp_path / "tocsin.toml", "prot = 9000\n")
    for command in (["config"], ["check", "list"], ["migrate"]):
        message = run_fails(bare, *command)
        assert message == (f"error: {path}: unknown setting 'prot' (did you mean 'port'?)\n"), (
            command
        )


# --- only migrate and serve create a database -------------------------------------------


def test_commands_refuse_a_database_that_does_not_exist_and_create_nothing(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "tocsin.db"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{target}")
    for command in (
        ["check", "list"],
        ["check", "create", "--name", "x"],
        ["channel", "list"],
        ["incident", "list"],
        ["key", "list"],
        ["export"],
    ):
        message = run_fails(bare, *command)
        assert message.startswith(f"error: {MISSING} {target}: create it with `tocsin migrate`")
    assert list(tmp_path.iterdir()) == []


def test_a_file_without_tocsins_schema_is_refused_not_migrated(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "other.db"
    with sqlite3.connect(target) as connection:
        connection.execute("CREATE TABLE mine (x)")
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{target}")
    message = run_fails(bare, "check", "list")
    assert message.startswith(f"error: {target} has no Tocsin schema: create it with")
    with sqlite3.connect(target) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        assert [name for (name,) in tables] == ["mine"]


def test_migrate_makes_the_default_data_directory_and_then_every_command_works(
    bare: CliRunner, tmp_path: Path
) -> None:
    assert MISSING in run_fails(bare, "check", "list")
    assert "Database is up to date." in run_ok(bare, "migrate")
    assert (tmp_path / "share" / "tocsin" / "tocsin.db").is_file()
    assert "No checks yet" in run_ok(bare, "check", "list")


def test_migrate_says_how_to_keep_the_database_earlier_versions_made_here(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = tmp_path / "repo" / "data" / "tocsin.db"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"")
    monkeypatch.chdir(tmp_path / "repo")
    output = run_ok(bare, "migrate")
    assert f'put database_url = "sqlite:///{old}" in the config file' in output
    assert f"uses {tmp_path}/share/tocsin/tocsin.db" in output
    assert "note:" not in run_ok(bare, "migrate")  # said once, when the new one is made


def test_migrate_refuses_a_configured_directory_that_does_not_exist(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configured(monkeypatch, tmp_path / "tocsin.toml", 'database_url = "sqlite:///dta/t.db"\n')
    message = run_fails(bare, "migrate")
    assert message.startswith(
        f"error: the directory of the database {tmp_path}/dta/t.db does not exist: create it"
    )
    assert not (tmp_path / "dta").exists()


def test_the_database_is_the_same_from_any_working_directory(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configured(monkeypatch, tmp_path / "etc" / "tocsin.toml", 'database_url = "sqlite:///t.db"\n')
    run_ok(bare, "migrate")
    run_ok(bare, "check", "create", "--name", "db backup", "--period", "1d")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert "db backup" in run_ok(bare, "check", "list")
    assert list(elsewhere.iterdir()) == []
    assert (tmp_path / "etc" / "t.db").is_file()


# --- channel test with the config file's mail settings -------------------------------------


def test_channel_test_sends_email_with_smtp_set_only_in_the_config_file(
    bare: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, smtp: SmtpReceiver
) -> None:
    configured(
        monkeypatch,
        tmp_path / "tocsin.toml",
        'database_url = "sqlite:///tocsin.db"\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {smtp.port}\nsmtp_security = "none"\nsmtp_from = "tocsin@example.com"\n',
    )
    run_ok(bare, "migrate")
    run_ok(bare, "channel", "add", "email", "--name", "ops", "--set", "to=ops@example.com")
    run_ok(bare, "channel", "test", "ops")
    give_up = time.monotonic() + 10
    while not smtp.mail and time.monotonic() < give_up:
        time.sleep(0.02)
    assert [(m.sender, m.recipients) for m in smtp.mail] == [
        ("tocsin@example.com", ["ops@example.com"])
    ]


# --- start-up: what a command loads ------------------------------------------------------------

SERVER_STACK = ("fastapi", "starlette", "uvicorn", "apprise", "alembic", "jinja2", "tocsin.server")


def modules_loaded_by(
    arguments: list[str], env: dict[str, str], entry: str = "tocsin.launcher"
) -> set[str]:
    """The modules a `tocsin` command imports, from a fresh interpreter; `entry`
    "tocsin.cli" for the Typer command without the launcher's lanes."""
    script = (
        "import sys\n"
        f"sys.argv = ['tocsin', *{arguments!r}]\n"
        f"from {entry} import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(run.stderr.split())


def test_check_list_loads_neither_the_server_nor_the_notification_stack(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path), "TOCSIN_DATABASE_URL": ""}
    subprocess.run(
        [sys.executable, "-m", "tocsin", "migrate"], env={**os.environ, **env}, check=True
    )
    # The Typer command (PostgreSQL's road, and SQLite's when the lane declines).
    loaded = modules_loaded_by(["check", "list"], env, entry="tocsin.cli")
    assert "tocsin.store.checks" in loaded
    assert [name for name in (*SERVER_STACK, "tocsin.notify") if name in loaded] == []


# What a command that only reads SQLite can do without: the services and the alerting
# behind them (writers' business), SQLAlchemy's asyncio extension and ORM (the
# synchronous read road), the PostgreSQL dialect, the cron describer, and the job
# client that `tocsin run` and `tocsin.monitor` use.
NOT_FOR_READING = (
    "tocsin.services.checks",
    "tocsin.alerts",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "aiosqlite",
    "sqlalchemy.dialects.postgresql",
    "asyncpg",
    "cron_descriptor",
    "tocsin.job.client",
)


def test_reading_sqlite_loads_no_services_asyncio_extension_or_postgresql(
    tmp_path: Path,
) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path), "TOCSIN_DATABASE_URL": ""}
    tocsin = [sys.executable, "-m", "tocsin"]
    subprocess.run([*tocsin, "migrate"], env={**os.environ, **env}, check=True)
    nightly = ["check", "create", "--name", "nightly", "--cron", "0 2 * * *"]
    subprocess.run([*tocsin, *nightly], env={**os.environ, **env}, check=True)
    for arguments in (
        ["check", "flips", "nightly"],
        ["check", "show", "nightly"],
        ["incident", "list"],
    ):
        loaded = modules_loaded_by(arguments, env)
        assert "tocsin.store.database" in loaded
        assert [name for name in NOT_FOR_READING if name in loaded] == [], arguments
    loaded = modules_loaded_by(["check", "list"], env, entry="tocsin.cli")
    assert "tocsin.store.database" in loaded
    assert [name for name in NOT_FOR_READING if name in loaded] == []


# What `tocsin check list` on an up-to-date SQLite database does without, on the
# launcher's lane (sqlite3, the settings, the table): besides all the above, Typer and
# Click, Pydantic, and SQLAlchemy itself.
NOT_FOR_THE_LANE = (*NOT_FOR_READING, "typer", "click", "pydantic", "sqlalchemy", "tocsin.cli")


def test_check_list_on_sqlite_takes_the_lane_without_typer_or_sqlalchemy(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path), "TOCSIN_DATABASE_URL": ""}
    tocsin = [sys.executable, "-m", "tocsin"]
    subprocess.run([*tocsin, "migrate"], env={**os.environ, **env}, check=True)
    nightly = ["check", "create", "--name", "nightly", "--cron", "0 2 * * *"]
    subprocess.run([*tocsin, *nightly], env={**os.environ, **env}, check=True)
    for arguments in (["check", "list"], ["check", "list", "--json"]):
        loaded = modules_loaded_by(arguments, env)
        assert {"tocsin.store.quickread", "tocsin.output.checks", "sqlite3"} <= loaded
        assert [name for name in NOT_FOR_THE_LANE if name in loaded] == [], arguments
    # Anything else goes to the Typer command, which reads on the synchronous road.
    loaded = modules_loaded_by(["check", "list", "--help"], env)
    assert "typer" in loaded


def test_help_and_config_do_not_even_load_sqlalchemy(tmp_path: Path) -> None:
    for arguments in (["--help"], ["config"]):
        loaded = modules_loaded_by(arguments, {"XDG_DATA_HOME": str(tmp_path)})
        assert "typer" in loaded
        assert [name for name in (*SERVER_STACK, "sqlalchemy") if name in loaded] == []


def test_the_help_listed_for_each_lazy_command_is_its_own(bare: CliRunner) -> None:
    for name, lazy in LAZY.items():
        command = lazy.load(name)
        assert command.help is not None
        assert command.help.strip().splitlines()[0] == lazy.help, name
