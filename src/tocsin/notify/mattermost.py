"""Mattermost incoming webhook, with a Slack-style attachment: coloured bar, facts as
fields, the output in a code block and the title linking to the acknowledge page."""

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, ack_link, clip, http_kind, output_of
from tocsin.notify.message import Message

COLOURS = {"down": "#cf222e", "nag": "#cf222e", "up": "#1a7f37", "test": "#0969da"}
OUTPUT_LIMIT = 3000  # a post holds 16,383 characters; an alert needs far fewer


class MattermostConfig(ChannelConfig):
    url: str = Field(min_length=1, description="The incoming webhook URL")
    channel: str | None = Field(default=None, description="Post here, not the webhook's own")
    username: str | None = Field(default=None, description="Post under this name")


def text(message: Message) -> str:
    parts = []
    if output := output_of(message):
        # Inside a code block nothing needs escaping, except a fence that would end it.
        fenced = clip(output, OUTPUT_LIMIT).replace("```", "'''")
        parts.append(f"```\n{fenced}\n```")
    if link := ack_link(message):
        parts.append(f"[Acknowledge]({link})")
    return "\n".join(parts)


def attachment(message: Message) -> dict[str, object]:
    result: dict[str, object] = {
        "fallback": message.title,
        "color": COLOURS[message.kind],
        "title": message.title,
        "fields": [
            {"short": True, "title": label, "value": value} for label, value in message.facts()
        ],
        "text": text(message),
    }
    if link := ack_link(message) or message.incident_url:
        result["title_link"] = link
    return result


def build(config: MattermostConfig, message: Message) -> Request:
    payload: dict[str, object] = {"attachments": [attachment(message)]}
    if config.channel:
        payload["channel"] = config.channel
    if config.username:
        payload["username"] = config.username
    return Request("POST", config.url, json=payload)


KIND = http_kind("mattermost", "Mattermost", MattermostConfig, build)
