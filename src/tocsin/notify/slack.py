"""Slack incoming webhook, with a Block Kit message and an Acknowledge button.

The button is a link to the alert's acknowledge page, unless the channel is
`interactive`: the Slack app behind the webhook then has interactivity switched on,
with Tocsin's `/integrations/slack` as its request URL, and the button carries the
incident and its signed token (`value`) for Tocsin to acknowledge it in place. The
message is then rewritten through the `response_url` Slack gives (`acknowledged`)."""

from html import escape as html_escape
from typing import Any

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
ACK_ACTION = "tocsin_acknowledge"  # the interactive button's action_id


class SlackConfig(ChannelConfig):
    url: str = Field(min_length=1, description="The incoming webhook URL")
    interactive: bool = Field(
        default=False,
        description="The app has interactivity on, pointing at Tocsin's /integrations/slack",
    )


def blocks(message: Message, interactive: bool = False) -> list[dict[str, object]]:
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
    if buttons := action_buttons(message, interactive):
        result.append({"type": "actions", "elements": buttons})
    return result


def action_buttons(message: Message, interactive: bool) -> list[dict[str, object]]:
    buttons: list[dict[str, object]] = []
    if message.ack_url and message.kind in ("down", "nag"):
        buttons.append(ack_button(message, interactive))
    if message.incident_url:
        buttons.append(
            {
                "type": "button",
                "url": message.incident_url,
                "text": {"type": "plain_text", "text": "Open incident"},
            }
        )
    return buttons


def ack_button(message: Message, interactive: bool) -> dict[str, object]:
    button: dict[str, object] = {
        "type": "button",
        "style": "primary",
        "text": {"type": "plain_text", "text": "Acknowledge"},
    }
    if interactive and message.incident_id is not None and message.ack_token:
        return button | {"action_id": ACK_ACTION, "value": ack_value(message)}
    return button | {"url": message.ack_url}


def ack_value(message: Message) -> str:
    """What the button sends back: the incident and the token that lets it be
    acknowledged, `42:1772370000.c2ln…`; nobody without the key can forge one."""
    return f"{message.incident_id}:{message.ack_token}"


def read_ack_value(value: str) -> tuple[int, str] | None:
    """(incident id, token) from a button's value; None for anything else."""
    number, _, token = value.partition(":")
    if not number.isascii() or not number.isdigit() or len(number) > 18 or not token:
        return None
    return int(number), token


def build(config: SlackConfig, message: Message) -> Request:
    payload = {"text": message.title, "blocks": blocks(message, config.interactive)}
    return Request("POST", config.url, json=payload)


def acknowledged(response_url: str, original: Any, who: str) -> Request:
    """The message rewritten in place once acknowledged: its blocks as they were, the
    Acknowledge button gone, a line saying who acknowledged. `original` is the message
    as Slack sent it back in the interaction; if it is not what Tocsin sent, a plain
    line stands for it."""
    note = f":white_check_mark: Acknowledged by {mrkdwn_escape(who)}"
    kept = without_ack_button(original.get("blocks")) if isinstance(original, dict) else None
    text = original.get("text") if isinstance(original, dict) else None
    payload: dict[str, object] = {
        "replace_original": True,
        "text": f"{text if isinstance(text, str) else 'Alert'} (acknowledged by {who})",
        "blocks": [*(kept or []), {"type": "context", "elements": [mrkdwn(note)]}],
    }
    return Request("POST", response_url, json=payload)


def without_ack_button(found: Any) -> list[dict[str, object]] | None:
    if not isinstance(found, list) or not all(isinstance(b, dict) for b in found):
        return None
    kept = []
    for block in found:
        if block.get("type") == "actions" and isinstance(block.get("elements"), list):
            elements = [e for e in block["elements"] if not is_ack_button(e)]
            if not elements:
                continue
            block = block | {"elements": elements}
        kept.append(block)
    return kept


def is_ack_button(element: Any) -> bool:
    return isinstance(element, dict) and element.get("action_id") == ACK_ACTION


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters, `&`, `<` and `>`, as entities."""
    return html_escape(text, quote=False)


KIND = http_kind("slack", "Slack", SlackConfig, build)
