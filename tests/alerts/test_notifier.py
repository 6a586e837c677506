"""The notifier against real local receivers (HTTP and SMTP), with a clock we move."""

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID, uuid5

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tests.alerts.test_incidents import ping
from tests.helpers import T0, FakeClock, add_channel, incidents_of, make_check, timeline
from tests.receivers import HttpReceiver, Reply, SmtpReceiver, http_receiver
from tocsin.alerts.notifier import Links, Notifier
from tocsin.config import Settings
from tocsin.domain.checks import Action
from tocsin.domain.identifiers import name_based_uuid
from tocsin.domain.records import ChannelRow, CheckRecord
from tocsin.domain.signing import verify
from tocsin.notify.base import Request
from tocsin.notify.http import HttpClient, http_client
from tocsin.notify.outbound import LiveOutbound, SmtpSettings
from tocsin.store import notifications as outbox_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.tables import channels, notifications

S = timedelta(seconds=1)
LINKS = Links("https://tocsin.example", "secret-for-tests", timedelta(days=7))


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    async with http_client() as session:
        yield session


def outbound(
    client: HttpClient,
    *,
    timeout: float = 5,
    allow_private: bool = True,
    smtp_port: int = 0,
) -> LiveOutbound:
    smtp = SmtpSettings(
        "127.0.0.1" if smtp_port else "", smtp_port, "none", "", "", "tocsin@example.com"
    )
    return LiveOutbound(client, timeout=timeout, allow_private=allow_private, smtp=smtp)


def notifier(
    database: Database,
    runner: BatchRunner,
    sender: LiveOutbound,
    clock: FakeClock,
    timeout: timedelta = 5 * S,
    max_age: timedelta = timedelta(hours=24),
) -> Notifier:
    return Notifier(
        database, runner, sender, LINKS, clock, timeout=timeout, recheck=S, max_age=max_age
    )


async def rows(database: Database) -> list[tuple[int, str, int, str]]:
    """(id, status, attempts, last error) of every notification."""
    query = sa.select(notifications).order_by(notifications.c.id)
    async with database.read() as connection:
        found = (await connection.execute(query)).all()
    return [(r.id, r.status, r.attempts, r.last_error) for r in found]


async def next_attempt(database: Database) -> object:
    async with database.read() as connection:
        return await connection.scalar(sa.select(notifications.c.next_attempt_at))


async def failing_check(database: Database, runner: BatchRunner) -> CheckRecord:
    record = await make_check(database, name="db backup", now=T0)
    await ping(runner, record, T0, Action.FAIL, exit_status=2, body=b"pg_dump: error")
    return record


async def fail_a_delivery(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, name: str
) -> ChannelRow:
    """A webhook channel named `name` whose first delivery failed (HTTP 503)."""
    channel = await add_channel(database, "webhook", {"url": f"{receiver.url}/{name}"}, name)
    await failing_check(database, runner)
    receiver.replies = [Reply(503, b"busy")]
    async with http_client() as client:
        await notifier(database, runner, outbound(client), FakeClock(T0 + S)).deliver_due()
    return channel


