"""Telegram, through a bot: an HTML message with the facts and the output, and a button
to acknowledge.

Telegram answers 400 for a chat the bot cannot post to (a permanent error, as outbound
treats every 4xx). Its 429 says how long to wait in the JSON body
(`parameters.retry_after`), which an http_kind never sees: outbound honours a
Retry-After header if there is one and otherwise backs off as for any failure.
"""

from html import escape
from urllib.parse import urlsplit

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, ack_link, clip, http_kind, output_of
from tocsin.notify.message import Message

OUTPUT_LIMIT = 3000  # a message holds 4,096 characters, once the HTML is parsed


class TelegramConfig(ChannelConfig):
    token: str = Field(min_length=1, description="The bot's token, from @BotFather")
    chat_id: int | str = Field(description="A chat's number, or @name for a public channel")
    api_url: str = Field(default="https://api.telegram.org", min_length=1)


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
    if (link := ack_link(message)) and accepts_button_url(link):
        payload["reply_markup"] = {"inline_keyboard": [[{"text": "Acknowledge", "url": link}]]}
    url = f"{config.api_url.rstrip('/')}/bot{config.token}/sendMessage"
    return Request("POST", url, json=payload)


KIND = http_kind("telegram", "Telegram", TelegramConfig, build)
