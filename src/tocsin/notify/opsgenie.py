"""Opsgenie, through the Alert API: down and reminders create an alert, an
acknowledgement in Tocsin acknowledges it, recovery closes it. All of an incident's
requests name the alert by one alias, so Opsgenie folds reminders into the open alert
(raising its count) and the acknowledgement and the close find it.

Opsgenie answers 202 before it processes a request: an alert it then rejects shows
only in its own logs, not as a failed delivery here.
"""

from typing import Literal
from urllib.parse import quote

from pydantic import Field

from tocsin.domain.durations import format_duration
from tocsin.notify.base import ChannelConfig, Request, clip, http_kind, incident_key
from tocsin.notify.message import Message

REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
# Opsgenie's documented limits (characters, and tags per alert).
MESSAGE_LIMIT = 130
DESCRIPTION_LIMIT = 15000
TAG_LIMIT = 50
TAG_COUNT = 20
USER_LIMIT = 100

Priority = Literal["P1", "P2", "P3", "P4", "P5"]


class OpsgenieConfig(ChannelConfig):
    api_key: str = Field(min_length=1, description="An API integration's key")
    region: Literal["us", "eu"] = Field(default="us", description="Where the account lives")
    api_url: str | None = Field(default=None, min_length=1, description="Overrides the region")
    priority: Priority = "P1"


def base_url(config: OpsgenieConfig) -> str:
    return (config.api_url or REGIONS[config.region]).rstrip("/")


def create(config: OpsgenieConfig, message: Message) -> Request:
    alert = {
        "message": clip(message.title, MESSAGE_LIMIT),
        "alias": incident_key(message),
        "description": clip(message.text(), DESCRIPTION_LIMIT),
        "details": dict(message.facts()),  # the output is in the description
        "priority": config.priority,
        "entity": message.check_name,
        "source": "Tocsin",
        "tags": [clip(tag, TAG_LIMIT) for tag in message.tags.split()[:TAG_COUNT]],
    }
    return Request("POST", f"{base_url(config)}/v2/alerts", json=alert, headers=auth(config))


def recovery_note(message: Message) -> str:
    if message.downtime is None:
        return "Recovered."
    return f"Recovered after {format_duration(message.downtime)}."


def close(config: OpsgenieConfig, message: Message) -> Request:
    body = {"source": "Tocsin", "note": recovery_note(message)}
    return alert_action(config, message, "close", body)


def acknowledge(config: OpsgenieConfig, message: Message) -> Request:
    body = {"source": "Tocsin", "note": f"Acknowledged in Tocsin{message.by}."}
    if message.acknowledged_by:
        body["user"] = clip(message.acknowledged_by, USER_LIMIT)
    return alert_action(config, message, "acknowledge", body)


def alert_action(
    config: OpsgenieConfig, message: Message, action: str, body: dict[str, str]
) -> Request:
    """A request about the incident's alert, named by its alias."""
    alias = quote(incident_key(message), safe="")
    url = f"{base_url(config)}/v2/alerts/{alias}/{action}?identifierType=alias"
    return Request("POST", url, json=body, headers=auth(config))


def auth(config: OpsgenieConfig) -> dict[str, str]:
    return {"Authorization": f"GenieKey {config.api_key}"}


def build(config: OpsgenieConfig, message: Message) -> Request:
    if message.kind == "up":
        return close(config, message)
    if message.kind == "ack":
        return acknowledge(config, message)
    return create(config, message)


KIND = http_kind("opsgenie", "Opsgenie", OpsgenieConfig, build)