async def test_it_delivers_a_down_alert_and_records_it(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    channel = await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"}, "pager")
    await failing_check(database, runner)
    clock = FakeClock(T0 + S)
    assert await notifier(database, runner, outbound(client), clock).deliver_due() == 1

    [request] = receiver.requests
    event = request.json()
    assert (request.method, request.path, event["status"]) == ("POST", "/hook", "down")
    assert event["cause_detail"] == "failed (exit 2)"
    assert event["output"] == "pg_dump: error"
    incident_id = event["incident"]["id"]
    token = event["incident"]["ack_url"].split("token=")[1]
    assert verify(LINKS.secret, token, "ack", incident_id, T0)
    [(_, status, attempts, _)] = await rows(database)
    assert (status, attempts) == ("sent", 1)
    assert ("notified", "down alert sent to pager") in await timeline(database, incident_id)
    async with database.read() as connection:
        notified = await connection.scalar(
            sa.select(channels.c.last_notified).where(channels.c.id == channel.id)
        )
    assert notified == T0 + S


async def test_it_retries_a_failing_channel_with_backoff_until_it_answers(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    record = await failing_check(database, runner)
    receiver.replies = [Reply(503, b"busy"), Reply(500, b"oops")]
    clock = FakeClock(T0 + S)
    sender = notifier(database, runner, outbound(client), clock)

    assert await sender.deliver_due() == 1
    [(_, status, attempts, error)] = await rows(database)
    assert (status, attempts, error) == ("pending", 1, "HTTP 503: busy")
    retry_at = await next_attempt(database)
    assert isinstance(retry_at, type(T0))
    assert 1.5 * S <= retry_at - clock.current <= 2.5 * S  # 2 s, with jitter
    assert await sender.deliver_due() == 0  # not yet

    clock.current = retry_at
    await sender.deliver_due()
    second_retry = await next_attempt(database)
    assert isinstance(second_retry, type(T0))
    assert 3 * S <= second_retry - clock.current <= 5 * S  # 4 s, with jitter
    clock.current = second_retry
    await sender.deliver_due()

    assert len(receiver.requests) == 3
    [(_, status, attempts, _)] = await rows(database)
    assert (status, attempts) == ("sent", 3)
    [incident] = await incidents_of(database, record)
    kinds = [kind for kind, _ in await timeline(database, incident.id)]
    assert kinds.count("notify_failed") == 2
    assert kinds.count("notified") == 1


async def test_a_permanent_error_stops_retrying_and_is_recorded_on_the_channel(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    channel = await add_channel(database, "webhook", {"url": f"{receiver.url}/gone"})
    await failing_check(database, runner)
    receiver.default = Reply(404, b"no such hook")
    clock = FakeClock(T0 + S)
    sender = notifier(database, runner, outbound(client), clock)
    await sender.deliver_due()
    clock.advance(timedelta(hours=1))
    assert await sender.deliver_due() == 0
    [(_, status, attempts, error)] = await rows(database)
    assert (status, attempts, error) == ("failed", 1, "HTTP 404: no such hook")
    async with database.read() as connection:
        recorded = await connection.scalar(
            sa.select(channels.c.last_error).where(channels.c.id == channel.id)
        )
    assert recorded == "HTTP 404: no such hook"


async def test_too_many_requests_waits_as_long_as_retry_after_says(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    await failing_check(database, runner)
    receiver.replies = [Reply(429, b"slow down", {"Retry-After": "120"})]
    clock = FakeClock(T0 + S)
    await notifier(database, runner, outbound(client), clock).deliver_due()
    assert await next_attempt(database) == clock.current + 120 * S


async def test_a_hanging_channel_times_out_without_holding_up_the_others(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    async for fast in http_receiver():
        await add_channel(database, "webhook", {"url": f"{receiver.url}/slow"}, "slow")
        await add_channel(database, "webhook", {"url": f"{fast.url}/fast"}, "fast")
        await failing_check(database, runner)
        receiver.default = Reply(delay=10)
        started = time.time()
        sender = notifier(database, runner, outbound(client, timeout=0.5), FakeClock(T0 + S))
        await sender.deliver_due()
        assert time.time() - started < 3
        assert fast.requests[0].at - started < 1
    statuses = sorted((status, error) for _, status, _, error in await rows(database))
    assert statuses == [("pending", "no answer within 0.5s"), ("sent", "")]


async def test_internal_addresses_are_refused_unless_the_operator_allows_them(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    await failing_check(database, runner)
    sender = notifier(database, runner, outbound(client, allow_private=False), FakeClock(T0 + S))
    await sender.deliver_due()
    assert receiver.requests == []
    [(_, status, _, error)] = await rows(database)
    assert status == "failed"
    assert error == (
        "refusing to send to the internal address 127.0.0.1 "
        "(TOCSIN_ALLOW_PRIVATE_WEBHOOKS=true allows it)"
    )


async def test_email_arrives_with_text_and_html_parts_and_the_acknowledge_link(
    database: Database, runner: BatchRunner, smtp: SmtpReceiver, client: HttpClient
) -> None:
    channel = await add_channel(database, "email", {"to": "ops@example.com, oncall@example.com"})
    record = await failing_check(database, runner)
    sender = notifier(database, runner, outbound(client, smtp_port=smtp.port), FakeClock(T0 + S))
    await sender.deliver_due()
    [mail] = smtp.mail
    assert mail.subject == "db backup is DOWN"
    assert mail.recipients == ["ops@example.com", "oncall@example.com"]
    text = mail.part("text/plain")
    assert "Cause: failed (exit 2)" in text
    assert "pg_dump: error" in text
    assert "Acknowledge: https://tocsin.example/incidents/" in text
    assert "Acknowledge this incident</a>" in mail.part("text/html")
    # Its Message-ID is the notification's id, as on every retry of it.
    [(notification_id, *_)] = await rows(database)
    key = uuid5(channel.uuid, str(notification_id))
    assert mail.message["Message-ID"] == f"<{key}@example.com>"
    # The channel has no name: the timeline names it by its addresses, never blank.
    [incident] = await incidents_of(database, record)
    assert ("notified", "down alert sent to email to ops@example.com and 1 more") in (
        await timeline(database, incident.id)
    )


async def test_two_notifiers_on_one_database_deliver_each_notification_once(
    settings: Settings,
    database: Database,
    runner: BatchRunner,
    receiver: HttpReceiver,
    client: HttpClient,
) -> None:
    for number in range(10):
        await add_channel(database, "webhook", {"url": f"{receiver.url}/{number}"})
    for _ in range(5):
        await failing_check(database, runner)
    others = [Database(settings) for _ in range(2)]
    runners = [batch_runner(db) for db in others]
    try:
        senders = [
            notifier(db, r, outbound(client), FakeClock(T0 + S))
            for db, r in zip(others, runners, strict=True)
        ]
        await asyncio.gather(*(s.deliver_due() for s in senders))
        await asyncio.gather(*(s.deliver_due() for s in senders))
    finally:
        for db, r in zip(others, runners, strict=True):
            await r.close()
            await db.close()
    assert len(receiver.requests) == 50
    assert len({(r.path, r.json()["incident"]["id"]) for r in receiver.requests}) == 50
    assert {status for _, status, _, _ in await rows(database)} == {"sent"}


async def test_a_notification_claimed_by_a_notifier_that_died_is_sent_by_another(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    await failing_check(database, runner)
    # A notifier claims it with a 15 s lease, then dies before sending.
    claimed = await runner.run(
        lambda writer: outbox_store.claim_due(
            writer.connection, T0 + S, T0 + 16 * S, 10, skip_locked=not writer.is_sqlite
        )
    )
    assert len(claimed) == 1
    sender = notifier(database, runner, outbound(client), FakeClock(T0 + 10 * S))
    assert await sender.deliver_due() == 0  # the lease still holds
    sender.clock = FakeClock(T0 + 17 * S)
    assert await sender.deliver_due() == 1
    assert len(receiver.requests) == 1
    [(_, status, attempts, _)] = await rows(database)
    assert (status, attempts) == ("sent", 2)


async def channel_failure(database: Database, channel_id: int) -> tuple[str, object]:
    """The channel's last error and since when it has been failing."""
    query = sa.select(channels.c.last_error, channels.c.last_error_at).where(
        channels.c.id == channel_id
    )
    async with database.read() as connection:
        row = (await connection.execute(query)).one()
    return row.last_error, row.last_error_at


async def test_a_channel_that_keeps_failing_is_retried_until_the_age_limit_and_shown_failing(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    channel = await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"}, "pager")
    record = await failing_check(database, runner)
    receiver.default = Reply(503, b"down for maintenance")
    clock = FakeClock(T0 + S)
    sender = notifier(database, runner, outbound(client), clock, max_age=timedelta(hours=1))
    tried_at = []
    while (due := await next_attempt(database)) and (await rows(database))[0][1] == "pending":
        assert isinstance(due, type(T0))
        clock.current = max(clock.current, due)
        tried_at.append(clock.current)
        await sender.deliver_due()

    [(_, status, attempts, error)] = await rows(database)
    assert (status, error) == ("failed", "HTTP 503: down for maintenance")
    # Backoff doubling from 2 s to at most 10 minutes, the last try at the age limit.
    assert 10 <= attempts == len(tried_at) == len(receiver.requests) <= 20
    assert tried_at[-1] == T0 + timedelta(hours=1)
    assert await channel_failure(database, channel.id) == (error, T0 + S)  # since the first
    [incident] = await incidents_of(database, record)
    events = await timeline(database, incident.id)
    failures = [kind for kind, _ in events if kind.startswith("notify_")]
    tellings = 1 + len([n for n in range(1, attempts) if n & (n - 1) == 0])
    assert failures == ["notify_failed"] * (tellings - 1) + ["notify_gave_up"]
    assert events[-1][1] == (
        f"down alert to pager given up after attempt {attempts}: HTTP 503: down for maintenance"
    )

    receiver.default = Reply()  # the channel works again: it is no longer failing
    await failing_check(database, runner)
    await sender.deliver_due()
    assert await channel_failure(database, channel.id) == ("", None)


class BrokenOutbound(LiveOutbound):
    """An outbound with a bug: it fails in a way nobody foresaw."""

    async def send(self, request: Request) -> None:
        raise ValueError("something nobody foresaw")


async def test_an_unexpected_error_in_delivery_is_retried_not_given_up(
    database: Database, runner: BatchRunner, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": "https://hooks.example.com/hook"})
    await failing_check(database, runner)
    smtp = SmtpSettings("", 0, "none", "", "", "tocsin@example.com")
    broken = BrokenOutbound(client, timeout=5, allow_private=True, smtp=smtp)
    await notifier(database, runner, broken, FakeClock(T0 + S)).deliver_due()
    [(_, status, attempts, error)] = await rows(database)
    assert (status, attempts) == ("pending", 1)
    assert error == "unexpected error: something nobody foresaw"


async def test_a_url_that_cannot_be_sent_is_given_up_at_once(
    database: Database, runner: BatchRunner, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": f"https://{'ä' * 70}.example/hook"})
    await failing_check(database, runner)
    await notifier(database, runner, outbound(client), FakeClock(T0 + S)).deliver_due()
    [(_, status, attempts, error)] = await rows(database)
    assert (status, attempts) == ("failed", 1)
    assert error.startswith("not a valid host name")


async def test_a_retry_carries_the_notification_id_of_the_first_attempt_and_no_other(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, client: HttpClient
) -> None:
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    await failing_check(database, runner)
    await failing_check(database, runner)
    receiver.replies = [Reply(503, b"busy"), Reply(503, b"busy")]  # both first attempts
    clock = FakeClock(T0 + S)
    sender = notifier(database, runner, outbound(client), clock)
    await sender.deliver_due()
    clock.advance(timedelta(minutes=1))
    await sender.deliver_due()

    ids: dict[int, set[str]] = defaultdict(set)
    for request in receiver.requests:
        event = request.json()
        ids[event["incident"]["id"]] |= {
            request.headers["idempotency-key"],
            request.headers["x-tocsin-notification-id"],
            event["notification_id"],
        }
    assert len(receiver.requests) == 4
    [first, second] = [one_id(found) for found in ids.values()]
    assert first != second
    assert UUID(first).version == 5


def one_id(found: set[str]) -> str:
    [only] = found
    return only


@given(st.uuids(), st.integers(min_value=1, max_value=2**63))
def test_a_notification_id_is_the_uuid5_of_its_channel_and_row(channel: UUID, row: int) -> None:
    assert name_based_uuid(channel, str(row)) == str(uuid5(channel, str(row)))


def test_the_instance_s_twilio_account_is_there_only_when_complete() -> None:
    from tocsin.alerts.notifier import instance_twilio

    complete = {
        "twilio_account_sid": "AC1",
        "twilio_auth_token": "t",
        "twilio_from": "+15550001111",
    }
    account = instance_twilio(Settings.from_env({}, **complete))
    assert account is not None
    assert (account.sid, account.from_number, account.api_url) == (
        "AC1",
        "+15550001111",
        "https://api.twilio.com",
    )
    for missing in complete:
        assert instance_twilio(Settings.from_env({}, **(complete | {missing: ""}))) is None
