"""Pushover: a push notification with the facts and output, and the acknowledge link
as its supplementary URL.

An emergency-priority alert repeats until someone acknowledges it in the Pushover app.
Its receipt is kept (the outbox stores what a delivery returns), and acknowledging or
resolving the incident in Tocsin cancels it, so the phone stops ringing either way.

Pushover refuses with a 4xx and `"status": 0`; an answer of 2xx with a status other
than 1 is read as the same refusal.
"""

import json
import re

from pydantic import Field

from tocsin.notify.base import (
    ChannelConfig,
    DeliveryError,
    Kind,
    Outbound,
    Request,
    ack_link,
    clip,
    json_object,
    output_of,
)
from tocsin.notify.message import Message

ALERT_PRIORITY = 1  # "high": bypasses quiet hours
RECOVERY_PRIORITY = 0
EMERGENCY = 2  # repeats until acknowledged in the app, which needs retry and expire
EMERGENCY_RETRY = 60  # seconds between repeats (Pushover's minimum is 30)
EMERGENCY_EXPIRE = 3600  # seconds before it stops repeating
# Pushover's documented limits (characters).
TITLE_LIMIT = 250
MESSAGE_LIMIT = 1024
# "a 30 character string containing the character set [A-Za-z0-9]"; a little slack.
RECEIPT = re.compile(r"[A-Za-z0-9]{1,64}")


class PushoverConfig(ChannelConfig):
    user_key: str = Field(min_length=1, description="The user's or group's key")
    app_token: str = Field(min_length=1, description="The application's API token")
    priority: int | None = Field(
        default=None, ge=-2, le=2, description="Priority of alerts and tests (recoveries: 0)"
    )
    api_url: str = Field(default="https://api.pushover.net/1/messages.json", min_length=1)


def text(message: Message) -> str:
    """The facts, then the output; the title and the link have fields of their own."""
    lines = [f"{label}: {value}" for label, value in message.facts()]
    if output := output_of(message):
        lines += ["", output]
    return clip("\n".join(lines), MESSAGE_LIMIT)


def priority(config: PushoverConfig, message: Message) -> int:
    if message.kind == "up":
        return RECOVERY_PRIORITY
    return ALERT_PRIORITY if config.priority is None else config.priority


def build(config: PushoverConfig, message: Message) -> Request:
    payload: dict[str, object] = {
        "token": config.app_token,
        "user": config.user_key,
        "title": clip(message.title, TITLE_LIMIT),
        "message": text(message),
        "priority": priority(config, message),
    }
    if payload["priority"] == EMERGENCY:
        payload |= {"retry": EMERGENCY_RETRY, "expire": EMERGENCY_EXPIRE}
    if link := ack_link(message):
        payload |= {"url": link, "url_title": "Acknowledge"}
    elif message.incident_url:
        payload |= {"url": message.incident_url, "url_title": "Open incident"}
    return Request("POST", config.api_url, json=payload)


def cancel(config: PushoverConfig, receipt: str) -> Request:
    base = config.api_url.rsplit("/", 1)[0]  # …/1/messages.json → …/1
    url = f"{base}/receipts/{receipt}/cancel.json"
    return Request("POST", url, json={"token": config.app_token})


def refusal(answer: bytes) -> DeliveryError | None:
    """`{"status": 0, "errors": ["user identifier is invalid"]}` as a failed delivery."""
    found = json_object(answer)
    if "status" not in found or found["status"] == 1:
        return None
    errors = found.get("errors")
    said = "; ".join(map(str, errors)) if isinstance(errors, list) and errors else "refused"
    return DeliveryError(f"Pushover: {said}", permanent=True)


def receipt_in(answer: bytes) -> str | None:
    """The receipt of an emergency alert, from Pushover's answer; None without one."""
    try:
        found = json.loads(answer).get("receipt")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and RECEIPT.fullmatch(found) else None


async def cancel_receipts(config: PushoverConfig, message: Message, outbound: Outbound) -> None:
    """Stop the incident's emergency alerts repeating. Before a recovery, a receipt
    Pushover no longer knows (it expired, someone cancelled it) must not hold the
    recovery back: only an acknowledgement fails on it."""
    for receipt in message.receipts:
        try:
            await outbound.send(cancel(config, receipt))
        except DeliveryError as error:
            if message.kind == "ack" or not error.permanent:
                raise


async def deliver(config: PushoverConfig, message: Message, outbound: Outbound) -> str | None:
    await cancel_receipts(config, message, outbound)
    if message.kind == "ack":
        return None
    request = build(config, message)
    answer = await outbound.exchange(request)
    if (error := refusal(answer)) is not None:
        raise error
    return receipt_in(answer) if request.json["priority"] == EMERGENCY else None


KIND = Kind("pushover", "Pushover", PushoverConfig, deliver)
