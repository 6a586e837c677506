"""Backups taken from a running server under a stream of pings, and put back as
README.md says. SQLite: `tocsin backup`; the restored server serves the checks and
pings the backup holds, and its ping log, which holds the later ones, is set aside,
not replayed. PostgreSQL: `pg_dump` and `pg_restore`, as README.md gives them."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Server, settings_for, start_server, stop_server
from tests.helpers import eventually, make_check, put_back_sqlite_backup, read_response_status
from tocsin.domain.records import CheckRecord
from tocsin.store.database import Database
from tocsin.store.tables import pings

CHECKS = 4
CLIENTS = 8


class Pinger:
    """Clients pinging the checks in turn until told to stop; counts what was sent
    and what was answered 200."""

    def __init__(self, server: Server, checks: list[CheckRecord]) -> None:
        self.server = server
        self.checks = checks
        self.sent = 0
        self.answered = 0
        self.stopping = False
        self.clients = [asyncio.create_task(self.client(n)) for n in range(CLIENTS)]

    async def client(self, number: int) -> None:
        host, port = self.server.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        n = number
        while not self.stopping:
            check = self.checks[n % len(self.checks)]
            n += 1
            writer.write(f"GET /ping/{check.uuid} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            self.sent += 1
            if await read_response_status(reader) == 200:
                self.answered += 1
        writer.close()

    async def until(self, answered: int) -> None:
        async def enough() -> bool:
            return self.answered >= answered

        assert await eventually(enough, 120), self.server.log()

    async def stop(self) -> None:
        self.stopping = True
        await asyncio.wait_for(asyncio.gather(*self.clients), 60)


async def tocsin(database_url: str, *args: str) -> tuple[int, str]:
    """A `tocsin` command in a process of its own, without blocking the pings."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tocsin",
        *args,
        env={**os.environ, "TOCSIN_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def count_pings(database_url: str) -> int:
    database = Database(settings_for(database_url))
    try:
        async with database.read() as connection:
            count = await connection.scalar(sa.select(sa.func.count()).select_from(pings))
            return int(count or 0)
    finally:
        await database.close()


def sqlite_path(database: Database) -> Path:
    if not database.is_sqlite:
        pytest.skip("tocsin backup copies SQLite; PostgreSQL's backups are pg_dump's")
    assert database.url.database is not None
    return Path(database.url.database)


def kill(server: Server) -> None:
    server.process.send_signal(signal.SIGKILL)
    stop_server(server)


STOPS: dict[str, Callable[[Server], None]] = {"stopped": stop_server, "killed": kill}


@pytest.mark.parametrize("stop", list(STOPS))
async def test_a_backup_taken_under_load_is_restored_and_served_without_later_pings(
    database_url: str, database: Database, tmp_path: Path, stop: str
) -> None:
    path = sqlite_path(database)
    checks = [await make_check(database, name=f"job {n}") for n in range(CHECKS)]
    server = start_server(database_url, tmp_path / "1.log", TOCSIN_SQLITE_SYNCHRONOUS="FULL")
    pinger = Pinger(server, checks)
    await pinger.until(150)
    answered_before = pinger.answered
    code, output = await tocsin(database_url, "backup", str(tmp_path / "backup.db"))
    sent_after = pinger.sent
    assert code == 0, output
    assert f"Backed up {path} to {tmp_path / 'backup.db'}" in output
    await pinger.until(sent_after + 150)  # a later history, which the ping log holds
    await pinger.stop()
    STOPS[stop](server)

    in_backup = await count_pings(f"sqlite:///{tmp_path / 'backup.db'}")
    assert answered_before <= in_backup <= sent_after < pinger.answered
    await database.close()
    put_back_sqlite_backup(tmp_path / "backup.db", path)
    restored = start_server(database_url, tmp_path / "2.log", TOCSIN_SQLITE_SYNCHRONOUS="FULL")
    try:
        assert "set the ping log aside as" in restored.log()
        assert await count_pings(database_url) == in_backup
        async with httpx.AsyncClient(base_url=restored.url) as client:
            for check in checks:  # every check is there, and takes pings
                assert (await client.get(f"/ping/{check.uuid}")).text == "OK"
        assert await count_pings(database_url) == in_backup + CHECKS
    finally:
        stop_server(restored)
    assert len(list(path.parent.glob(f"{path.name}-pinglog.set-aside-*"))) == 1


async def run_tool(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, (command, output.decode())


async def test_a_pg_dump_taken_under_load_is_restored_and_served(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    if database.is_sqlite:
        pytest.skip("pg_dump and pg_restore are PostgreSQL's")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    code, output = await tocsin(database_url, "backup", str(tmp_path / "tocsin.dump"))
    assert code == 2
    assert "pg_dump --format=custom" in output
    checks = [await make_check(database, name=f"job {n}") for n in range(CHECKS)]
    server = start_server(database_url, tmp_path / "1.log")
    pinger = Pinger(server, checks)
    await pinger.until(150)
    answered_before = pinger.answered
    dump = str(tmp_path / "tocsin.dump")
    await run_tool("pg_dump", "--format=custom", f"--file={dump}", database_url)
    sent_after = pinger.sent
    await pinger.until(sent_after + 150)
    await pinger.stop()
    stop_server(server)

    await run_tool(
        "pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={database_url}", dump
    )
    restored = start_server(database_url, tmp_path / "2.log")
    try:
        in_dump = await count_pings(database_url)
        assert answered_before <= in_dump <= sent_after < pinger.answered
        async with httpx.AsyncClient(base_url=restored.url) as client:
            for check in checks:
                assert (await client.get(f"/ping/{check.uuid}")).text == "OK"
        assert await count_pings(database_url) == in_dump + CHECKS
    finally:
        stop_server(restored)
