"""Gotify (self-hosted push): the plain text, and a tap on the notification opens the
acknowledge page, or the incident."""

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, ack_link, http_kind
from tocsin.notify.message import Message

# Gotify's Android app: 4-7 plays a sound, 8-10 also vibrates.
ALERT_PRIORITY = 8
RECOVERY_PRIORITY = 4


class GotifyConfig(ChannelConfig):
    url: str = Field(
        min_length=1, description="The server's address, e.g. https://push.example.com"
    )
    token: str = Field(min_length=1, description="An application token")


def build(config: GotifyConfig, message: Message) -> Request:
    payload: dict[str, object] = {
        "title": message.title,
        "message": message.text(),
        "priority": RECOVERY_PRIORITY if message.kind == "up" else ALERT_PRIORITY,
    }
    if link := ack_link(message) or message.incident_url:
        payload["extras"] = {"client::notification": {"click": {"url": link}}}
    return Request(
        "POST",
        f"{config.url.rstrip('/')}/message",
        json=payload,
        # A header, not ?token=: tokens in URLs end up in proxies' access logs.
        headers={"X-Gotify-Key": config.token},
    )


KIND = http_kind("gotify", "Gotify", GotifyConfig, build)
