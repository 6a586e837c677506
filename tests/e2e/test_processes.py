"""Several Tocsin processes on one database: a server without a watcher, and separate
watchers that start after deadlines have passed and must share the work exactly."""

import asyncio
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Server, settings_for, start_server, stop_server
from tests.helpers import eventually, flips_of, make_check, reload
from tocsin.domain.checks import Status
from tocsin.domain.schedule import Period
from tocsin.store.database import Database
from tocsin.store.tables import flips

CHECKS = 30


@pytest.fixture
def watcherless_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    server = start_server(database_url, tmp_path / "server.log", "--no-watcher")
    yield server
    stop_server(server)


def start_watcher(database_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_WATCHER_RECHECK": "100ms",
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tocsin", "watcher"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def started(log_path: Path) -> bool:
    text = await asyncio.to_thread(log_path.read_text, errors="replace")
    return "deadline watcher started" in text


async def count_down_flips(database: Database) -> int:
    async with database.read() as connection:
        query = sa.select(sa.func.count(flips.c.id)).where(flips.c.new_status == "down")
        return int(await connection.scalar(query) or 0)


async def test_separate_watchers_catch_up_and_write_each_flip_once(
    watcherless_server: Server, tmp_path: Path
) -> None:
    database = Database(settings_for(watcherless_server.database_url))
    try:
        records = [
            await make_check(database, schedule=Period(timedelta(seconds=1)), grace=timedelta(0))
            for _ in range(CHECKS)
        ]
        async with httpx.AsyncClient(base_url=watcherless_server.url) as client:
            for record in records:
                assert (await client.get(f"/ping/{record.uuid}")).status_code == 200
        await asyncio.sleep(1.5)
        # Nobody is watching: the deadlines have passed but nothing has flipped.
        assert await count_down_flips(database) == 0
        watchers = [
            start_watcher(watcherless_server.database_url, tmp_path / f"w{i}.log") for i in range(2)
        ]
        try:

            async def all_flipped() -> bool:
                return await count_down_flips(database) >= CHECKS

            assert await eventually(all_flipped, limit=15)
            # Both have started (under load the second may still be importing when the
            # first has flipped everything): only then does SIGTERM test their shutdown.
            for log in (tmp_path / f"w{i}.log" for i in range(2)):
                assert await eventually(functools.partial(started, log), limit=15)
            await asyncio.sleep(0.5)  # time for a duplicate to appear, if one could
        finally:
            for watcher in watchers:
                watcher.send_signal(signal.SIGTERM)
            for watcher in watchers:
                assert watcher.wait(timeout=15) == 0
        assert await count_down_flips(database) == CHECKS
        for record in records:
            check = await reload(database, record)
            assert check.state.status == Status.DOWN
            assert await flips_of(database, record) == [
                ("new", "up", "ping"),
                ("up", "down", "missed"),
            ]
    finally:
        await database.close()
