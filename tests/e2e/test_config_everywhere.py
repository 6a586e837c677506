"""The server and the CLI on one config file, each run from a directory of its own: the
CLI finds the server's database wherever it runs, and a check it creates is pinged on
the running server."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Server, free_port, stop_server, wait_until_up


def environment(config: Path) -> dict[str, str]:
    """The test run's environment with no database settings: only the config file."""
    plain = {name: value for name, value in os.environ.items() if not name.startswith("TOCSIN_")}
    return {**plain, "TOCSIN_CONFIG": str(config)}


def tocsin(config: Path, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tocsin", *arguments],
        env=environment(config),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tocsin_json(config: Path, cwd: Path, *arguments: str) -> Any:
    run = tocsin(config, cwd, *arguments, "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "tocsin.toml"
    path.parent.mkdir()
    path.write_text(
        'database_url = "sqlite:///tocsin.db"\n'
        f"port = {free_port()}\n"
        'watcher_recheck = "100ms"\n'
        'sqlite_synchronous = "NORMAL"\n'
    )
    return path


def directory(tmp_path: Path, name: str) -> Path:
    made = tmp_path / name
    made.mkdir()
    return made


@pytest.fixture
def server(config: Path, tmp_path: Path) -> Iterator[Server]:
    log_path = tmp_path / "server.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tocsin", "serve"],
        env=environment(config),
        cwd=directory(tmp_path, "server-cwd"),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    port = config.read_text().split("port = ")[1].split()[0]
    database_url = f"sqlite:///{config.parent / 'tocsin.db'}"
    running = Server(f"http://127.0.0.1:{port}", database_url, process, log_path, log_file)
    wait_until_up(running, timeout=60)  # a loaded machine starts Python slowly
    yield running
    stop_server(running)


def test_before_the_server_made_it_the_cli_refuses_and_creates_nothing(
    config: Path, tmp_path: Path
) -> None:
    cwd = directory(tmp_path, "cli-cwd")
    run = tocsin(config, cwd, "check", "list")
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: no Tocsin database at {config.parent}/tocsin.db: ")
    assert sorted(p.name for p in config.parent.iterdir()) == ["tocsin.toml"]
    assert list(cwd.iterdir()) == []


def test_a_check_created_from_another_directory_is_pinged_on_the_running_server(
    config: Path, server: Server, tmp_path: Path
) -> None:
    created = tocsin_json(
        config, directory(tmp_path, "cli-a"), "check", "create", "--name", "db backup"
    )
    assert created["ping_url"].startswith(server.url + "/ping/")
    assert httpx.get(created["ping_url"], timeout=10).status_code == 200
    listed = tocsin_json(config, directory(tmp_path, "cli-b"), "check", "list")
    assert [(c["name"], c["status"]) for c in listed] == [("db backup", "up")]
    assert (config.parent / "tocsin.db").is_file()
    assert f"Database: {config.parent}/tocsin.db\n" in server.log()
    assert list((tmp_path / "server-cwd").iterdir()) == []
