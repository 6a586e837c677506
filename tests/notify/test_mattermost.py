"""Mattermost: the attachment build() makes, a real delivery, and the settings."""

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, OUTPUT, down, up
from tests.receivers import HttpReceiver
from tocsin.notify.mattermost import KIND, MattermostConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = MattermostConfig(url="https://chat.example.com/hooks/xyz")


def test_a_down_message_is_a_red_attachment_with_facts_output_and_ack_link() -> None:
    request = build(CONFIG, down())

    assert (request.method, request.url) == ("POST", CONFIG.url)
    assert set(request.json) == {"attachments"}  # the webhook's own channel and name
    [attachment] = request.json["attachments"]
    assert attachment["fallback"] == "nightly-backup is DOWN"
    assert attachment["title"] == "nightly-backup is DOWN"
    assert attachment["title_link"] == ACK_URL
    assert attachment["color"] == "#cf222e"
    assert attachment["fields"][:2] == [
        {"short": True, "title": "Check", "value": "nightly-backup"},
        {"short": True, "title": "Cause", "value": "Exited with status 12"},
    ]
    assert attachment["text"] == f"```\n{OUTPUT}\n```\n[Acknowledge]({ACK_URL})"


def test_an_up_message_is_green_says_how_long_and_links_the_incident() -> None:
    [attachment] = build(CONFIG, up()).json["attachments"]

    assert attachment["color"] == "#1a7f37"
    assert attachment["title_link"] == INCIDENT_URL
    assert {"short": True, "title": "Down for", "value": "1h30m"} in attachment["fields"]
    assert attachment["text"] == ""


def test_channel_and_username_override_the_webhooks_own() -> None:
    config = MattermostConfig(url=CONFIG.url, channel="town-square", username="tocsin")

    payload = build(config, down()).json

    assert (payload["channel"], payload["username"]) == ("town-square", "tocsin")


def test_an_awkward_name_is_carried_as_it_is() -> None:
    [attachment] = build(CONFIG, down(check_name=AWKWARD_NAME)).json["attachments"]

    assert attachment["title"] == f"{AWKWARD_NAME} is DOWN"
    assert attachment["fields"][0]["value"] == AWKWARD_NAME


async def test_delivers_the_attachment_to_the_webhook(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = MattermostConfig(url=f"{receiver.url}/hooks/xyz", channel="ops")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/hooks/xyz")
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json
    assert received.json()["channel"] == "ops"
