"""Slack direct messages to a person, by their member id, through a bot's token
(`chat.postMessage`), with the same Block Kit message as a Slack channel.

Slack's Web API answers 200 with `"ok": false` and an error name when it refuses (a
member the bot cannot message, a revoked token): a failed delivery, permanent as a 4xx
would be, except for the errors Slack names as passing (its own trouble, a rate limit)."""

from pydantic import Field

from tocsin.notify.base import ChannelConfig, DeliveryError, Request, answered_kind, json_object
from tocsin.notify.message import Message
from tocsin.notify.slack import blocks

# Slack's Web API errors that a later try may not meet.
PASSING = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackDmConfig(ChannelConfig):
    token: str = Field(min_length=1, description="The bot's token (xoxb-…)")
    member_id: str = Field(min_length=1, description="The person's Slack member id (U…)")
    api_url: str = Field(default="https://slack.com/api", min_length=1)


def build(config: SlackDmConfig, message: Message) -> Request:
    payload = {"channel": config.member_id, "text": message.title, "blocks": blocks(message)}
    return Request(
        "POST",
        f"{config.api_url.rstrip('/')}/chat.postMessage",
        json=payload,
        headers={"Authorization": f"Bearer {config.token}"},
    )


def refusal(answer: bytes) -> DeliveryError | None:
    """Slack's `{"ok": false, "error": "channel_not_found"}` as a failed delivery."""
    found = json_object(answer)
    if found.get("ok") is not False:
        return None
    error = str(found.get("error") or "unknown error")
    return DeliveryError(f"Slack: {error}", permanent=error not in PASSING)


KIND = answered_kind("slack_dm", "Slack direct message", SlackDmConfig, build, refusal)
