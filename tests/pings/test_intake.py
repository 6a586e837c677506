"""The ping write path against a real database: batches, lookups, runs, failures."""

import asyncio
import uuid
from datetime import timedelta

import sqlalchemy as sa

from tests.helpers import T0, flips_of, make_check, ping_key, pings_of, reload
from tocsin.domain.checks import Action, Status
from tocsin.pings.intake import PingIntake, PingRequest, Reply
from tocsin.pings.urls import BySlug, ByToken, ByUuid, PingUrl, Target
from tocsin.store import checks as check_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner


def request(
    target: Target,
    action: Action = Action.SUCCESS,
    *,
    seconds: float = 0,
    exit_status: int | None = None,
    **fields: object,
) -> PingRequest:
    return PingRequest(
        url=PingUrl(target, action, exit_status),
        received_at=T0 + timedelta(seconds=seconds),
        **fields,  # type: ignore[arg-type]
    )


async def submit_all(database: Database, *requests: PingRequest) -> list[Reply]:
    """Submits concurrently, so the requests land in one batch, in order."""
    runner = batch_runner(database)
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    try:
        return list(await asyncio.gather(*(intake.submit(r) for r in requests)))
    finally:
        intake.stop()
        await writer
        await runner.close()


async def test_a_first_ping_brings_a_new_check_up_and_is_logged(database: Database) -> None:
    record = await make_check(database, now=T0)
    replies = await submit_all(
        database,
        request(
            ByUuid(record.uuid.hex),
            method="POST",
            user_agent="curl/8",
            body=b"hi",
            body_size=2,
            remote_addr="10.1.2.3",
        ),
    )
    assert replies == [Reply.OK]
    check = await reload(database, record)
    assert check.state.status == Status.UP
    assert check.state.last_ping == T0
    assert check.n_pings == 1
    assert check.alert_after == T0 + timedelta(hours=1, minutes=5)
    [ping] = await pings_of(database, record)
    assert (ping.n, ping.kind, ping.method, ping.ua, ping.remote_addr, ping.body_size) == (
        1,
        "success",
        "POST",
        "curl/8",
        "10.1.2.3",
        2,
    )
    assert await flips_of(database, record) == [("new", "up", "ping")]


async def test_pings_in_one_batch_apply_in_arrival_order(database: Database) -> None:
    record = await make_check(database, now=T0)
    target = ByUuid(record.uuid.hex)
    replies = await submit_all(
        database,
        request(target, Action.START),
        request(target, seconds=2.5),
        request(target, Action.FAIL, seconds=3, exit_status=4),
        request(target, Action.LOG, seconds=4),
    )
    assert replies == [Reply.OK] * 4
    pings = await pings_of(database, record)
    assert [(p.n, p.kind, p.duration, p.exit_status) for p in pings] == [
        (1, "start", None, None),
        (2, "success", 2.5, None),
        (3, "fail", None, 4),
        (4, "log", None, None),
    ]
    assert await flips_of(database, record) == [
        ("new", "up", "ping"),
        ("up", "down", "failed (exit 4)"),
    ]
    check = await reload(database, record)
    assert check.state.status == Status.DOWN
    assert check.n_pings == 4


async def test_overlapping_runs_each_measure_their_own_duration(database: Database) -> None:
    record = await make_check(database, now=T0)
    target = ByUuid(record.uuid.hex)
    first, second = uuid.uuid4(), uuid.uuid4()
    await submit_all(database, request(target, Action.START, rid=first))
    await submit_all(database, request(target, Action.START, seconds=10, rid=second))
    # The first run finishes while the second is the pending one.
    await submit_all(database, request(target, seconds=30, rid=first))
    await submit_all(database, request(target, seconds=35, rid=second))
    durations = [(p.kind, p.rid, p.duration) for p in await pings_of(database, record)]
    assert durations == [
        ("start", first, None),
        ("start", second, None),
        ("success", first, 30.0),
        ("success", second, 25.0),
    ]
    check = await reload(database, record)
    assert check.state.last_start is None
    assert check.state.last_duration == timedelta(seconds=25)


async def test_runs_overlapping_within_one_batch_are_paired_too(database: Database) -> None:
    record = await make_check(database, now=T0)
    target = ByUuid(record.uuid.hex)
    first, second = uuid.uuid4(), uuid.uuid4()
    await submit_all(
        database,
        request(target, Action.START, rid=first),
        request(target, Action.START, seconds=5, rid=second),
        request(target, seconds=12, rid=first),
    )
    durations = [(p.rid, p.duration) for p in await pings_of(database, record)]
    assert durations == [(first, None), (second, None), (first, 12.0)]
    assert (await reload(database, record)).state.last_start_rid == second


async def test_checks_are_found_by_token_and_by_slug(database: Database) -> None:
    by_token = await make_check(database, now=T0, name="token")
    by_slug = await make_check(database, now=T0, slug="nightly")
    key = await ping_key(database)
    replies = await submit_all(
        database,
        request(ByToken(by_token.token)),
        request(BySlug(key, "nightly")),
        request(BySlug(key, "missing")),
        request(BySlug("wrongkey", "nightly")),
        request(ByToken("nope")),
        request(ByUuid(uuid.uuid4().hex)),
    )
    assert replies == [Reply.OK, Reply.OK] + [Reply.NOT_FOUND] * 4
    assert (await reload(database, by_token)).n_pings == 1
    assert (await reload(database, by_slug)).n_pings == 1


