"""The ping path writes rows with its own SQL; the rest of Tocsin must read them alike."""

import re
import uuid
from dataclasses import replace
from datetime import time, timedelta

import sqlalchemy as sa

from tests.helpers import T0, make_check, reload
from tocsin.domain.checks import CheckState, Status
from tocsin.domain.records import Ping
from tocsin.domain.schedule import Cron, Maintenance
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.database import Database
from tocsin.store.fastpath.batch import CHECK_COLUMNS, INSERT_PING, UPDATE_STATE, BatchWriter
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.tables import checks, pings

# Columns of checks that a CheckRecord leaves out: the ping path need not read them.
NOT_IN_A_RECORD = {"updated", "policy_id"}


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
        [listed] = await connection.run_sync(ping_store.list_pings, record.id, 10)
        body = await connection.run_sync(ping_store.ping_body, record.id, 1)
    assert (listed.created, listed.rid, listed.kind, listed.body_truncated) == (
        row.created,
        rid,
        "start",
        True,
    )
    assert body == b"\x00\xffbytes"


def listed_names(sql_list: str) -> list[str]:
    return [name.strip() for name in sql_list.split(",")]


def test_the_ping_paths_select_reads_the_columns_of_checks() -> None:
    """Every column of `tables.checks` a record is made of, and only columns of it: a
    column added, renamed or dropped in tables.py must be decided on here."""
    selected = listed_names(CHECK_COLUMNS)
    assert len(selected) == len(set(selected))
    assert set(selected) == set(checks.c.keys()) - NOT_IN_A_RECORD
    assert selected == [column.name for column in check_store.RECORD_COLUMNS]


def test_the_ping_paths_insert_writes_every_column_of_a_ping_but_its_id() -> None:
    found = re.fullmatch(r"INSERT INTO pings \((.*)\) VALUES \((.*)\)", INSERT_PING)
    assert found is not None, INSERT_PING
    inserted = listed_names(found[1])
    assert sorted(inserted) == sorted(set(pings.c.keys()) - {"id"})
    assert listed_names(found[2]) == ["?"] * len(inserted)


def test_the_ping_paths_state_update_sets_the_store_s_state_columns() -> None:
    found = re.fullmatch(r"UPDATE checks SET (.*) WHERE checks\.id = \?", UPDATE_STATE)
    assert found is not None, UPDATE_STATE
    assigned = [part.split("=")[0] for part in listed_names(found[1])]
    # SQLAlchemy sets them in the table's column order.
    assert sorted(assigned) == sorted([*check_store.STATE_NAMES, "n_pings", "updated"])
    assert set(assigned) <= set(checks.c.keys())


async def test_every_column_of_a_check_reads_the_same_on_both_roads(
    database: Database, runner: BatchRunner
) -> None:
    """A value in every column, each different, so that no two can be read in each
    other's place unnoticed."""
    record = await make_check(
        database,
        schedule=Cron("15 3 * * 1-5", "Europe/Paris"),
        grace=timedelta(minutes=7),
        name="paris backup",
        slug="paris-backup",
        tags="db nightly",
        description="the nightly dump",
        manual_resume=True,
        methods="POST",
        tz="Europe/Paris",
        maintenance=Maintenance(frozenset({2}), time(1, 2, 3), time(4, 5, 6), "Asia/Tokyo"),
        now=T0,
    )
    state = CheckState(
        schedule=record.state.schedule,
        grace=record.state.grace,
        status=Status.UP,
        last_ping=T0 + timedelta(seconds=1, microseconds=1),
        last_start=T0 + timedelta(seconds=2, microseconds=2),
        last_start_rid=uuid.uuid4(),
        last_duration=timedelta(seconds=3.25),
        manual_resume=True,
        post_only=True,
        maintenance=record.state.maintenance,
    )
    await database.write_with(check_store.save_states, [(record.id, state, 5)], T0)
    stored = await reload(database, record)
    assert stored.state == state
    assert stored.n_pings == 5

    [read] = await runner.run(lambda writer: writer.lock_checks([record.uuid.hex], [], [], []))

    assert read == stored


async def test_both_roads_write_a_state_change_alike(
    database: Database, runner: BatchRunner
) -> None:
    """`save_states` and `BatchWriter.save` run one statement: the same change, given to
    each for a check of its own, leaves the two rows alike."""
    ordinary, fast = [await make_check(database, name=name, now=T0) for name in ("a", "b")]
    changed = replace(
        ordinary.state,
        status=Status.STARTED,
        last_ping=T0 + timedelta(minutes=1),
        last_start=T0 + timedelta(minutes=1),
        last_start_rid=uuid.uuid4(),
        last_duration=timedelta(seconds=42.5),
    )
    later = T0 + timedelta(minutes=2)

    await database.write_with(check_store.save_states, [(ordinary.id, changed, 3)], later)
    await runner.run(lambda writer: writer.save([(fast.id, changed, 3)], [], later))

    def state_rows(connection: sa.Connection) -> list[tuple[object, ...]]:
        columns = [*check_store.STATE_COLUMNS, checks.c.n_pings, checks.c.updated]
        query = sa.select(*columns).where(checks.c.id.in_([ordinary.id, fast.id]))
        return [tuple(row) for row in connection.execute(query.order_by(checks.c.id))]

    written_ordinary, written_fast = await database.read_with(state_rows)
    assert written_ordinary == written_fast
    assert written_fast[-2:] == (3, later)
    assert (await reload(database, fast)).state == changed


async def test_a_ping_written_on_the_ping_path_reads_back_whole(
    database: Database, runner: BatchRunner
) -> None:
    """Every field different, so that `ping_values` and INSERT_PING cannot disagree on
    the order of the columns unnoticed."""
    record = await make_check(database, now=T0)
    sent = Ping(
        check_id=record.id,
        n=1,
        created=T0 + timedelta(microseconds=3),
        kind="fail",
        exit_status=17,
        rid=uuid.uuid4(),
        duration=12.5,
        method="PUT",
        scheme="https",
        remote_addr="192.0.2.7",
        ua="wget",
        body=b"out of disk",
        body_size=11,
        body_truncated=False,
    )
    await runner.run(lambda writer: writer.save([], [ping_values(writer, sent)], T0))

    [listed] = await database.read_with(ping_store.list_pings, record.id, 10)
    body = await database.read_with(ping_store.ping_body, record.id, 1)

    assert replace(listed, id=None, body=body) == sent
