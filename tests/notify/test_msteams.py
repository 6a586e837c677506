"""Microsoft Teams: the Adaptive Card build() makes, a real delivery, and the settings."""

from typing import Any

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, OUTPUT, down, up
from tests.receivers import HttpReceiver
from tocsin.notify.msteams import KIND, TeamsConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = TeamsConfig(url="https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual")


def card_of(payload: Any) -> Any:
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def test_a_down_message_is_a_card_with_facts_output_and_an_acknowledge_button() -> None:
    request = build(CONFIG, down())

    assert (request.method, request.url) == ("POST", CONFIG.url)
    card = card_of(request.json)
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, facts, output = card["body"]
    assert title["type"] == "TextBlock"
    assert (title["text"], title["color"]) == ("nightly-backup is DOWN", "Attention")
    assert facts["type"] == "FactSet"
    assert facts["facts"][:2] == [
        {"title": "Check", "value": "nightly-backup"},
        {"title": "Cause", "value": "Exited with status 12"},
    ]
    assert output == {"type": "TextBlock", "text": OUTPUT, "fontType": "Monospace", "wrap": True}
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Acknowledge", "url": ACK_URL},
        {"type": "Action.OpenUrl", "title": "Open incident", "url": INCIDENT_URL},
    ]


def test_an_up_message_says_how_long_without_output_or_acknowledge() -> None:
    card = card_of(build(CONFIG, up()).json)

    title, facts = card["body"]
    assert (title["text"], title["color"]) == ("nightly-backup is UP again", "Good")
    assert {"title": "Down for", "value": "1h30m"} in facts["facts"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open incident", "url": INCIDENT_URL}
    ]


def test_an_awkward_name_is_carried_as_it_is() -> None:
    card = card_of(build(CONFIG, down(check_name=AWKWARD_NAME)).json)

    assert card["body"][0]["text"] == f"{AWKWARD_NAME} is DOWN"
    assert card["body"][1]["facts"][0] == {"title": "Check", "value": AWKWARD_NAME}


async def test_delivers_the_card_to_the_workflow(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = TeamsConfig(url=f"{receiver.url}/workflows/abc/triggers/manual/paths/invoke?sig=x")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert received.method == "POST"
    assert received.path == "/workflows/abc/triggers/manual/paths/invoke?sig=x"
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json
