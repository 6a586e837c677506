"""Google Chat space webhook: the title (and output) as the message text, then a card
with the facts and a button to acknowledge, or to open the incident."""

from html import escape

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, ack_link, clip, http_kind, output_of
from tocsin.notify.message import Message

OUTPUT_LIMIT = 3000  # a message holds 32,000 bytes; an alert needs far fewer


class GoogleChatConfig(ChannelConfig):
    url: str = Field(min_length=1, description="The space's webhook URL, key and token included")


def text(message: Message) -> str:
    """Chat's own markup: a card has no monospace text, a message has ``` blocks."""
    if output := output_of(message):
        fenced = clip(output, OUTPUT_LIMIT).replace("```", "'''")
        return f"{message.title}\n```\n{fenced}\n```"
    return message.title


def button(message: Message) -> dict[str, object] | None:
    if link := ack_link(message):
        label = "Acknowledge"
    elif link := message.incident_url:
        label = "Open incident"
    else:
        return None
    return {"text": label, "onClick": {"openLink": {"url": link}}}


def widgets(message: Message) -> list[dict[str, object]]:
    # Card text is HTML-like (<b>, <font>, <a>): a fact must not add markup of its own.
    found: list[dict[str, object]] = [
        {"decoratedText": {"topLabel": label, "text": escape(value), "wrapText": True}}
        for label, value in message.facts()
    ]
    if action := button(message):
        found.append({"buttonList": {"buttons": [action]}})
    return found


def build(config: GoogleChatConfig, message: Message) -> Request:
    card = {
        "header": {"title": message.title},
        "sections": [{"widgets": widgets(message)}],
    }
    payload = {
        "text": text(message),
        "cardsV2": [{"cardId": f"tocsin-{message.kind}", "card": card}],
    }
    return Request("POST", config.url, json=payload)


KIND = http_kind("googlechat", "Google Chat", GoogleChatConfig, build)
