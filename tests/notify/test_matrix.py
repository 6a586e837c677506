"""Matrix: the room message build() makes, a real delivery, and the settings."""

from datetime import timedelta
from urllib.parse import unquote

import pytest

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, NOW, down, nag, trial, up
from tests.receivers import HttpReceiver
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.matrix import KIND, MatrixConfig, build, transaction_id
from tocsin.notify.outbound import LiveOutbound

CONFIG = MatrixConfig(
    homeserver="https://matrix.example.org/", access_token="syt_secret", room_id="!abc:example.org"
)
KEY = "0b6c3d8e-5f4a-5b2c-9d1e-7a8b9c0d1e2f"
ROOM_PATH = "/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/"


def test_a_down_message_is_a_room_message_with_html_and_plain_text() -> None:
    message = down()

    request = build(CONFIG, message)

    assert request.method == "PUT"
    assert request.url == f"https://matrix.example.org{ROOM_PATH}{transaction_id(message)}"
    assert request.headers == {"Authorization": "Bearer syt_secret"}
    assert request.json == {
        "msgtype": "m.text",
        "body": message.text(),
        "format": "org.matrix.custom.html",
        "formatted_body": "<br>".join(
            [
                "<b>nightly-backup is DOWN</b>",
                "<b>Check:</b> nightly-backup",
                "<b>Cause:</b> Exited with status 12",
                "<b>Last ping:</b> 2026-03-01 11:00:00 UTC",
                "<b>Expected:</b> 2026-03-01 11:55:00 UTC",
                "<b>Tags:</b> prod db",
            ]
        )
        + "<pre><code>rsync: connection refused\nexit code 12</code></pre>"
        + f'<p><a href="{ACK_URL}">Acknowledge</a></p>',
    }


def test_an_up_message_says_how_long_and_links_the_incident() -> None:
    html = build(CONFIG, up()).json["formatted_body"]

    assert "<b>Down for:</b> 1h30m" in html
    assert "<pre>" not in html
    assert html.endswith(f'<p><a href="{INCIDENT_URL}">Open the incident</a></p>')


def test_html_in_a_name_is_escaped_in_the_formatted_body_only() -> None:
    payload = build(CONFIG, down(check_name=AWKWARD_NAME)).json

    assert payload["formatted_body"].startswith(
        "<b>Nightly &quot;backup&quot; &lt;db&gt; &amp; co 🚀 is DOWN</b>"
    )
    assert payload["body"].startswith(f"{AWKWARD_NAME} is DOWN\n")


def test_a_retry_reuses_the_transaction_id_though_time_and_ack_link_moved_on() -> None:
    first = down(notification_key=KEY)
    retry = down(notification_key=KEY, now=NOW + timedelta(minutes=3), ack_url=f"{ACK_URL}-x")

    assert build(CONFIG, retry).url == build(CONFIG, first).url


def test_each_notification_has_its_own_transaction_id() -> None:
    ids = {transaction_id(nag()) for _ in range(3)}

    assert len(ids) == 3


def test_each_test_sent_directly_is_a_notification_of_its_own() -> None:
    assert transaction_id(trial()) != transaction_id(trial())


async def test_delivers_the_message_to_the_room(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    receiver.default.body = b'{"event_id":"$abc"}'
    config = MatrixConfig(
        homeserver=receiver.url, access_token="syt_secret", room_id=CONFIG.room_id
    )
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert received.method == "PUT"
    # aiohttp sends the room ID's ! and : unescaped: a path may hold both as they
    # are, and a homeserver decodes either spelling.
    assert unquote(received.path) == unquote(f"{ROOM_PATH}{transaction_id(message)}")
    assert received.headers["authorization"] == "Bearer syt_secret"
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json


def test_a_room_alias_is_refused_with_where_to_find_the_id() -> None:
    settings = {"homeserver": "https://m.org", "access_token": "t", "room_id": "#ops:m.org"}

    with pytest.raises(ChannelConfigError, match=r"^room_id: Value error, must be a room ID such"):
        parse_config(KIND, settings)
