"""`tocsin.monitor` against a real server: one run per `with` block or per call."""

import asyncio
import time

import pytest

import tocsin
from tests.conftest import Server, free_port
from tests.helpers import make_check, ping_key, pings_of, stored_body
from tests.job.test_run import assert_paired, summary
from tocsin.job.client import TargetError
from tocsin.store.database import Database


class BackupError(Exception):
    pass


async def test_a_block_that_ends_normally_is_a_start_and_a_success(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    with tocsin.monitor(str(record.uuid), server.url):
        await asyncio.sleep(0.1)
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("success", None)]
    assert_paired(pings)
    assert pings[1].duration is not None
    assert pings[1].duration >= 0.1


async def test_an_exception_is_a_fail_with_its_traceback_and_goes_on_unchanged(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    raised = BackupError("disk full")
    with pytest.raises(BackupError) as caught, tocsin.monitor(str(record.uuid), server.url):
        raise raised
    assert caught.value is raised
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", None)]
    body = await stored_body(server_database, record, pings[1].n)
    assert body is not None
    assert body.startswith(b"Traceback (most recent call last):\n")
    assert body.endswith(b"BackupError: disk full\n")


async def test_as_a_decorator_each_call_is_its_own_run(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)

    @tocsin.monitor(str(record.uuid), server.url)
    def back_up(size: int) -> int:
        return size * 2

    assert back_up(2) == 4
    assert back_up(3) == 6
    assert back_up.__name__ == "back_up"
    pings = await pings_of(server_database, record)
    assert [p.kind for p in pings] == ["start", "success"] * 2
    assert_paired(pings[:2])
    assert_paired(pings[2:])
    assert pings[0].rid != pings[2].rid


async def test_coroutines_are_monitored_too(server: Server, server_database: Database) -> None:
    record = await make_check(server_database)

    @tocsin.monitor(str(record.uuid), server.url)
    async def back_up() -> str:
        await asyncio.sleep(0.05)
        raise BackupError("late")

    with pytest.raises(BackupError):
        await back_up()
    async with tocsin.monitor(str(record.uuid), server.url, start=False):
        pass
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", None), ("success", None)]
    assert_paired(pings[:2])


async def test_a_slug_with_server_and_key_from_the_environment(
    server: Server, server_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = await make_check(server_database, slug="reports")
    monkeypatch.setenv("TOCSIN_RUN_SERVER", server.url)
    monkeypatch.setenv("TOCSIN_PING_KEY", await ping_key(server_database))
    with tocsin.monitor("reports"):
        pass
    assert summary(await pings_of(server_database, record)) == [
        ("start", None),
        ("success", None),
    ]


def test_the_code_runs_and_its_exception_goes_on_when_the_server_is_down() -> None:
    server = f"http://127.0.0.1:{free_port()}"
    check = "5533ecb8-c474-4ea5-81a4-cf1ff9615f33"
    ran: list[bool] = []

    @tocsin.monitor(check, server, start_within=0.2, finish_within=0.3)
    def back_up() -> None:
        ran.append(True)
        raise BackupError

    began = time.monotonic()
    with pytest.raises(BackupError):
        back_up()
    assert ran == [True]
    # The budgets add up to 0.5 s: the bound tells "gave up" from "kept trying", with
    # room for a loaded machine.
    assert time.monotonic() - began < 30


def test_a_check_that_names_no_server_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TOCSIN_RUN_SERVER", raising=False)
    with pytest.raises(TargetError, match="needs a server"):
        tocsin.monitor("5533ecb8-c474-4ea5-81a4-cf1ff9615f33")


def test_importing_tocsin_loads_none_of_the_server_stack() -> None:
    import subprocess
    import sys

    probe = "import sys, tocsin; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    for heavy in ("sqlalchemy", "fastapi", "typer", "uvicorn", "asyncio", "pydantic"):
        assert f"'{heavy}'" not in loaded.stdout.decode()
