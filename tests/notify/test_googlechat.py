"""Google Chat: the message and card build() makes, a real delivery, and the settings."""

from typing import Any

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, OUTPUT, down, trial, up
from tests.receivers import HttpReceiver
from tocsin.notify.googlechat import KIND, GoogleChatConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = GoogleChatConfig(url="https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t")


def card_of(payload: Any) -> Any:
    [entry] = payload["cardsV2"]
    return entry["card"]


def test_a_down_message_has_the_output_in_text_and_facts_and_a_button_in_a_card() -> None:
    request = build(CONFIG, down())

    assert (request.method, request.url) == ("POST", CONFIG.url)
    assert request.json["text"] == f"nightly-backup is DOWN\n```\n{OUTPUT}\n```"
    card = card_of(request.json)
    assert card["header"] == {"title": "nightly-backup is DOWN"}
    [section] = card["sections"]
    *facts, buttons = section["widgets"]
    assert facts[1] == {
        "decoratedText": {"topLabel": "Cause", "text": "Exited with status 12", "wrapText": True}
    }
    assert buttons == {
        "buttonList": {
            "buttons": [{"text": "Acknowledge", "onClick": {"openLink": {"url": ACK_URL}}}]
        }
    }


def test_an_up_message_says_how_long_and_opens_the_incident() -> None:
    request = build(CONFIG, up())

    assert request.json["text"] == "nightly-backup is UP again"
    *facts, buttons = card_of(request.json)["sections"][0]["widgets"]
    assert {"decoratedText": {"topLabel": "Down for", "text": "1h30m", "wrapText": True}} in facts
    [button] = buttons["buttonList"]["buttons"]
    assert (button["text"], button["onClick"]["openLink"]["url"]) == (
        "Open incident",
        INCIDENT_URL,
    )


def test_a_test_without_an_incident_has_no_button() -> None:
    widgets = card_of(build(CONFIG, trial()).json)["sections"][0]["widgets"]

    assert all("buttonList" not in widget for widget in widgets)


def test_card_text_escapes_markup_in_a_name() -> None:
    request = build(CONFIG, down(check_name=AWKWARD_NAME))

    [check, *_] = card_of(request.json)["sections"][0]["widgets"]
    assert check["decoratedText"]["text"] == "Nightly &quot;backup&quot; &lt;db&gt; &amp; co 🚀"
    assert request.json["text"].startswith(f"{AWKWARD_NAME} is DOWN\n")


async def test_delivers_the_message_to_the_space(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = GoogleChatConfig(url=f"{receiver.url}/v1/spaces/AAA/messages?key=k&token=t")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/v1/spaces/AAA/messages?key=k&token=t")
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json
