"""Gotify: the message build() makes, a real delivery, and the settings."""

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, down, trial, up
from tests.receivers import HttpReceiver
from tocsin.notify.gotify import KIND, GotifyConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = GotifyConfig(url="https://push.example.com/", token="AbCdEf")


def test_a_down_message_is_high_priority_and_opens_the_ack_page() -> None:
    message = down()

    request = build(CONFIG, message)

    assert (request.method, request.url) == ("POST", "https://push.example.com/message")
    assert request.headers == {"X-Gotify-Key": "AbCdEf"}
    assert request.json == {
        "title": "nightly-backup is DOWN",
        "message": message.text(),
        "priority": 8,
        "extras": {"client::notification": {"click": {"url": ACK_URL}}},
    }


def test_an_up_message_is_lower_priority_and_opens_the_incident() -> None:
    payload = build(CONFIG, up()).json

    assert payload["priority"] == 4
    assert "Down for: 1h30m" in payload["message"]
    assert payload["extras"] == {"client::notification": {"click": {"url": INCIDENT_URL}}}


def test_a_test_without_an_incident_opens_nothing() -> None:
    assert "extras" not in build(CONFIG, trial()).json


def test_an_awkward_name_is_carried_as_it_is() -> None:
    assert build(CONFIG, down(check_name=AWKWARD_NAME)).json["title"] == f"{AWKWARD_NAME} is DOWN"


async def test_delivers_the_message_with_the_token_in_a_header(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = GotifyConfig(url=f"{receiver.url}/gotify", token="AbCdEf")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/gotify/message")
    assert received.headers["x-gotify-key"] == "AbCdEf"
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json
