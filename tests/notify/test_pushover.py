"""Pushover: the message build() makes, a real delivery, and the settings."""

import pytest

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, OUTPUT, down, up
from tests.receivers import HttpReceiver, Reply
from tocsin.notify.base import ChannelConfigError, DeliveryError, parse_config
from tocsin.notify.outbound import LiveOutbound
from tocsin.notify.pushover import KIND, PushoverConfig, build, cancel, receipt_in

CONFIG = PushoverConfig(user_key="ukey", app_token="atoken")


def test_a_down_message_is_high_priority_with_the_ack_link() -> None:
    request = build(CONFIG, down())

    assert (request.method, request.url) == ("POST", "https://api.pushover.net/1/messages.json")
    assert request.json == {
        "token": "atoken",
        "user": "ukey",
        "title": "nightly-backup is DOWN",
        "message": "\n".join(
            [
                "Check: nightly-backup",
                "Cause: Exited with status 12",
                "Last ping: 2026-03-01 11:00:00 UTC",
                "Expected: 2026-03-01 11:55:00 UTC",
                "Tags: prod db",
                "",
                OUTPUT,
            ]
        ),
        "priority": 1,
        "url": ACK_URL,
        "url_title": "Acknowledge",
    }


def test_an_up_message_is_normal_priority_and_links_the_incident() -> None:
    payload = build(CONFIG, up()).json

    assert payload["priority"] == 0
    assert "Down for: 1h30m" in payload["message"]
    assert OUTPUT not in payload["message"]
    assert (payload["url"], payload["url_title"]) == (INCIDENT_URL, "Open incident")


def test_emergency_priority_says_how_often_and_how_long_to_repeat() -> None:
    config = PushoverConfig(user_key="u", app_token="a", priority=2)

    payload = build(config, down()).json
    assert (payload["priority"], payload["retry"], payload["expire"]) == (2, 60, 3600)
    assert "retry" not in build(config, up()).json


def test_a_long_message_is_cut_to_pushover_s_limit() -> None:
    message = build(CONFIG, down(body_excerpt="x" * 2000)).json["message"]

    assert len(message) == 1024
    assert message.endswith("…")


def test_an_awkward_name_is_carried_as_it_is() -> None:
    payload = build(CONFIG, down(check_name=AWKWARD_NAME)).json

    assert payload["title"] == f"{AWKWARD_NAME} is DOWN"
    assert payload["message"].startswith(f"Check: {AWKWARD_NAME}\n")


async def test_delivers_the_message_to_the_api(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = PushoverConfig(user_key="u", app_token="a", api_url=f"{receiver.url}/1/messages.json")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/1/messages.json")
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json


def test_priority_is_minus_two_to_two() -> None:
    with pytest.raises(ChannelConfigError, match=r"^priority: Input should be less than or equal"):
        parse_config(KIND, {"user_key": "u", "app_token": "a", "priority": 3})


def test_only_a_well_formed_receipt_is_kept_from_the_answer() -> None:
    assert receipt_in(b'{"status":1,"receipt":"rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"}') == (
        "rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"
    )
    for answer in (b'{"status":1}', b"[1]", b"not json", b'{"receipt":"../x"}', b'{"receipt":7}'):
        assert receipt_in(answer) is None


def test_a_receipt_is_cancelled_next_to_the_messages_endpoint() -> None:
    request = cancel(CONFIG, "abc123")
    assert (request.url, request.json) == (
        "https://api.pushover.net/1/receipts/abc123/cancel.json",
        {"token": "atoken"},
    )


async def test_an_acknowledgement_cancels_every_receipt_and_sends_nothing_else(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = PushoverConfig(user_key="u", app_token="a", api_url=f"{receiver.url}/1/messages.json")

    assert await KIND.deliver(config, down(kind="ack", receipts=("r1", "r2")), outbound) is None
    assert [r.path for r in receiver.requests] == [
        "/1/receipts/r1/cancel.json",
        "/1/receipts/r2/cancel.json",
    ]


async def test_a_2xx_with_a_status_other_than_1_fails_with_pushover_s_errors(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    answer = b'{"status": 0, "errors": ["user identifier is invalid"], "request": "r"}'
    receiver.default = Reply(200, answer)
    config = PushoverConfig(user_key="u", app_token="a", api_url=f"{receiver.url}/1/messages.json")

    with pytest.raises(DeliveryError, match=r"^Pushover: user identifier is invalid$") as raised:
        await KIND.deliver(config, down(), outbound)

    assert raised.value.permanent
