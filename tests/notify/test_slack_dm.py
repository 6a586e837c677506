"""Slack direct messages: the request build() makes, a real delivery, and Slack's
200 `{"ok": false}` read as the failure it is."""

import pytest

from tests.notify.messages import down
from tests.receivers import HttpReceiver, Reply
from tocsin.notify.base import DeliveryError
from tocsin.notify.outbound import LiveOutbound
from tocsin.notify.slack import blocks
from tocsin.notify.slack_dm import KIND, SlackDmConfig, build


def config_for(receiver: HttpReceiver) -> SlackDmConfig:
    return SlackDmConfig(token="xoxb-1", member_id="U123", api_url=f"{receiver.url}/api")


def test_a_message_is_posted_to_the_member_with_the_bot_s_token() -> None:
    message = down()
    request = build(SlackDmConfig(token="xoxb-1", member_id="U123"), message)

    assert request.url == "https://slack.com/api/chat.postMessage"
    assert request.headers == {"Authorization": "Bearer xoxb-1"}
    assert request.json == {"channel": "U123", "text": message.title, "blocks": blocks(message)}


async def test_an_ok_answer_is_a_delivery(receiver: HttpReceiver, outbound: LiveOutbound) -> None:
    receiver.default = Reply(200, b'{"ok": true, "channel": "D1", "ts": "1.2"}')

    await KIND.deliver(config_for(receiver), down(), outbound)

    [received] = receiver.requests
    assert (received.path, received.json()["channel"]) == ("/api/chat.postMessage", "U123")


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        ("channel_not_found", True),
        ("invalid_auth", True),
        ("ratelimited", False),
        ("internal_error", False),
    ],
)
async def test_a_200_with_ok_false_fails_with_slack_s_error(
    receiver: HttpReceiver, outbound: LiveOutbound, error: str, permanent: bool
) -> None:
    receiver.default = Reply(200, f'{{"ok": false, "error": "{error}"}}'.encode())

    with pytest.raises(DeliveryError, match=f"^Slack: {error}$") as raised:
        await KIND.deliver(config_for(receiver), down(), outbound)

    assert raised.value.permanent is permanent


async def test_a_refusal_without_an_error_name_still_fails(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    receiver.default = Reply(200, b'{"ok": false}')

    with pytest.raises(DeliveryError, match=r"^Slack: unknown error$"):
        await KIND.deliver(config_for(receiver), down(), outbound)
