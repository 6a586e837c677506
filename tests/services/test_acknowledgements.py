"""An acknowledgement reaches the services that act on it, through the outbox and a
real notifier against a local receiver: PagerDuty and Opsgenie acknowledge their
alert, Pushover's emergency receipts are cancelled (on acknowledgement, or on a
recovery nobody acknowledged), and every other kind hears nothing."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.alerts.test_notifier import notifier, outbound
from tests.helpers import add_channel, outbox, timeline
from tests.receivers import HttpReceiver, Reply
from tests.services.conftest import Recorder
from tests.services.test_incidents import failed_check, only_incident
from tocsin.alerts.notifier import Notifier
from tocsin.domain.records import ChannelRow
from tocsin.notify.http import http_client
from tocsin.services import incidents as incident_service
from tocsin.store.fastpath.runners import BatchRunner

S = timedelta(seconds=1)
RECEIPT = "rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"
PUSHOVER_ANSWER = b'{"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b","receipt":"%s"}'


@pytest.fixture
async def sender(context: Recorder, runner: BatchRunner) -> AsyncIterator[Notifier]:
    async with http_client() as client:
        yield notifier(context.database, runner, outbound(client), context.clock)


async def channels(context: Recorder, url: str) -> dict[str, ChannelRow]:
    database = context.database
    return {
        "pagerduty": await add_channel(
            database, "pagerduty", {"routing_key": "R0UT3", "api_url": f"{url}/v2/enqueue"}, "pd"
        ),
        "opsgenie": await add_channel(database, "opsgenie", {"api_key": "K", "api_url": url}, "og"),
        "pushover": await add_channel(
            database,
            "pushover",
            {"user_key": "u", "app_token": "a", "priority": 2, "api_url": f"{url}/1/messages.json"},
            "po",
        ),
        "slack": await add_channel(database, "slack", {"url": f"{url}/slack"}, "sl"),
    }


@dataclass
class Alerted:
    channels: dict[str, ChannelRow]
    incident_id: int
    key: str  # PagerDuty's dedup_key, Opsgenie's alias


async def alerted(
    context: Recorder, runner: BatchRunner, receiver: HttpReceiver, sender: Notifier
) -> Alerted:
    """Four channels alerted of one incident, Pushover's alert answered with a receipt."""
    made = await channels(context, receiver.url)
    receiver.default = Reply(body=PUSHOVER_ANSWER % RECEIPT.encode())
    record = await failed_check(context, runner)
    assert await sender.deliver_due() == 4
    receiver.requests.clear()
    incident_id = (await only_incident(context, record)).id
    return Alerted(made, incident_id, f"tocsin-{record.uuid}-{incident_id}")


async def test_acknowledging_acknowledges_pagerduty_and_opsgenie_and_cancels_the_receipt(
    context: Recorder, runner: BatchRunner, receiver: HttpReceiver, sender: Notifier
) -> None:
    found = await alerted(context, runner, receiver, sender)
    context.clock.advance(5 * S)

    await incident_service.acknowledge(context, None, found.incident_id, "alice", "the web app")
    assert context.wakes == 1
    assert await sender.deliver_due() == 3

    by_path = {request.path: request for request in receiver.requests}
    assert set(by_path) == {
        "/v2/enqueue",
        f"/v2/alerts/{found.key}/acknowledge?identifierType=alias",
        f"/1/receipts/{RECEIPT}/cancel.json",
    }
    assert by_path["/v2/enqueue"].json() == {
        "routing_key": "R0UT3",
        "event_action": "acknowledge",
        "dedup_key": found.key,
    }
    opsgenie = next(r for r in receiver.requests if r.path.startswith("/v2/alerts/"))
    assert opsgenie.headers["authorization"] == "GenieKey K"
    assert opsgenie.json() == {
        "source": "Tocsin",
        "note": "Acknowledged in Tocsin by alice.",
        "user": "alice",
    }
    assert by_path[f"/1/receipts/{RECEIPT}/cancel.json"].json() == {"token": "a"}
    acks = [(c, s) for c, kind, s in await outbox(context.database) if kind == "ack"]
    assert sorted(acks) == sorted(
        (found.channels[name].id, "sent") for name in ("pagerduty", "opsgenie", "pushover")
    )
    assert ("notified", "acknowledgement sent to pd") in await timeline(
        context.database, found.incident_id
    )


async def test_a_resolve_after_an_acknowledgement_resolves_and_cancels_nothing_twice(
    context: Recorder, runner: BatchRunner, receiver: HttpReceiver, sender: Notifier
) -> None:
    found = await alerted(context, runner, receiver, sender)
    await incident_service.acknowledge(context, None, found.incident_id, "alice", "the API")
    await sender.deliver_due()
    receiver.requests.clear()

    await incident_service.resolve(context, None, found.incident_id, "alice")
    assert await sender.deliver_due() == 4
    paths = sorted(request.path for request in receiver.requests)
    assert not [path for path in paths if "/receipts/" in path]
    [pagerduty] = receiver.on("/v2/enqueue")
    assert pagerduty.json()["event_action"] == "resolve"


async def test_a_recovery_nobody_acknowledged_cancels_the_receipt_even_if_it_expired(
    context: Recorder, runner: BatchRunner, receiver: HttpReceiver, sender: Notifier
) -> None:
    config = {"user_key": "u", "app_token": "a", "priority": 2}
    pushover = await add_channel(
        context.database, "pushover", config | {"api_url": f"{receiver.url}/1/messages.json"}
    )
    receiver.default = Reply(body=PUSHOVER_ANSWER % RECEIPT.encode())
    record = await failed_check(context, runner)
    await sender.deliver_due()
    incident = await only_incident(context, record)
    await incident_service.resolve(context, None, incident.id, "bob")
    # Pushover no longer knows the receipt: the recovery goes out all the same.
    receiver.replies = [Reply(400, b'{"status":0,"errors":["receipt not found"]}')]

    assert await sender.deliver_due() == 1
    paths = [request.path for request in receiver.requests]
    assert paths == ["/1/messages.json", f"/1/receipts/{RECEIPT}/cancel.json", "/1/messages.json"]
    assert receiver.requests[-1].json()["priority"] == 0
    assert (pushover.id, "up", "sent") in await outbox(context.database)


async def test_acknowledging_an_incident_no_acting_channel_heard_of_queues_nothing(
    context: Recorder, runner: BatchRunner, receiver: HttpReceiver, sender: Notifier
) -> None:
    await add_channel(context.database, "slack", {"url": f"{receiver.url}/slack"})
    await add_channel(
        context.database,
        "pushover",
        {"user_key": "u", "app_token": "a", "api_url": f"{receiver.url}/1/messages.json"},
    )
    record = await failed_check(context, runner)
    await sender.deliver_due()
    incident = await only_incident(context, record)

    await incident_service.acknowledge(context, None, incident.id, "carol", "the CLI")
    assert context.wakes == 0
    assert [kind for _, kind, _ in await outbox(context.database)] == ["down", "down"]
