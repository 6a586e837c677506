"""Discord channel webhook: the title as the message text, and one coloured embed with
the facts that links to the acknowledge page (or, once acknowledged or over, the
incident)."""

import re

from pydantic import Field

from tocsin.domain.durations import format_duration
from tocsin.notify.base import ChannelConfig, Request, ack_link, clip, http_kind, output_of
from tocsin.notify.message import Message

COLOURS = {"down": 0xCF222E, "nag": 0xCF222E, "up": 0x1A7F37, "test": 0x0969DA}
# Discord refuses (HTTP 400) a message with a longer field than these.
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
# The description holds the cause and the output: together within its 4096.
CAUSE_LIMIT = 1000
OUTPUT_LIMIT = 3000
# What Discord's markdown gives a meaning: these characters anywhere, these others at
# the start of a line (quote, heading, list). A backslash makes them literal.
MARKDOWN = re.compile(r"[\\*_~`|\[\]<]|^[>#-]", re.MULTILINE)


class DiscordConfig(ChannelConfig):
    url: str = Field(min_length=1, description="The channel's webhook URL")


def escape_markdown(text: str) -> str:
    return MARKDOWN.sub(lambda match: "\\" + match.group(), text)


def description(message: Message) -> str:
    if message.kind == "up" and message.downtime is not None:
        text = f"Down for {format_duration(message.downtime)}"
    else:
        text = clip(escape_markdown(message.cause_detail), CAUSE_LIMIT)
    if output := output_of(message):
        # Inside a code block nothing needs escaping, except a fence that would end it.
        fenced = clip(output, OUTPUT_LIMIT).replace("```", "'''")
        text += f"\n```\n{fenced}\n```"
    return text


def embed(message: Message) -> dict[str, object]:
    result: dict[str, object] = {
        "title": clip(message.title, TITLE_LIMIT),
        "description": description(message),
        "color": COLOURS[message.kind],
        "fields": [
            {
                "name": clip(label, FIELD_NAME_LIMIT),
                "value": clip(escape_markdown(value), FIELD_VALUE_LIMIT),
                "inline": True,
            }
            for label, value in message.facts()
        ],
        "timestamp": message.now.isoformat(),
    }
    if link := ack_link(message) or message.incident_url:
        result["url"] = link
    return result


def build(config: DiscordConfig, message: Message) -> Request:
    payload = {
        "content": clip(escape_markdown(message.title), CONTENT_LIMIT),
        "embeds": [embed(message)],
        # A check named "@everyone" must not ping the whole server.
        "allowed_mentions": {"parse": []},
    }
    return Request("POST", config.url, json=payload)


KIND = http_kind("discord", "Discord", DiscordConfig, build)
