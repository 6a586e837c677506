"""PagerDuty: the events build() makes, a real delivery, and the settings."""

from datetime import timedelta

import pytest

from tests.notify.messages import (
    ACK_URL,
    AWKWARD_NAME,
    CHECK_UUID,
    INCIDENT_URL,
    NOW,
    OUTPUT,
    down,
    nag,
    trial,
    up,
)
from tests.receivers import HttpReceiver
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.outbound import LiveOutbound
from tocsin.notify.pagerduty import KIND, PagerDutyConfig, build

CONFIG = PagerDutyConfig(routing_key="R0UT1NGKEY")
DEDUP_KEY = f"tocsin-{CHECK_UUID}-42"


def test_a_down_message_triggers_an_alert_keyed_by_the_incident() -> None:
    request = build(CONFIG, down())

    assert (request.method, request.url) == ("POST", "https://events.pagerduty.com/v2/enqueue")
    assert request.json == {
        "routing_key": "R0UT1NGKEY",
        "event_action": "trigger",
        "dedup_key": DEDUP_KEY,
        "payload": {
            "summary": "nightly-backup is DOWN",
            "source": "tocsin",
            "severity": "critical",
            "timestamp": "2026-03-01T11:55:00+00:00",
            "component": "nightly-backup",
            "custom_details": {
                "Check": "nightly-backup",
                "Cause": "Exited with status 12",
                "Last ping": "2026-03-01 11:00:00 UTC",
                "Expected": "2026-03-01 11:55:00 UTC",
                "Tags": "prod db",
                "Output": OUTPUT,
            },
        },
        "client": "Tocsin",
        "client_url": INCIDENT_URL,
        "links": [
            {"href": ACK_URL, "text": "Acknowledge in Tocsin"},
            {"href": INCIDENT_URL, "text": "Incident in Tocsin"},
        ],
    }


def test_a_reminder_triggers_the_same_alert_again() -> None:
    event = build(CONFIG, nag(now=NOW + timedelta(hours=1))).json

    assert (event["event_action"], event["dedup_key"]) == ("trigger", DEDUP_KEY)


def test_an_up_message_resolves_the_alert_the_down_one_opened() -> None:
    assert build(CONFIG, up()).json == {
        "routing_key": "R0UT1NGKEY",
        "event_action": "resolve",
        "dedup_key": DEDUP_KEY,
    }


def test_a_test_triggers_with_a_key_of_its_own() -> None:
    first = build(CONFIG, trial()).json
    second = build(CONFIG, trial()).json

    assert first["event_action"] == "trigger"
    assert first["dedup_key"].startswith(f"tocsin-test-{CHECK_UUID}-")
    assert first["dedup_key"] != second["dedup_key"]
    assert first["links"] == []


def test_the_configured_severity_is_used() -> None:
    config = PagerDutyConfig(routing_key="k", severity="warning")

    assert build(config, down()).json["payload"]["severity"] == "warning"


def test_an_awkward_name_is_carried_as_it_is() -> None:
    payload = build(CONFIG, down(check_name=AWKWARD_NAME)).json["payload"]

    assert payload["summary"] == f"{AWKWARD_NAME} is DOWN"
    assert payload["custom_details"]["Check"] == AWKWARD_NAME


async def test_delivers_the_event(receiver: HttpReceiver, outbound: LiveOutbound) -> None:
    receiver.default.status = 202
    config = PagerDutyConfig(routing_key="R0UT1NGKEY", api_url=f"{receiver.url}/v2/enqueue")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/v2/enqueue")
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json


def test_severity_is_one_pagerduty_knows() -> None:
    with pytest.raises(ChannelConfigError, match=r"^severity: Input should be 'critical', 'error'"):
        parse_config(KIND, {"routing_key": "k", "severity": "high"})


def test_an_acknowledgement_acknowledges_the_alert_by_its_dedup_key() -> None:
    request = build(CONFIG, down(kind="ack", acknowledged_by="alice"))

    assert request.json == {
        "routing_key": "R0UT1NGKEY",
        "event_action": "acknowledge",
        "dedup_key": DEDUP_KEY,
    }
