"""Microsoft Teams, through a Workflows (Power Automate) webhook: an Adaptive Card with
the facts, the output and an Acknowledge button. (The old Office 365 connector
webhooks, and their MessageCard format, are being retired.)"""

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, ack_link, http_kind, output_of
from tocsin.notify.message import Message

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
# Adaptive Card colour names: Teams picks the shade for light, dark and high contrast.
COLOURS = {"down": "Attention", "nag": "Attention", "up": "Good", "test": "Accent"}


class TeamsConfig(ChannelConfig):
    url: str = Field(min_length=1, description="The Workflows webhook URL")


def body(message: Message) -> list[dict[str, object]]:
    blocks: list[dict[str, object]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "size": "Large",
            "weight": "Bolder",
            "color": COLOURS[message.kind],
            "wrap": True,
        },
        {
            "type": "FactSet",
            "facts": [{"title": label, "value": value} for label, value in message.facts()],
        },
    ]
    if output := output_of(message):
        blocks.append({"type": "TextBlock", "text": output, "fontType": "Monospace", "wrap": True})
    return blocks


def open_url(title: str, url: str) -> dict[str, str]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def actions(message: Message) -> list[dict[str, str]]:
    found = []
    if link := ack_link(message):
        found.append(open_url("Acknowledge", link))
    if message.incident_url:
        found.append(open_url("Open incident", message.incident_url))
    return found


def card(message: Message) -> dict[str, object]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body(message),
        "actions": actions(message),
        "msteams": {"width": "Full"},  # room for the output's lines
    }


def build(config: TeamsConfig, message: Message) -> Request:
    payload = {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card(message)}],
    }
    return Request("POST", config.url, json=payload)


KIND = http_kind("msteams", "Microsoft Teams", TeamsConfig, build)
