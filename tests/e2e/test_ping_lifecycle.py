"""A check's life over HTTP: new, up, down within a second of its deadline, up again.

Every test here runs on the fast path and on the uvicorn fallback (`tocsin serve` on
uvicorn's own protocol, pings through the ASGI endpoint, as when `server.uvicorn_guard`
does not know the installed uvicorn).
"""

import asyncio
import time
import uuid
from datetime import timedelta

import httpx

from tests.conftest import (
    UVICORN_FALLBACK,
    Server,
    assert_took_its_http_path,
    module_server_on_each_path,
)
from tests.helpers import flips_of, make_check, ping_key, pings_of, reload
from tocsin.domain.checks import Status
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period
from tocsin.store import checks as check_store
from tocsin.store.database import Database

SECOND = timedelta(seconds=1)
PATHS = {"fast path": {}, "uvicorn fallback": UVICORN_FALLBACK}

module_server = module_server_on_each_path(PATHS)


def test_the_server_logs_the_http_path_it_took(server: Server) -> None:
    assert_took_its_http_path(server)


async def wait_for_status(
    database: Database, record: CheckRecord, wanted: Status, limit: float = 10
) -> float:
    """The wall-clock time (epoch seconds) when the stored status became `wanted`."""
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up:
        if (await reload(database, record)).state.status == wanted:
            return time.time()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{record.label} did not become {wanted} within {limit}s")


async def test_a_check_goes_up_then_down_within_a_second_of_its_deadline_then_up(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database, schedule=Period(SECOND), grace=SECOND)
    assert record.state.status == Status.NEW
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(f"/ping/{record.uuid}")).text == "OK"
        pinged = await reload(server_database, record)
        assert pinged.state.status == Status.UP
        assert pinged.alert_after is not None
        seen_down = await wait_for_status(server_database, record, Status.DOWN)
        assert 0 <= seen_down - pinged.alert_after.timestamp() < 1.0
        await client.get(f"/ping/{record.uuid}")
    assert (await reload(server_database, record)).state.status == Status.UP
    assert await flips_of(server_database, record) == [
        ("new", "up", "ping"),
        ("up", "down", "missed"),
        ("down", "up", "ping"),
    ]
    async with server_database.read() as connection:
        [down_flip, _] = (await connection.run_sync(check_store.list_flips, record.id))[1:]
    assert down_flip.flip.at == pinged.alert_after


async def test_a_started_run_that_never_finishes_goes_down(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database, grace=SECOND)
    async with httpx.AsyncClient(base_url=server.url) as client:
        await client.get(f"/ping/{record.uuid}/start")
    await wait_for_status(server_database, record, Status.DOWN, limit=5)
    assert await flips_of(server_database, record) == [("new", "down", "started but not finished")]


async def test_start_and_finish_measure_the_run(server: Server, server_database: Database) -> None:
    record = await make_check(server_database)
    async with httpx.AsyncClient(base_url=server.url) as client:
        await client.get(f"/ping/{record.uuid}/start")
        await asyncio.sleep(0.3)
        await client.get(f"/ping/{record.uuid}")
    start, finish = await pings_of(server_database, record)
    assert start.kind == "start"
    assert finish.duration is not None
    assert 0.3 <= finish.duration < 2
    check = await reload(server_database, record)
    assert check.state.last_duration is not None
    assert check.state.last_start is None


async def test_run_ids_pair_each_finish_with_its_own_start(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    early, late = uuid.uuid4(), uuid.uuid4()
    async with httpx.AsyncClient(base_url=server.url) as client:
        await client.get(f"/ping/{record.uuid}/start?rid={early}")
        await asyncio.sleep(0.4)
        await client.get(f"/ping/{record.uuid}/start?rid={late}")
        await asyncio.sleep(0.2)
        await client.get(f"/ping/{record.uuid}/0?rid={early}")
    *_, finish = await pings_of(server_database, record)
    assert finish.rid == early
    assert finish.duration is not None
    assert 0.6 <= finish.duration < 2
    # The later run is still going.
    assert (await reload(server_database, record)).state.last_start_rid == late


async def test_fail_and_exit_statuses_set_the_check_down_at_once(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    async with httpx.AsyncClient(base_url=server.url) as client:
        await client.get(f"/ping/{record.uuid}/0")
        await client.post(f"/ping/{record.uuid}/3", content=b"disk full")
        await client.get(f"/ping/{record.uuid}")
        await client.get(f"/ping/{record.uuid}/fail")
        await client.get(f"/ping/{record.uuid}/log")
    kinds = [(p.kind, p.exit_status) for p in await pings_of(server_database, record)]
    assert kinds == [("success", 0), ("fail", 3), ("success", None), ("fail", None), ("log", None)]
    assert await flips_of(server_database, record) == [
        ("new", "up", "ping"),
        ("up", "down", "failed (exit 3)"),
        ("down", "up", "ping"),
        ("up", "down", "failed"),
    ]


async def test_slug_urls_and_auto_provisioning(server: Server, server_database: Database) -> None:
    key = await ping_key(server_database)
    async with httpx.AsyncClient(base_url=server.url) as client:
        missing = await client.get(f"/ping/{key}/nightly-backup")
        created = await client.get(f"/ping/{key}/nightly-backup?create=1")
        again = await client.get(f"/ping/{key}/nightly-backup/start?create=1")
        wrong_key = await client.get("/ping/notakey/nightly-backup?create=1")
    assert (missing.status_code, missing.text) == (404, "not found")
    assert (created.status_code, created.text) == (201, "Created")
    assert (again.status_code, again.text) == (200, "OK")
    assert wrong_key.status_code == 404
    async with server_database.read() as connection:
        [check] = await connection.run_sync(check_store.checks_by_column, "slug", "nightly-backup")
    assert check.n_pings == 2
    assert check.state.last_start is not None


async def test_better_stack_heartbeat_urls_work(server: Server, server_database: Database) -> None:
    record = await make_check(server_database)
    base = f"/api/v1/heartbeat/{record.token}"
    async with httpx.AsyncClient(base_url=server.url) as client:
        ok = await client.post(base)
        failed = await client.post(f"{base}/1", content=b"exit 1 output")
        back = await client.get(f"{base}/0")
        failed_again = await client.get(f"{base}/fail")
        unknown = await client.get("/api/v1/heartbeat/doesnotexist")
    assert [r.status_code for r in (ok, failed, back, failed_again)] == [200] * 4
    assert unknown.status_code == 404
    assert [f[1] for f in await flips_of(server_database, record)] == ["up", "down", "up", "down"]


async def test_post_only_checks_ignore_link_previews(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database, methods="POST")
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(f"/ping/{record.uuid}")).status_code == 200
        assert (await reload(server_database, record)).state.status == Status.NEW
        await client.post(f"/ping/{record.uuid}")
    assert (await reload(server_database, record)).state.status == Status.UP
    assert [p.kind for p in await pings_of(server_database, record)] == ["ign", "success"]
