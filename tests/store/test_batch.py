"""The ping path writes rows with its own SQL; the rest of Tocsin must read them alike."""

import uuid
from datetime import time, timedelta

from tests.helpers import T0, make_check, reload
from tocsin.domain.checks import CheckState, Status
from tocsin.domain.records import Ping
from tocsin.domain.schedule import Cron, Maintenance
from tocsin.store import pings as ping_store
from tocsin.store.batch import BatchWriter
from tocsin.store.database import Database
from tocsin.store.runners import batch_runner


def ping_values(writer: BatchWriter, ping: Ping) -> tuple[object, ...]:
    return writer.ping_values(
        ping.check_id,
        ping.n,
        ping.created,
        ping.kind,
        ping.exit_status,
        ping.rid,
        ping.duration,
        ping.method,
        ping.scheme,
        ping.remote_addr,
        ping.ua,
        ping.body,
        ping.body_size,
        ping.body_truncated,
    )


async def test_a_check_written_by_the_store_reads_the_same_on_the_ping_path(
    database: Database,
) -> None:
    record = await make_check(
        database,
        schedule=Cron("0 2 * * *", "Asia/Tokyo"),
        grace=timedelta(minutes=30),
        name="tokyo",
        slug="tokyo",
        tags="a b",
        maintenance=Maintenance(frozenset({0, 6}), time(23, 30), time(1, 15, 30), "Asia/Tokyo"),
        now=T0,
    )
    assert record.state.maintenance is not None
    runner = batch_runner(database)
    try:
        found = await runner.run(
            lambda writer: writer.lock_checks([record.uuid.hex], [record.token], [], [])
        )
    finally:
        await runner.close()
    assert found == [record]


async def test_states_and_pings_written_on_the_ping_path_read_back_through_the_store(
    database: Database,
) -> None:
    record = await make_check(database, now=T0)
    rid = uuid.uuid4()
    started = CheckState(
        schedule=record.state.schedule,
        grace=record.state.grace,
        status=Status.UP,
        last_ping=T0,
        last_start=T0 + timedelta(seconds=1),
        last_start_rid=rid,
        last_duration=timedelta(seconds=2.5),
    )
    row = Ping(
        check_id=record.id,
        n=1,
        created=T0 + timedelta(microseconds=7),
        kind="start",
        exit_status=None,
        rid=rid,
        duration=None,
        method="POST",
        scheme="http",
        remote_addr="10.0.0.1",
        ua="curl",
        body=b"\x00\xffbytes",
        body_size=9,
        body_truncated=True,
    )
    runner = batch_runner(database)
    try:
        await runner.run(
            lambda writer: writer.save([(record.id, started, 1)], [ping_values(writer, row)], T0)
        )
        found_start = await runner.run(
            lambda writer: writer.run_start(record.id, rid, T0 + timedelta(hours=1))
        )
    finally:
        await runner.close()

    assert (await reload(database, record)).state == started
    assert found_start == row.created
    async with database.read() as connection:
        [listed] = await ping_store.list_pings(connection, record.id, 10)
        body = await ping_store.ping_body(connection, record.id, 1)
    assert (listed.created, listed.rid, listed.kind, listed.body_truncated) == (
        row.created,
        rid,
        "start",
        True,
    )
    assert body == b"\x00\xffbytes"
