"""Test databases and servers.

`make test` runs the suite twice: TOCSIN_TEST_DATABASE=sqlite (a fresh file per test)
and =postgresql (one database, emptied before each test). Tests that touch no
database run only in the SQLite pass. Without a reachable PostgreSQL the second pass
skips with the reason, except under CI=true, where it fails.
"""

import asyncio
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from tests.postgres_cluster import PostgresCluster, cluster_problem
from tests.receivers import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver
from tocsin.config import Settings
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.migrate import migrate
from tocsin.store.tables import metadata

BACKEND = os.environ.get("TOCSIN_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "TOCSIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATABASE_FIXTURES = {
    "database_url",
    "database",
    "settings",
    "server",
    "module_server",
    "runner",
    "private_postgres",
}


# Every test, and every `tocsin` process a test starts, runs with no config file and
# with data and config directories of the run's own: never the developer's
# ~/.config/tocsin/tocsin.toml, /etc/tocsin/tocsin.toml or ~/.local/share/tocsin.
ISOLATED_HOME = Path(tempfile.mkdtemp(prefix="tocsin-tests-"))
ISOLATION = {
    "TOCSIN_CONFIG": "",
    "XDG_CONFIG_HOME": str(ISOLATED_HOME / "config"),
    "XDG_DATA_HOME": str(ISOLATED_HOME / "data"),
}


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(ISOLATION)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(ISOLATED_HOME, ignore_errors=True)


def pytest_report_header() -> str:
    target = POSTGRES_URL if BACKEND == "postgresql" else "a fresh SQLite file per test"
    return f"tocsin test database: {BACKEND} ({target})"


SERVER_FIXTURES = {"server", "module_server"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        mark_by_kind(item)
    if BACKEND != "postgresql":
        return
    selected = [item for item in items if item.get_closest_marker("postgres")]
    deselected = [item for item in items if item not in selected]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def mark_by_kind(item: pytest.Item) -> None:
    """`browser`, `e2e`, `postgres`, `unit` and `store` follow from where a test is and
    what it uses (or, for `e2e`, what it says), so no test can be left unmarked.
    `make test-fast` runs `unit or store`."""
    fixtures = set(getattr(item, "fixturenames", ()))
    kinds = []
    if item.path.name.startswith("test_browser_"):
        kinds.append(pytest.mark.browser)
    if "e2e" in item.path.parts or SERVER_FIXTURES & fixtures or item.get_closest_marker("e2e"):
        kinds.append(pytest.mark.e2e)
    if DATABASE_FIXTURES & fixtures:
        kinds.append(pytest.mark.postgres)
    if not kinds:
        kinds.append(pytest.mark.unit)
    if "store" in item.path.parts and pytest.mark.e2e not in kinds:
        kinds.append(pytest.mark.store)
    for kind in kinds:
        item.add_marker(kind)


def settings_for(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "watcher_recheck": timedelta(milliseconds=100),
        "sqlite_synchronous": "NORMAL",
    }
    values.update(overrides)
    return Settings.from_env({}, **values)


class SqliteBackend:
    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.db"
        asyncio.run(migrate_url(f"sqlite:///{self.template}"))

    def fresh(self, directory: Path) -> str:
        target = directory / "tocsin.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


class PostgresBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self.rebuild()

    def rebuild(self) -> None:
        asyncio.run(self.recreate_schema())
        asyncio.run(migrate_url(self.url))

    async def recreate_schema(self) -> None:
        connection = await asyncpg.connect(self.url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    def fresh(self, _directory: Path) -> str:
        try:
            asyncio.run(self.truncate())
        except asyncpg.UndefinedTableError:
            self.rebuild()  # a test broke the schema on purpose
        return self.url

    async def truncate(self) -> None:
        tables = ", ".join(table.name for table in metadata.sorted_tables)
        connection = await asyncpg.connect(self.url)
        try:
            await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()


async def migrate_url(url: str) -> None:
    database = Database(settings_for(url))
    try:
        await migrate(database)
    finally:
        await database.close()


def postgres_problem(url: str) -> str | None:
    async def probe() -> None:
        connection = await asyncpg.connect(url, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL is not reachable at {url}: {error}"
    return None


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> SqliteBackend | PostgresBackend:
    if BACKEND == "sqlite":
        return SqliteBackend(tmp_path_factory.mktemp("template"))
    if BACKEND != "postgresql":
        pytest.fail(f"TOCSIN_TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")
    problem = postgres_problem(POSTGRES_URL)
    if problem and IN_CI:
        pytest.fail(f"{problem} (CI=true requires PostgreSQL)")
    if problem:
        pytest.skip(f"{problem}; set TOCSIN_TEST_POSTGRES_URL to run these tests")
    return PostgresBackend(POSTGRES_URL)


@pytest.fixture
def database_url(backend: SqliteBackend | PostgresBackend, tmp_path: Path) -> str:
    return backend.fresh(tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.close()


@pytest.fixture
async def runner(database: Database) -> AsyncIterator[BatchRunner]:
    """The database's batch runner, as `tocsin serve` shares it between pings and watcher."""
    runner = batch_runner(database)
    yield runner
    await runner.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    http_path: str = "fast path"  # a key of HTTP_PATH_LOG_LINES

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# The HTTP paths a module may run its tests on (`module_server_on_each_path`), each with
# what `tocsin serve` logs at start when it takes that path. The fallback is forced with
# the uvicorn installed: the same tests then run on uvicorn's own protocol.
UVICORN_FALLBACK = {"TOCSIN_FORCE_UVICORN_FALLBACK": "true"}
HTTP_PATH_LOG_LINES = {
    "fast path": "HTTP: Tocsin's guarded protocol with fast pings (uvicorn ",
    "asgi path": "HTTP: Tocsin's guarded protocol, pings through ASGI (TOCSIN_FAST_PINGS=false",
    "uvicorn fallback": (
        "HTTP: TOCSIN_FORCE_UVICORN_FALLBACK is set: uvicorn's own protocol, "
        "pings through ASGI, without Tocsin's connection limits"
    ),
}


def assert_took_its_http_path(server: Server) -> None:
    """The server logged, once, that it took the path it was started for."""
    said = [line for line in server.log().splitlines() if " HTTP: " in line]
    assert len(said) == 1, said
    assert HTTP_PATH_LOG_LINES[server.http_path] in said[0], said


def start_server(database_url: str, log_path: Path, *extra: str, **env: str) -> Server:
    return launch_server(database_url, log_path, extra, env)


def start_server_with_open_files(
    database_url: str, log_path: Path, open_files: int, **env: str
) -> Server:
    """`tocsin serve` under `ulimit -n open_files`."""
    return launch_server(database_url, log_path, (), env, open_files)


def launch_server(
    database_url: str,
    log_path: Path,
    extra: tuple[str, ...],
    env: dict[str, str],
    open_files: int | None = None,
) -> Server:
    port = free_port()
    environment = {
        **os.environ,
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_PORT": str(port),
        "TOCSIN_WATCHER_RECHECK": "100ms",
        "TOCSIN_SQLITE_SYNCHRONOUS": "NORMAL",
        **env,
    }
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tocsin", "serve", *extra],
        env=environment,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=None if open_files is None else lambda: limit_open_files(open_files),
    )
    server = Server(f"http://127.0.0.1:{port}", database_url, process, log_path, log_file)
    wait_until_up(server)
    return server


def limit_open_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def wait_until_up(server: Server, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/api/v3/status/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    stop_server(server)
    raise RuntimeError(f"server did not start in {timeout}s:\n{server.log()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log_file.close()


@pytest.fixture(scope="module")
def module_server(
    backend: SqliteBackend | PostgresBackend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("server")
    server = start_server(backend.fresh(directory), directory / "server.log")
    yield server
    stop_server(server)


def module_server_on_each_path(paths: dict[str, dict[str, str]]) -> Any:
    """A `module_server` fixture for a test module that runs once per HTTP path: each
    entry of `paths` names a server started with those environment variables. Tests
    marked `guarded_protocol` are skipped on the uvicorn fallback."""

    @pytest.fixture(scope="module", params=list(paths))
    def module_server(
        request: pytest.FixtureRequest,
        backend: SqliteBackend | PostgresBackend,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[Server]:
        directory = tmp_path_factory.mktemp("server")
        environment = paths[request.param]
        server = start_server(backend.fresh(directory), directory / "server.log", **environment)
        server.http_path = request.param
        yield server
        stop_server(server)

    return module_server


@pytest.fixture
def server(
    module_server: Server,
    backend: SqliteBackend | PostgresBackend,
    request: pytest.FixtureRequest,
) -> Server:
    """The module's running server, with an empty database for this test."""
    if module_server.http_path == "uvicorn fallback" and request.node.get_closest_marker(
        "guarded_protocol"
    ):
        pytest.skip("needs Tocsin's guarded protocol, which the uvicorn fallback runs without")
    if isinstance(backend, PostgresBackend):
        backend.fresh(Path())
    return module_server


@pytest.fixture
async def server_database(server: Server) -> AsyncIterator[Database]:
    """A connection of the test's own to the running server's database."""
    database = Database(settings_for(server.database_url))
    yield database
    await database.close()


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    """A running PostgreSQL server of the test's own, to stop, start and freeze (the
    shared one never is). In the PostgreSQL pass only; under CI=true it must run."""
    if BACKEND != "postgresql":
        pytest.skip("a private PostgreSQL server: runs in the PostgreSQL pass")
    problem = cluster_problem()
    if problem and IN_CI:
        pytest.fail(f"{problem} (CI=true requires the private PostgreSQL server)")
    if problem:
        pytest.skip(problem)
    cluster = PostgresCluster(free_port())
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    """A local HTTP server standing in for Slack, webhooks, PagerDuty …"""
    async for running in http_receiver():
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    yield from smtp_receiver()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The `tocsin` command, run in-process against the test's database."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", database_url)
    monkeypatch.setenv("TOCSIN_SITE_URL", "https://tocsin.example")
    return CliRunner()
