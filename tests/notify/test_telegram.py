"""Telegram: the sendMessage call build() makes, real deliveries, and the settings."""

import pytest

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, down, up
from tests.receivers import HttpReceiver, Reply
from tocsin.notify.base import DeliveryError
from tocsin.notify.outbound import LiveOutbound
from tocsin.notify.telegram import KIND, TelegramConfig, build

CONFIG = TelegramConfig(token="123456:ABC-def", chat_id=-1001234567890)
ACK_BUTTON = {"inline_keyboard": [[{"text": "Acknowledge", "url": ACK_URL}]]}


def test_a_down_message_is_html_with_the_output_and_an_acknowledge_button() -> None:
    request = build(CONFIG, down())

    assert request.method == "POST"
    assert request.url == "https://api.telegram.org/bot123456:ABC-def/sendMessage"
    payload = request.json
    assert payload["chat_id"] == -1001234567890
    assert (payload["parse_mode"], payload["disable_web_page_preview"]) == ("HTML", True)
    assert payload["text"] == "\n".join(
        [
            "<b>nightly-backup is DOWN</b>",
            "",
            "<b>Check:</b> nightly-backup",
            "<b>Cause:</b> Exited with status 12",
            "<b>Last ping:</b> 2026-03-01 11:00:00 UTC",
            "<b>Expected:</b> 2026-03-01 11:55:00 UTC",
            "<b>Tags:</b> prod db",
            "",
            "<pre>rsync: connection refused\nexit code 12</pre>",
            "",
            f'<a href="{ACK_URL}">Acknowledge</a>',
        ]
    )
    assert payload["reply_markup"] == ACK_BUTTON


def test_an_up_message_says_how_long_and_links_the_incident_without_a_button() -> None:
    payload = build(CONFIG, up()).json

    assert payload["text"].startswith("<b>nightly-backup is UP again</b>\n")
    assert "<b>Down for:</b> 1h30m" in payload["text"]
    assert "<pre>" not in payload["text"]
    assert payload["text"].endswith(f'<a href="{INCIDENT_URL}">Open incident</a>')
    assert "reply_markup" not in payload


def test_html_in_a_name_or_the_output_is_escaped() -> None:
    message = down(check_name=AWKWARD_NAME, body_excerpt="<b>not bold</b> & done")

    text = build(CONFIG, message).json["text"]

    assert text.startswith("<b>Nightly &quot;backup&quot; &lt;db&gt; &amp; co 🚀 is DOWN</b>")
    assert "<pre>&lt;b&gt;not bold&lt;/b&gt; &amp; done</pre>" in text


def test_a_link_to_localhost_stays_in_the_text_because_telegram_refuses_such_buttons() -> None:
    link = "http://localhost:8000/incidents/42?token=t"

    payload = build(CONFIG, down(ack_url=link)).json

    assert "reply_markup" not in payload
    assert f'<a href="{link}">Acknowledge</a>' in payload["text"]


async def test_delivers_through_the_bot_api(receiver: HttpReceiver, outbound: LiveOutbound) -> None:
    receiver.default = Reply(body=b'{"ok":true,"result":{"message_id":1}}')
    config = TelegramConfig(token="123456:ABC-def", chat_id="@ops_alerts", api_url=receiver.url)
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/bot123456:ABC-def/sendMessage")
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json
    assert received.json()["chat_id"] == "@ops_alerts"


async def test_a_chat_the_bot_cannot_reach_is_a_permanent_error(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    receiver.replies = [
        Reply(400, b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}')
    ]
    config = TelegramConfig(token="t", chat_id=1, api_url=receiver.url)

    with pytest.raises(DeliveryError, match=r"chat not found") as raised:
        await KIND.deliver(config, down(), outbound)

    assert raised.value.permanent


async def test_too_many_requests_is_retried_after_the_header_s_delay(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    body = b'{"ok":false,"error_code":429,"parameters":{"retry_after":7}}'
    receiver.replies = [Reply(429, body, headers={"Retry-After": "7"})]
    config = TelegramConfig(token="t", chat_id=1, api_url=receiver.url)

    with pytest.raises(DeliveryError) as raised:
        await KIND.deliver(config, down(), outbound)

    assert not raised.value.permanent
    assert raised.value.retry_after == 7


@pytest.mark.parametrize(("code", "permanent"), [(403, True), (400, True), (429, False)])
async def test_a_2xx_with_ok_false_fails_with_telegram_s_description(
    receiver: HttpReceiver, outbound: LiveOutbound, code: int, permanent: bool
) -> None:
    answer = f'{{"ok": false, "error_code": {code}, "description": "Forbidden: blocked"}}'
    receiver.default = Reply(200, answer.encode())
    config = TelegramConfig(token="123:abc", chat_id=42, api_url=receiver.url)

    with pytest.raises(DeliveryError, match=r"^Telegram: Forbidden: blocked$") as raised:
        await KIND.deliver(config, down(), outbound)

    assert raised.value.permanent is permanent


async def test_an_ok_answer_is_a_delivery(receiver: HttpReceiver, outbound: LiveOutbound) -> None:
    receiver.default = Reply(200, b'{"ok": true, "result": {"message_id": 1}}')
    config = TelegramConfig(token="123:abc", chat_id=42, api_url=receiver.url)

    await KIND.deliver(config, down(), outbound)

    assert len(receiver.requests) == 1
