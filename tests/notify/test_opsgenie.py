"""Opsgenie: the alert requests build() makes, real deliveries, and the settings."""

import pytest

from tests.notify.messages import AWKWARD_NAME, CHECK_UUID, down, nag, up
from tests.receivers import HttpReceiver
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.opsgenie import KIND, OpsgenieConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = OpsgenieConfig(api_key="g3n1e")
ALIAS = f"tocsin-{CHECK_UUID}-42"


def test_a_down_message_creates_an_alert_aliased_by_the_incident() -> None:
    message = down()

    request = build(CONFIG, message)

    assert (request.method, request.url) == ("POST", "https://api.opsgenie.com/v2/alerts")
    assert request.headers == {"Authorization": "GenieKey g3n1e"}
    assert request.json == {
        "message": "nightly-backup is DOWN",
        "alias": ALIAS,
        "description": message.text(),
        "details": dict(message.facts()),
        "priority": "P1",
        "entity": "nightly-backup",
        "source": "Tocsin",
        "tags": ["prod", "db"],
    }


def test_a_reminder_names_the_same_alert() -> None:
    assert build(CONFIG, nag()).json["alias"] == ALIAS


def test_an_up_message_closes_the_alert_by_its_alias() -> None:
    request = build(CONFIG, up())

    assert request.method == "POST"
    assert request.url == f"https://api.opsgenie.com/v2/alerts/{ALIAS}/close?identifierType=alias"
    assert request.headers == {"Authorization": "GenieKey g3n1e"}
    assert request.json == {"source": "Tocsin", "note": "Recovered after 1h30m."}


def test_the_region_or_an_explicit_url_picks_the_api() -> None:
    eu = OpsgenieConfig(api_key="k", region="eu")
    own = OpsgenieConfig(api_key="k", region="eu", api_url="https://og.example.com/")

    assert build(eu, down()).url == "https://api.eu.opsgenie.com/v2/alerts"
    assert build(own, down()).url == "https://og.example.com/v2/alerts"


def test_the_title_is_cut_to_opsgenie_s_130_characters() -> None:
    message = build(CONFIG, down(check_name="x" * 200)).json["message"]

    assert len(message) == 130
    assert message.endswith("…")


def test_an_awkward_name_is_carried_as_it_is() -> None:
    alert = build(CONFIG, down(check_name=AWKWARD_NAME)).json

    assert alert["message"] == f"{AWKWARD_NAME} is DOWN"
    assert alert["details"]["Check"] == AWKWARD_NAME


async def test_delivers_the_alert_then_the_close(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    receiver.default.status = 202
    config = OpsgenieConfig(api_key="g3n1e", api_url=receiver.url)
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)
    await KIND.deliver(config, up(), outbound)

    created, closed = receiver.requests
    assert (created.method, created.path) == ("POST", "/v2/alerts")
    assert created.headers["authorization"] == "GenieKey g3n1e"
    assert created.json() == build(config, message).json
    assert (closed.method, closed.path) == (
        "POST",
        f"/v2/alerts/{ALIAS}/close?identifierType=alias",
    )
    assert closed.json() == {"source": "Tocsin", "note": "Recovered after 1h30m."}


def test_the_region_is_us_or_eu() -> None:
    with pytest.raises(ChannelConfigError, match=r"^region: Input should be 'us' or 'eu'$"):
        parse_config(KIND, {"api_key": "k", "region": "apac"})


def test_an_acknowledgement_acknowledges_the_alert_by_its_alias_with_who_did() -> None:
    request = build(CONFIG, down(kind="ack", acknowledged_by="alice@example.com"))

    assert request.url == (
        f"https://api.opsgenie.com/v2/alerts/tocsin-{CHECK_UUID}-42/acknowledge"
        "?identifierType=alias"
    )
    assert request.json == {
        "source": "Tocsin",
        "note": "Acknowledged in Tocsin by alice@example.com.",
        "user": "alice@example.com",
    }
