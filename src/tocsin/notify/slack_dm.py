"""Slack direct messages to a person, by their member id, through a bot's token
(`chat.postMessage`), with the same Block Kit message as a Slack channel.

Slack's Web API answers 200 with `"ok": false` for a member the bot cannot message;
the request counts as delivered here, as for a webhook that drops a message."""

from pydantic import Field

from tocsin.notify.base import ChannelConfig, Request, http_kind
from tocsin.notify.message import Message
from tocsin.notify.slack import blocks


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


KIND = http_kind("slack_dm", "Slack direct message", SlackDmConfig, build)
