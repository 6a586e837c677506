"""A bot's webhook, posted as Telegram posts updates (JSON, with the secret token in
X-Telegram-Bot-Api-Secret-Token), against the server in-process; the Bot API's
answerCallbackQuery and editMessageText reach a local receiver standing in for it."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.helpers import add_channel
from tests.inbound.conftest import TELEGRAM_SECRET, Site
from tests.notify.messages import down
from tests.receivers import HttpReceiver
from tocsin.domain.records import ChannelRow
from tocsin.domain.signing import shorten
from tocsin.notify import telegram
from tocsin.store import incidents as incident_store

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


async def bot(site: Site, receiver: HttpReceiver) -> ChannelRow:
    config = {"token": TOKEN, "chat_id": -1001234, "api_url": receiver.url, "interactive": True}
    return await add_channel(site.web.database, "telegram", config, "ops chat")


def alert(site: Site, incident_id: int) -> dict[str, Any]:
    """The sendMessage payload Tocsin posted for the incident."""
    config = telegram.TelegramConfig(token=TOKEN, chat_id=-1001234, interactive=True)
    message = down(incident_id=incident_id, ack_token=site.token(incident_id))
    payload: dict[str, Any] = telegram.build(config, message).json
    return payload


def update(site: Site, incident_id: int, data: str | None = None) -> dict[str, Any]:
    """A callback_query update as Telegram sends it for a press of the button: the
    message as the chat shows it (plain text, with its formatting as entities)."""
    if data is None:
        [[button]] = alert(site, incident_id)["reply_markup"]["inline_keyboard"]
        data = button["callback_data"]
    return {
        "update_id": 10000,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {
                "id": 1111111,
                "is_bot": False,
                "first_name": "Alice",
                "last_name": "Liddell",
                "username": "alice",
                "language_code": "en",
            },
            "message": {
                "message_id": 77,
                "from": {"id": 123456, "is_bot": True, "first_name": "Tocsin", "username": "tb"},
                "chat": {"id": -1001234, "title": "ops", "type": "supergroup"},
                "date": 1772370000,
                "text": "nightly-backup is DOWN\n\nCheck: nightly-backup",
                "entities": [{"offset": 0, "length": 22, "type": "bold"}],
                "reply_markup": alert(site, incident_id)["reply_markup"],
            },
            "chat_instance": "-5812345678901234567",
            "data": data,
        },
    }


async def post(
    site: Site, channel: ChannelRow | str, body: Any, secret: str | None = TELEGRAM_SECRET
) -> httpx.Response:
    uuid = channel if isinstance(channel, str) else channel.uuid
    headers = {} if secret is None else {"x-telegram-bot-api-secret-token": secret}
    path = f"/integrations/telegram/{uuid}"
    if isinstance(body, bytes):
        return await site.web.client().post(path, content=body, headers=headers)
    return await site.web.client().post(path, json=body, headers=headers)


async def status_of(site: Site, incident_id: int) -> tuple[str, str]:
    async with site.web.database.read() as connection:
        found = await connection.run_sync(incident_store.get_incident, incident_id)
    assert found is not None
    return found.status, found.acknowledged_by


def test_the_button_s_callback_data_fits_telegram_s_64_bytes() -> None:
    token = "9999999999.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlcw"
    longest = down(incident_id=999_999_999_999_999_999, ack_token=token)
    data = telegram.callback_data(longest)
    assert len(data.encode()) <= telegram.CALLBACK_LIMIT
    assert telegram.read_callback_data(data) == (999_999_999_999_999_999, shorten(token))


async def test_a_press_acknowledges_answers_it_and_edits_the_alert(
    site: Site, receiver: HttpReceiver
) -> None:
    channel = await bot(site, receiver)
    incident_id = await site.web.incident()

    response = await post(site, channel, update(site, incident_id))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "text": "Acknowledged by alice."}
    assert await status_of(site, incident_id) == ("acknowledged", "alice")
    await receiver.wait_for(2)
    answer, edit = receiver.requests
    assert answer.path == f"/bot{TOKEN}/answerCallbackQuery"
    assert answer.json() == {
        "callback_query_id": "4382bfdwdsb323b2d9",
        "text": "Acknowledged by alice.",
    }
    assert edit.path == f"/bot{TOKEN}/editMessageText"
    assert edit.json() == {
        "chat_id": -1001234,
        "message_id": 77,
        "entities": [{"offset": 0, "length": 22, "type": "bold"}],
        "text": "nightly-backup is DOWN\n\nCheck: nightly-backup\n\n✅ Acknowledged by alice",
        "disable_web_page_preview": True,
    }


@pytest.mark.parametrize("secret", [None, "", "wrong", TELEGRAM_SECRET + "x"])
async def test_an_update_without_the_webhook_s_secret_is_refused(
    site: Site, receiver: HttpReceiver, secret: str | None
) -> None:
    channel = await bot(site, receiver)
    incident_id = await site.web.incident()

    response = await post(site, channel, update(site, incident_id), secret)

    assert response.status_code == 401
    assert await status_of(site, incident_id) == ("open", "")
    assert receiver.requests == []


@pytest.mark.parametrize(
    "data", ["", "ack", "ack:x:1.y", "ack:{id}:{full}", "ack:{id}:{other}", "ack:{id}:{expired}"]
)
async def test_forged_or_expired_data_acknowledges_nothing_and_the_press_is_told(
    site: Site, receiver: HttpReceiver, data: str
) -> None:
    channel = await bot(site, receiver)
    incident_id = await site.web.incident()
    other = await site.web.incident(name="other")
    data = data.format(
        id=incident_id,
        full=site.token(incident_id),
        other=shorten(site.token(other)),
        expired=shorten(site.token(incident_id, timedelta(seconds=-1))),
    )

    response = await post(site, channel, update(site, incident_id, data))

    assert (response.status_code, response.json()["ok"]) == (200, False)
    assert await status_of(site, incident_id) == ("open", "")
    await receiver.wait_for(1)
    [answer] = receiver.requests
    assert "expired" in answer.json()["text"]


async def test_a_resolved_incident_is_answered_and_the_alert_left_as_it_is(
    site: Site, receiver: HttpReceiver
) -> None:
    from tocsin.services import incidents as incident_service

    channel = await bot(site, receiver)
    incident_id = await site.web.incident()
    await incident_service.resolve(site.web.app.web.state.services, None, incident_id, "carol")

    response = await post(site, channel, update(site, incident_id))

    assert response.json() == {"ok": False, "text": f"Incident {incident_id} is already resolved."}
    await receiver.wait_for(1)
    assert [r.path for r in receiver.requests] == [f"/bot{TOKEN}/answerCallbackQuery"]


async def test_other_updates_are_taken_and_ignored(site: Site, receiver: HttpReceiver) -> None:
    channel = await bot(site, receiver)
    message = {"update_id": 1, "message": {"message_id": 1, "text": "/start"}}
    for body in (message, {"update_id": 2, "callback_query": {"data": "ack:1:2"}}):
        response = await post(site, channel, body)
        assert response.json() == {"ok": True, "text": "Nothing to do."}
    assert receiver.requests == []


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b"\xff"])
async def test_a_body_that_is_not_an_update_is_a_400(
    site: Site, receiver: HttpReceiver, body: bytes
) -> None:
    channel = await bot(site, receiver)
    response = await post(site, channel, body)
    assert response.status_code == 400


async def test_an_unknown_channel_or_one_of_another_kind_is_a_404(
    site: Site, receiver: HttpReceiver
) -> None:
    email = await add_channel(site.web.database, "email", {"to": ["ops@example.com"]})
    for target in ("not-a-uuid", "6f1c1e5e-8a5b-4c39-9d7e-2f0a4b1c3d5e", str(email.uuid)):
        response = await post(site, target, {"update_id": 1})
        assert response.status_code == 404, target


async def test_an_odd_callback_query_is_answered_without_an_edit(
    site: Site, receiver: HttpReceiver
) -> None:
    channel = await bot(site, receiver)
    incident_id = await site.web.incident()
    odd = update(site, incident_id)
    odd["callback_query"] |= {"from": "nobody", "message": {"chat": 5}}

    response = await post(site, channel, odd)

    assert response.json() == {"ok": True, "text": "Acknowledged by someone."}
    await receiver.wait_for(1)
    assert [r.path for r in receiver.requests] == [f"/bot{TOKEN}/answerCallbackQuery"]


async def test_a_body_too_large_is_refused(site: Site, receiver: HttpReceiver) -> None:
    channel = await bot(site, receiver)
    response = await post(site, channel, b"{" + b" " * (300 * 1024) + b"}")
    assert response.status_code == 413


def test_a_channel_that_is_not_interactive_keeps_the_link_button() -> None:
    config = telegram.TelegramConfig(token=TOKEN, chat_id=1)
    message = down(incident_id=42, ack_token="1.x")
    [[button]] = telegram.build(config, message).json["reply_markup"]["inline_keyboard"]
    assert set(button) == {"text", "url"}