async def test_one_check_named_three_ways_in_one_batch_counts_every_ping(
    database: Database,
) -> None:
    record = await make_check(database, now=T0, slug="nightly")
    key = await ping_key(database)
    replies = await submit_all(
        database,
        request(ByUuid(record.uuid.hex), Action.START),
        request(ByToken(record.token), seconds=1),
        request(BySlug(key, "nightly"), Action.FAIL, seconds=2),
        request(ByUuid(record.uuid.hex), seconds=3),
    )
    assert replies == [Reply.OK] * 4
    pings = await pings_of(database, record)
    assert [(p.n, p.kind, p.duration) for p in pings] == [
        (1, "start", None),
        (2, "success", 1.0),
        (3, "fail", None),
        (4, "success", None),
    ]
    assert await flips_of(database, record) == [
        ("new", "up", "ping"),
        ("up", "down", "failed"),
        ("down", "up", "ping"),
    ]


async def test_a_shared_slug_is_ambiguous(database: Database) -> None:
    await make_check(database, now=T0, slug="twin")
    await make_check(database, now=T0, slug="twin")
    key = await ping_key(database)
    assert await submit_all(database, request(BySlug(key, "twin"))) == [Reply.AMBIGUOUS_SLUG]


async def test_create_provisions_one_check_for_a_new_slug(database: Database) -> None:
    key = await ping_key(database)
    target = BySlug(key, "auto-made")
    replies = await submit_all(
        database, request(target, create=True), request(target, create=True, seconds=1)
    )
    assert replies == [Reply.CREATED, Reply.OK]
    async with database.read() as connection:
        [made] = await connection.run_sync(check_store.checks_by_column, "slug", "auto-made")
    assert (made.name, made.n_pings, made.state.status) == ("auto-made", 2, Status.UP)
    assert made.state.grace == timedelta(hours=1)
    assert await submit_all(database, request(BySlug(key, "other"))) == [Reply.NOT_FOUND]


async def test_post_only_checks_log_other_methods_as_ignored(database: Database) -> None:
    record = await make_check(database, now=T0, methods="POST")
    target = ByUuid(record.uuid.hex)
    await submit_all(database, request(target, method="GET"), request(target, method="HEAD"))
    assert (await reload(database, record)).state.status == Status.NEW
    await submit_all(database, request(target, method="POST", seconds=1))
    assert (await reload(database, record)).state.status == Status.UP
    kinds = [p.kind for p in await pings_of(database, record)]
    assert kinds == ["ign", "ign", "success"]


async def test_a_database_failure_answers_retry_and_writes_nothing(database: Database) -> None:
    record = await make_check(database, now=T0)
    async with database.write() as connection:
        await connection.execute(sa.text("DROP TABLE pings"))
    replies = await submit_all(database, request(ByUuid(record.uuid.hex)))
    assert replies == [Reply.UNAVAILABLE]
    check = await reload(database, record)
    assert (check.state.status, check.n_pings) == (Status.NEW, 0)


async def test_one_broken_check_does_not_sink_the_pings_batched_with_it(
    database: Database,
) -> None:
    healthy = await make_check(database, now=T0)
    broken = await make_check(database, now=T0)
    async with database.write() as connection:
        await connection.execute(
            sa.text(
                "UPDATE checks SET kind = 'cron', cron = 'not a cron', tz = 'UTC' WHERE id = :id"
            ),
            {"id": broken.id},
        )
    replies = await submit_all(
        database, request(ByUuid(broken.uuid.hex)), request(ByUuid(healthy.uuid.hex))
    )
    assert replies == [Reply.UNAVAILABLE, Reply.OK]
    assert (await reload(database, healthy)).n_pings == 1


async def test_the_writer_reports_the_earliest_new_deadline(
    database: Database, runner: BatchRunner
) -> None:
    soon = await make_check(database, now=T0, grace=timedelta(minutes=1))
    later = await make_check(database, now=T0)
    deadlines: list[object] = []
    intake = PingIntake(runner, deadlines.append)
    writer = asyncio.create_task(intake.run())
    await asyncio.gather(
        intake.submit(request(ByUuid(later.uuid.hex))),
        intake.submit(request(ByUuid(soon.uuid.hex))),
    )
    intake.stop()
    await writer
    assert deadlines == [T0 + timedelta(hours=1, minutes=1)]


async def test_a_ping_read_in_the_next_turn_of_the_loop_joins_the_batch(
    database: Database, runner: BatchRunner
) -> None:
    """Under load the clients answered last send their next pings a moment after the
    first; taking the queue one turn of the loop later puts them in the same batch."""
    first = await make_check(database, now=T0)
    second = await make_check(database, now=T0)
    intake = PingIntake(runner, lambda _deadline: None)
    batch_sizes: list[int] = []
    record = intake.record

    async def counted(requests: list[PingRequest]) -> object:
        batch_sizes.append(len(requests))
        return await record(requests)

    intake.record = counted  # type: ignore[method-assign,assignment]
    writer = asyncio.create_task(intake.run())
    await asyncio.sleep(0)  # the writer now waits for a ping
    loop = asyncio.get_running_loop()
    replies: list[asyncio.Future[Reply]] = [loop.create_future(), loop.create_future()]
    intake.enqueue(request(ByUuid(first.uuid.hex)), replies[0].set_result)
    loop.call_soon(intake.enqueue, request(ByUuid(second.uuid.hex)), replies[1].set_result)
    assert await asyncio.gather(*replies) == [Reply.OK, Reply.OK]
    intake.stop()
    await writer
    assert batch_sizes == [2]
