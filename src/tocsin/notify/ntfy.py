"""ntfy (ntfy.sh or your own server): the plain text as the body, and the title,
priority, tags and an Acknowledge action in headers.

HTTP headers have no character set: httpx refuses anything beyond ASCII, aiohttp
sends UTF-8 bytes that a proxy or server may take for Latin-1 ("Ã©tÃ©"). So a header
value beyond ASCII is sent RFC 2047-encoded (=?UTF-8?B?…?=), which ntfy decodes
since v2.4.0.
"""

import base64
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from tocsin.notify.base import ChannelConfig, Request, ack_link, http_kind
from tocsin.notify.message import Message

ALERT_PRIORITY = 4  # "high": a long vibration
RECOVERY_PRIORITY = 3  # "default"
# ntfy turns a longer body into an attachment (its default message-size-limit).
BODY_LIMIT = 4096
TAGS = {"down": "rotating_light", "nag": "rotating_light", "up": "white_check_mark", "test": "bell"}


class NtfyConfig(ChannelConfig):
    url: str = Field(description="The server and topic, e.g. https://ntfy.sh/backups")
    token: str | None = Field(default=None, description="An access token, for a protected topic")
    priority: int | None = Field(
        default=None, ge=1, le=5, description="Priority of alerts and tests (recoveries stay at 3)"
    )

    @field_validator("url")
    @classmethod
    def check_topic(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL, e.g. https://ntfy.sh/backups")
        if not parts.path.strip("/"):
            raise ValueError("must end with the topic, e.g. https://ntfy.sh/backups")
        return value


def header_text(value: str) -> str:
    # Plain ASCII goes as it is, unless ntfy would take it for an encoded word.
    if value.isascii() and "=?" not in value:
        return value
    encoded = base64.b64encode(value.encode()).decode()
    return f"=?UTF-8?B?{encoded}?="


def priority(config: NtfyConfig, message: Message) -> int:
    if message.kind == "up":
        return RECOVERY_PRIORITY
    return config.priority or ALERT_PRIORITY


def body(message: Message) -> bytes:
    text = message.text().encode()
    if len(text) <= BODY_LIMIT:
        return text
    ellipsis = "…".encode()
    # Cutting may split a character: drop its remains rather than send invalid UTF-8.
    kept = text[: BODY_LIMIT - len(ellipsis)].decode(errors="ignore")
    return kept.encode() + ellipsis


def build(config: NtfyConfig, message: Message) -> Request:
    # "Priority" collides with the RFC 9218 header that proxies such as Cloudflare add;
    # ntfy reads X-Priority just the same.
    headers = {
        "Title": header_text(message.title),
        "X-Priority": str(priority(config, message)),
        "Tags": TAGS[message.kind],
    }
    if link := ack_link(message):
        headers["Actions"] = header_text(f"view, Acknowledge, {link}")
    if message.incident_url:
        headers["Click"] = header_text(message.incident_url)
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    return Request("POST", config.url, content=body(message), headers=headers)


KIND = http_kind("ntfy", "ntfy", NtfyConfig, build)
