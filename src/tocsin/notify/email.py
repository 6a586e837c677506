"""Email over SMTP: a plain-text part and an HTML part, with the acknowledge link."""

import re
from html import escape
from typing import Any

from pydantic import Field, field_validator

from tocsin.notify.base import ChannelConfig, Kind, Outbound
from tocsin.notify.message import Message

ADDRESS = r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$"


class EmailConfig(ChannelConfig):
    to: list[str] = Field(min_length=1)

    @field_validator("to", mode="before")
    @classmethod
    def split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("to")
    @classmethod
    def check_addresses(cls, value: list[str]) -> list[str]:
        bad = [address for address in value if not re.match(ADDRESS, address)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return value


def html(message: Message) -> str:
    colour = "#1a7f37" if message.kind == "up" else "#cf222e"
    rows = "".join(
        f"<tr><th align='left' style='padding-right:1em'>{escape(label)}</th>"
        f"<td>{escape(value)}</td></tr>"
        for label, value in message.facts()
    )
    parts = [
        f"<h2 style='color:{colour}'>{escape(message.title)}</h2>",
        f"<table>{rows}</table>",
    ]
    if message.body_excerpt and message.kind != "up":
        parts.append(f"<h3>Output</h3><pre>{escape(message.body_excerpt)}</pre>")
    if message.ack_url and message.kind in ("down", "nag"):
        parts.append(f"<p><a href='{escape(message.ack_url)}'>Acknowledge this incident</a></p>")
    elif message.incident_url:
        parts.append(f"<p><a href='{escape(message.incident_url)}'>Open the incident</a></p>")
    return "<html><body>" + "".join(parts) + "</body></html>"


async def deliver(config: EmailConfig, message: Message, outbound: Outbound) -> None:
    await outbound.send_email(
        config.to,
        message.title,
        message.text(),
        html(message),
        message_id=message.notification_key,
    )


KIND = Kind("email", "Email", EmailConfig, deliver)
