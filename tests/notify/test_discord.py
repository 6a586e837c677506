"""Discord: the payload build() makes, a real delivery, and the settings."""

from tests.notify.messages import ACK_URL, AWKWARD_NAME, INCIDENT_URL, OUTPUT, down, up
from tests.receivers import HttpReceiver
from tocsin.notify.discord import KIND, DiscordConfig, build
from tocsin.notify.outbound import LiveOutbound

CONFIG = DiscordConfig(url="https://discord.com/api/webhooks/1/secret")
RED, GREEN = 0xCF222E, 0x1A7F37


def test_a_down_message_has_a_red_embed_with_the_facts_output_and_ack_link() -> None:
    request = build(CONFIG, down())

    assert (request.method, request.url) == ("POST", CONFIG.url)
    assert request.json["content"] == "nightly-backup is DOWN"
    assert request.json["allowed_mentions"] == {"parse": []}
    [embed] = request.json["embeds"]
    assert embed["title"] == "nightly-backup is DOWN"
    assert embed["description"] == f"Exited with status 12\n```\n{OUTPUT}\n```"
    assert embed["color"] == RED
    assert embed["url"] == ACK_URL
    assert embed["timestamp"] == "2026-03-01T12:00:00+00:00"
    assert [field["name"] for field in embed["fields"]] == [
        "Check",
        "Cause",
        "Last ping",
        "Expected",
        "Tags",
    ]
    assert embed["fields"][1] == {"name": "Cause", "value": "Exited with status 12", "inline": True}


def test_an_up_message_is_green_says_how_long_and_links_the_incident() -> None:
    [embed] = build(CONFIG, up()).json["embeds"]

    assert embed["title"] == "nightly-backup is UP again"
    assert embed["description"] == "Down for 1h30m"  # and no output
    assert embed["color"] == GREEN
    assert embed["url"] == INCIDENT_URL
    assert {"name": "Down for", "value": "1h30m", "inline": True} in embed["fields"]


def test_markdown_in_a_name_is_escaped_where_discord_renders_markdown() -> None:
    request = build(CONFIG, down(check_name=AWKWARD_NAME))

    assert request.json["content"] == 'Nightly "backup" \\<db> & co 🚀 is DOWN'
    [embed] = request.json["embeds"]
    assert embed["title"] == f"{AWKWARD_NAME} is DOWN"  # titles are plain text
    assert embed["fields"][0]["value"] == 'Nightly "backup" \\<db> & co 🚀'


def test_output_cannot_close_its_code_block() -> None:
    [embed] = build(CONFIG, down(body_excerpt="before ``` after")).json["embeds"]

    assert embed["description"].endswith("```\nbefore ''' after\n```")


async def test_delivers_the_payload_to_the_webhook(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = DiscordConfig(url=f"{receiver.url}/api/webhooks/1/secret")
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/api/webhooks/1/secret")
    assert received.headers["content-type"] == "application/json"
    assert received.json() == build(config, message).json
