"""Matrix: a message in a room, sent as a bot user with an access token, with an HTML
body for clients that render it and the plain text for those that do not.

The homeserver deduplicates by transaction id: a retry that reuses the id of an
attempt that did arrive (its answer lost to a timeout) does not post twice.
"""

from html import escape
from urllib.parse import quote

from pydantic import Field, field_validator

from tocsin.notify.base import ChannelConfig, Request, ack_link, http_kind, output_of
from tocsin.notify.message import Message

# Kinds whose stable fields repeat from one notification to the next (see transaction_id).


class MatrixConfig(ChannelConfig):
    homeserver: str = Field(min_length=1, description="e.g. https://matrix.example.org")
    access_token: str = Field(min_length=1, description="The bot user's access token")
    room_id: str = Field(description="The room's ID, e.g. !abcdef:example.org")

    @field_validator("room_id")
    @classmethod
    def check_room_id(cls, value: str) -> str:
        if not value.startswith("!") or ":" not in value:
            # Sending needs the ID: an alias (#room:server) would have to be resolved first.
            raise ValueError(
                "must be a room ID such as !abcdef:example.org (Room settings → Advanced), "
                "not an alias"
            )
        return value


def html(message: Message) -> str:
    parts = [f"<b>{escape(message.title)}</b>"]
    parts += [f"<b>{escape(label)}:</b> {escape(value)}" for label, value in message.facts()]
    html_text = "<br>".join(parts)
    if output := output_of(message):
        html_text += f"<pre><code>{escape(output)}</code></pre>"
    if link := ack_link(message):
        html_text += f'<p><a href="{escape(link)}">Acknowledge</a></p>'
    elif message.incident_url:
        html_text += f'<p><a href="{escape(message.incident_url)}">Open the incident</a></p>'
    return html_text


def transaction_id(message: Message) -> str:
    """The same for every attempt at one notification, so a retry cannot post twice."""
    return f"tocsin-{message.notification_key}"


def build(config: MatrixConfig, message: Message) -> Request:
    room = quote(config.room_id, safe="")
    url = (
        f"{config.homeserver.rstrip('/')}/_matrix/client/v3/rooms/{room}"
        f"/send/m.room.message/{transaction_id(message)}"
    )
    payload = {
        # m.text, not m.notice: default push rules keep notices silent.
        "msgtype": "m.text",
        "body": message.text(),
        "format": "org.matrix.custom.html",
        "formatted_body": html(message),
    }
    return Request(
        "PUT", url, json=payload, headers={"Authorization": f"Bearer {config.access_token}"}
    )


KIND = http_kind("matrix", "Matrix", MatrixConfig, build)
