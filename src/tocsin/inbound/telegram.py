"""A Telegram bot's webhook, `/integrations/telegram/<channel uuid>`: a press of an
alert's Acknowledge button (a `callback_query` update) acknowledges the incident its
callback_data names, answers the press (the note that stops the button's spinner)
and edits the alert to say who acknowledged. The channel gives the bot's token.

Telegram proves a request is its own with the `secret_token` given to `setWebhook`,
sent back in X-Telegram-Bot-Api-Secret-Token: it must equal
TOCSIN_TELEGRAM_WEBHOOK_SECRET (401 otherwise). Telegram retries an update it did not
get a 2xx for, so every genuine update is answered 200, whatever became of it; other
updates (messages to the bot) are ignored."""

import hmac
import json
import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, Response

from tocsin.domain.signing import ACK_PURPOSE, verify_short
from tocsin.inbound.common import (
    Outcome,
    RefusalError,
    acknowledge,
    read_body,
    send_replies,
    who_from,
)
from tocsin.notify import telegram
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.base import Request as Outgoing
from tocsin.services.context import Context
from tocsin.services.requests import ServicesDep
from tocsin.store.channels import channel_by_uuid

router = APIRouter(include_in_schema=False)


@router.post("/integrations/telegram/{channel_uuid}")
async def update(
    request: Request, services: ServicesDep, background: BackgroundTasks, channel_uuid: str
) -> Response:
    try:
        check_secret(services, request)
        body = await read_body(request)
        config = await bot_of(services, channel_uuid)
        query = callback_query(body)
    except RefusalError as refusal:
        return refusal.response()
    if query is None:
        return JSONResponse({"ok": True, "text": "Nothing to do."})
    outcome = await press(services, query)
    background.add_task(send_replies, services, replies(config, query, outcome))
    return JSONResponse({"ok": outcome.acknowledged, "text": outcome.text})


def check_secret(context: Context, request: Request) -> None:
    expected = context.settings.telegram_webhook_secret
    if not expected:
        raise RefusalError(
            401, "TOCSIN_TELEGRAM_WEBHOOK_SECRET is not set: Telegram's requests are refused"
        )
    sent = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise RefusalError(401, "X-Telegram-Bot-Api-Secret-Token is not the webhook's secret")


async def bot_of(context: Context, channel_uuid: str) -> telegram.TelegramConfig:
    try:
        wanted = uuid.UUID(channel_uuid)
    except ValueError:
        raise RefusalError(404, f"no channel {channel_uuid}") from None
    async with context.database.read() as connection:
        channel = await connection.run_sync(channel_by_uuid, wanted)
    if channel is None or channel.kind != "telegram":
        raise RefusalError(404, f"no Telegram channel {channel_uuid}")
    try:
        config = parse_config(telegram.KIND, channel.config)
    except ChannelConfigError as error:
        raise RefusalError(409, f"the channel's settings are not valid: {error}") from None
    assert isinstance(config, telegram.TelegramConfig)
    return config


def callback_query(body: bytes) -> dict[str, Any] | None:
    """The update's callback query, if it is one with an id; None for other updates."""
    try:
        found = json.loads(body)
    except ValueError:
        raise RefusalError(400, "the update is not JSON") from None
    if not isinstance(found, dict):
        raise RefusalError(400, "the update is not a JSON object")
    query = found.get("callback_query")
    if not isinstance(query, dict) or not isinstance(query.get("id"), str):
        return None
    return query


async def press(context: Context, query: dict[str, Any]) -> Outcome:
    data = query.get("data")
    found = telegram.read_callback_data(data) if isinstance(data, str) else None
    now = context.clock.now()
    if found is None or not verify_short(context.secret, found[1], ACK_PURPOSE, found[0], now):
        return Outcome(False, "This button has expired: acknowledge the incident in Tocsin.")
    person = query.get("from") if isinstance(query.get("from"), dict) else {}
    assert isinstance(person, dict)
    full_name = " ".join(
        part
        for part in (person.get("first_name"), person.get("last_name"))
        if isinstance(part, str)
    )
    who = who_from(person.get("username"), full_name, str(person.get("id", "")))
    return await acknowledge(context, found[0], who, "Telegram")


def replies(
    config: telegram.TelegramConfig, query: dict[str, Any], outcome: Outcome
) -> list[Outgoing]:
    """The answer to the press, then (once acknowledged) the alert edited."""
    sent = [telegram.answer_callback(config, query["id"], outcome.text)]
    message = query.get("message")
    if not outcome.acknowledged or not isinstance(message, dict):
        return sent
    chat = message.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    message_id = message.get("message_id")
    text = message.get("text")
    if isinstance(chat_id, int | str) and isinstance(message_id, int) and isinstance(text, str):
        sent.append(
            telegram.acknowledged(
                config, chat_id, message_id, text, message.get("entities"), outcome.by
            )
        )
    return sent
