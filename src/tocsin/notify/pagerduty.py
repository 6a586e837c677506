"""PagerDuty, through the Events API v2: down and reminders trigger, an acknowledgement
in Tocsin acknowledges, recovery resolves. All of an incident's events share one
dedup_key, so PagerDuty folds reminders into the alert it already has, stops paging
when someone acknowledged in Tocsin, and closes it when the check is back up."""

from typing import Literal

from pydantic import Field

from tocsin.notify.base import (
    ChannelConfig,
    Request,
    ack_link,
    clip,
    http_kind,
    incident_key,
    output_of,
)
from tocsin.notify.message import Message

SUMMARY_LIMIT = 1024  # PagerDuty's documented limit

Severity = Literal["critical", "error", "warning", "info"]


class PagerDutyConfig(ChannelConfig):
    routing_key: str = Field(min_length=1, description="The Events API v2 integration key")
    api_url: str = Field(default="https://events.pagerduty.com/v2/enqueue", min_length=1)
    severity: Severity = "critical"


def details(message: Message) -> dict[str, str]:
    found = dict(message.facts())
    if output := output_of(message):
        found["Output"] = output
    return found


def links(message: Message) -> list[dict[str, str]]:
    found = []
    if link := ack_link(message):
        found.append({"href": link, "text": "Acknowledge in Tocsin"})
    if message.incident_url:
        found.append({"href": message.incident_url, "text": "Incident in Tocsin"})
    return found


def trigger(config: PagerDutyConfig, message: Message) -> dict[str, object]:
    event: dict[str, object] = {
        "routing_key": config.routing_key,
        "event_action": "trigger",
        "dedup_key": incident_key(message),
        "payload": {
            "summary": clip(message.title, SUMMARY_LIMIT),
            "source": "tocsin",
            "severity": config.severity,
            "timestamp": (message.opened_at or message.now).isoformat(),
            "component": message.check_name,
            "custom_details": details(message),
        },
        "client": "Tocsin",
        "links": links(message),
    }
    if message.incident_url:
        event["client_url"] = message.incident_url
    return event


def follow_up(config: PagerDutyConfig, message: Message, action: str) -> dict[str, object]:
    """An event about the alert the incident triggered: `acknowledge` or `resolve`."""
    return {
        "routing_key": config.routing_key,
        "event_action": action,
        "dedup_key": incident_key(message),
    }


FOLLOW_UPS = {"up": "resolve", "ack": "acknowledge"}


def build(config: PagerDutyConfig, message: Message) -> Request:
    if action := FOLLOW_UPS.get(message.kind):
        event = follow_up(config, message, action)
    else:
        event = trigger(config, message)
    return Request("POST", config.api_url, json=event)


KIND = http_kind("pagerduty", "PagerDuty", PagerDutyConfig, build)
