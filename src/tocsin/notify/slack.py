"""Slack incoming webhook, with a Block Kit message and an Acknowledge button."""

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, http_kind
from tocsin.notify.message import Message

EMOJI = {
    "down": ":red_circle:",
    "nag": ":red_circle:",
    "up": ":large_green_circle:",
    "test": ":large_blue_circle:",
}
MAX_OUTPUT = 2800  # a section's text may hold 3,000 characters


class SlackConfig(ChannelConfig):
    url: str = Field(min_length=1, description="The incoming webhook URL")


def blocks(message: Message) -> list[dict[str, object]]:
    result: list[dict[str, object]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"{EMOJI[message.kind]} {message.title}",
                "emoji": True,
            },
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
                for label, value in message.facts()
            ],
        },
    ]
    if message.body_excerpt and message.kind != "up":
        output = message.body_excerpt[:MAX_OUTPUT].replace("```", "'''")
        result.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{output}```"}})
    buttons = []
    if message.ack_url and message.kind in ("down", "nag"):
        buttons.append(
            {
                "type": "button",
                "style": "primary",
                "url": message.ack_url,
                "text": {"type": "plain_text", "text": "Acknowledge"},
            }
        )
    if message.incident_url:
        buttons.append(
            {
                "type": "button",
                "url": message.incident_url,
                "text": {"type": "plain_text", "text": "Open incident"},
            }
        )
    if buttons:
        result.append({"type": "actions", "elements": buttons})
    return result


def build(config: SlackConfig, message: Message) -> Request:
    return Request("POST", config.url, json={"text": message.title, "blocks": blocks(message)})


KIND = http_kind("slack", "Slack", SlackConfig, build)
