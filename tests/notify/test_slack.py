"""Slack: the blocks build() makes, the Acknowledge button of either sort, the message
rewritten once acknowledged, and a real delivery."""

from tests.notify.messages import ACK_URL, INCIDENT_URL, down, up
from tests.receivers import HttpReceiver
from tocsin.notify.outbound import LiveOutbound
from tocsin.notify.slack import (
    ACK_ACTION,
    KIND,
    SlackConfig,
    acknowledged,
    blocks,
    build,
    read_ack_value,
)

TOKEN = "1772974800.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlcw"


def buttons(found: list[dict[str, object]]) -> list[dict[str, object]]:
    actions = [block for block in found if block["type"] == "actions"]
    return [button for block in actions for button in block["elements"]]  # type: ignore[attr-defined]


def test_a_channel_that_is_not_interactive_links_to_the_acknowledge_page() -> None:
    ack, incident = buttons(blocks(down(ack_token=TOKEN)))
    assert (ack["url"], ack["style"]) == (ACK_URL, "primary")
    assert "action_id" not in ack
    assert incident["url"] == INCIDENT_URL


def test_an_interactive_channel_s_button_carries_the_incident_and_its_token() -> None:
    ack, _ = buttons(blocks(down(ack_token=TOKEN), interactive=True))
    assert ack == {
        "type": "button",
        "style": "primary",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "action_id": ACK_ACTION,
        "value": f"42:{TOKEN}",
    }
    assert read_ack_value(str(ack["value"])) == (42, TOKEN)


def test_a_recovery_has_nothing_to_acknowledge() -> None:
    [incident] = buttons(blocks(up(ack_token=""), interactive=True))
    assert incident["url"] == INCIDENT_URL


def test_only_a_number_and_a_token_read_as_a_value() -> None:
    for value in ("", "42", "42:", "x:1.y", "-1:1.y", "٤٢:1.y", "1" * 19 + ":1.y"):
        assert read_ack_value(value) is None, value


def test_the_acknowledged_message_keeps_its_blocks_but_the_button() -> None:
    sent = blocks(down(ack_token=TOKEN), interactive=True)
    request = acknowledged("https://hooks.slack.com/actions/1", {"blocks": sent}, "a<b>&c")
    payload = request.json
    assert payload["replace_original"] is True
    without_ack = {"type": "actions", "elements": buttons(sent)[1:]}
    assert payload["blocks"][:-1] == [*sent[:-1], without_ack]
    assert payload["blocks"][-1]["elements"][0]["text"] == (
        ":white_check_mark: Acknowledged by a&lt;b&gt;&amp;c"
    )


def test_a_message_that_is_not_tocsin_s_becomes_one_line() -> None:
    originals: list[object] = [None, [], {"blocks": "x"}, {"blocks": [1]}]
    for original in originals:
        payload = acknowledged("https://hooks.slack.com/a", original, "alice").json
        assert [block["type"] for block in payload["blocks"]] == ["context"]


async def test_delivers_the_message_to_the_webhook(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = SlackConfig(url=f"{receiver.url}/services/T/B/X", interactive=True)
    message = down(ack_token=TOKEN)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert received.path == "/services/T/B/X"
    assert received.json() == build(config, message).json
