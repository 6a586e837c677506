"""ntfy: the request build() makes, a real delivery, and the settings."""

from email.header import decode_header, make_header

import pytest

from tests.notify.messages import ACK_URL, INCIDENT_URL, down, trial, up
from tests.receivers import HttpReceiver
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.ntfy import KIND, NtfyConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = NtfyConfig(url="https://ntfy.sh/backups")


def decoded(header: str) -> str:
    return str(make_header(decode_header(header)))


def test_a_down_message_is_urgent_with_the_text_as_body_and_an_acknowledge_action() -> None:
    message = down()

    request = build(CONFIG, message)

    assert (request.method, request.url) == ("POST", "https://ntfy.sh/backups")
    assert request.content == message.text().encode()
    assert request.headers == {
        "Title": "nightly-backup is DOWN",
        "X-Priority": "4",
        "Tags": "rotating_light",
        "Actions": f"view, Acknowledge, {ACK_URL}",
        "Click": INCIDENT_URL,
    }


def test_an_up_message_is_calm_and_has_nothing_to_acknowledge() -> None:
    request = build(CONFIG, up())

    assert request.headers["X-Priority"] == "3"
    assert request.headers["Tags"] == "white_check_mark"
    assert "Actions" not in request.headers
    assert request.content is not None
    assert b"Down for: 1h30m" in request.content


def test_the_configured_priority_is_for_alerts_not_recoveries() -> None:
    config = NtfyConfig(url=CONFIG.url, priority=5)

    assert build(config, down()).headers["X-Priority"] == "5"
    assert build(config, trial()).headers["X-Priority"] == "5"
    assert build(config, up()).headers["X-Priority"] == "3"


def test_a_title_beyond_ascii_is_rfc2047_encoded() -> None:
    title = build(CONFIG, down(check_name="Sauvegarde été ☀")).headers["Title"]

    assert title.isascii()
    assert title.startswith("=?UTF-8?B?")
    assert decoded(title) == "Sauvegarde été ☀ is DOWN"


def test_links_beyond_ascii_are_encoded_too() -> None:
    headers = build(CONFIG, down(ack_url="https://tocsin.exämple.com/i/42?token=t")).headers

    assert (
        decoded(headers["Actions"]) == "view, Acknowledge, https://tocsin.exämple.com/i/42?token=t"
    )


def test_quotes_and_markup_in_an_ascii_title_go_as_they_are() -> None:
    title = build(CONFIG, down(check_name='Nightly "backup" <db> & co')).headers["Title"]

    assert title == 'Nightly "backup" <db> & co is DOWN'


def test_a_long_body_is_cut_to_what_ntfy_keeps_as_a_message() -> None:
    request = build(CONFIG, down(body_excerpt="é" * 4000))

    assert request.content is not None
    assert len(request.content) <= 4096
    assert request.content.decode().endswith("…")


async def test_delivers_to_the_topic_with_its_token(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = NtfyConfig(url=f"{receiver.url}/backups", token="tk_secret")
    message = down(check_name="Sauvegarde été ☀")

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/backups")
    assert received.body == message.text().encode()
    assert received.headers["authorization"] == "Bearer tk_secret"
    assert decoded(received.headers["title"]) == "Sauvegarde été ☀ is DOWN"
    assert received.headers["x-priority"] == "4"
    assert received.headers["tags"] == "rotating_light"
    assert received.headers["actions"] == f"view, Acknowledge, {ACK_URL}"


def test_the_url_must_name_a_topic() -> None:
    with pytest.raises(ChannelConfigError, match=r"^url: Value error, must end with the topic"):
        parse_config(KIND, {"url": "https://ntfy.sh/"})


def test_priority_is_one_to_five() -> None:
    with pytest.raises(ChannelConfigError, match=r"^priority: Input should be less than or equal"):
        parse_config(KIND, {"url": "https://ntfy.sh/backups", "priority": "6"})
