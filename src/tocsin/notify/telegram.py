"""Telegram, through a bot: an HTML message with the facts and the output, and a button
to acknowledge. The button opens the alert's acknowledge page, unless the channel is
`interactive`: its bot's webhook is then Tocsin's `/integrations/telegram/<channel>`,
and the button's callback_data carries the incident and a shortened signed token for
Tocsin to acknowledge it without a browser (`callback_data` holds 64 bytes).

Telegram answers 400 for a chat the bot cannot post to (a permanent error, as outbound
treats every 4xx). Its 429 says how long to wait in the JSON body
(`parameters.retry_after`), which outbound never reads: it honours a
Retry-After header if there is one and otherwise backs off as for any failure. An
answer of 2xx with `"ok": false` is read as the same failure, by its `error_code`.
"""

from html import escape
from urllib.parse import urlsplit

from pydantic import Field

from tocsin.domain.signing import shorten
from tocsin.notify.base import (
    ChannelConfig,
    DeliveryError,
    Request,
    ack_link,
    answered_kind,
    clip,
    json_object,
    output_of,
)
from tocsin.notify.message import Message

OUTPUT_LIMIT = 3000  # a message holds 4,096 characters, once the HTML is parsed
TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data
ACK_PREFIX = "ack"


class TelegramConfig(ChannelConfig):
    token: str = Field(min_length=1, description="The bot's token, from @BotFather")
    chat_id: int | str = Field(description="A chat's number, or @name for a public channel")
    api_url: str = Field(default="https://api.telegram.org", min_length=1)
    interactive: bool = Field(
        default=False,
        description="The bot's webhook is Tocsin's /integrations/telegram/ and this channel's id",
    )


def html(message: Message) -> str:
    """Telegram's HTML subset: <b>, <pre>, <a>; everything else must be escaped."""
    lines = [f"<b>{escape(message.title)}</b>", ""]
    lines += [f"<b>{escape(label)}:</b> {escape(value)}" for label, value in message.facts()]
    if output := output_of(message):
        lines += ["", f"<pre>{escape(clip(output, OUTPUT_LIMIT))}</pre>"]
    if link := link_html(message):
        lines += ["", link]
    return "\n".join(lines)


def link_html(message: Message) -> str:
    if link := ack_link(message):
        return f'<a href="{escape(link)}">Acknowledge</a>'
    if message.incident_url:
        return f'<a href="{escape(message.incident_url)}">Open incident</a>'
    return ""


def accepts_button_url(url: str) -> bool:
    """Telegram refuses (400) a button whose host has no dot, such as localhost: keep
    the link in the text only, rather than lose the whole message."""
    return "." in (urlsplit(url).hostname or "")


def build(config: TelegramConfig, message: Message) -> Request:
    payload: dict[str, object] = {
        "chat_id": config.chat_id,
        "text": html(message),
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }
    if button := ack_button(config, message):
        payload["reply_markup"] = {"inline_keyboard": [[button]]}
    return bot_request(config, "sendMessage", payload)


def ack_button(config: TelegramConfig, message: Message) -> dict[str, str] | None:
    link = ack_link(message)
    if not link:
        return None
    if config.interactive and message.incident_id is not None and message.ack_token:
        return {"text": "Acknowledge", "callback_data": callback_data(message)}
    return {"text": "Acknowledge", "url": link} if accepts_button_url(link) else None


def callback_data(message: Message) -> str:
    """`ack:42:1772370000.<22 characters>`: at most 56 bytes."""
    return f"{ACK_PREFIX}:{message.incident_id}:{shorten(message.ack_token)}"


def read_callback_data(data: str) -> tuple[int, str] | None:
    """(incident id, short token) from a button's callback_data; None for any other."""
    prefix, _, rest = data.partition(":")
    number, _, token = rest.partition(":")
    if prefix != ACK_PREFIX or not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return int(number), token


def bot_request(config: TelegramConfig, method: str, payload: dict[str, object]) -> Request:
    url = f"{config.api_url.rstrip('/')}/bot{config.token}/{method}"
    return Request("POST", url, json=payload)


def answer_callback(config: TelegramConfig, query_id: str, text: str) -> Request:
    """The note the presser sees at the top of the chat, which stops the button's spinner."""
    return bot_request(
        config, "answerCallbackQuery", {"callback_query_id": query_id, "text": clip(text, 200)}
    )


def acknowledged(
    config: TelegramConfig,
    chat_id: int | str,
    message_id: int,
    original: str,
    entities: object,
    who: str,
) -> Request:
    """The alert edited in place: its text as it was, with its formatting (the entities
    Telegram sent back, whose offsets the added line does not move), a line saying who
    acknowledged, and no more button."""
    note = f"\n\n✅ Acknowledged by {who}"
    text = original + note
    payload: dict[str, object] = {"chat_id": chat_id, "message_id": message_id}
    if len(text) > TEXT_LIMIT:  # the formatting is lost with the cut
        text = clip(original, TEXT_LIMIT - len(note)) + note
    elif isinstance(entities, list):
        payload["entities"] = entities
    payload |= {"text": text, "disable_web_page_preview": True}
    return bot_request(config, "editMessageText", payload)


def refusal(answer: bytes) -> DeliveryError | None:
    """`{"ok": false, "error_code": 403, "description": "…"}` as a failed delivery,
    passing (429, 5xx) or not as its code says."""
    found = json_object(answer)
    if found.get("ok") is not False:
        return None
    code = found.get("error_code")
    passing = isinstance(code, int) and (code == 429 or code >= 500)
    description = str(found.get("description") or "unknown error")
    return DeliveryError(f"Telegram: {description}", permanent=not passing)


KIND = answered_kind("telegram", "Telegram", TelegramConfig, build, refusal)
