"""Slack's interactivity requests, posted as Slack posts them (a form with the JSON
`payload`, signed with the app's signing secret), against the server in-process; the
message is updated through a response_url on a local receiver."""

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.inbound.conftest import SLACK_SECRET, Site
from tests.notify.messages import down
from tests.receivers import HttpReceiver
from tocsin.domain.signatures import slack_signature
from tocsin.notify import slack
from tocsin.store import incidents as incident_store

PATH = "/integrations/slack"


def alert_blocks(site: Site, incident_id: int) -> list[dict[str, object]]:
    """The blocks Tocsin sent to an interactive channel, as Slack hands them back."""
    message = down(incident_id=incident_id, ack_token=site.token(incident_id))
    found = slack.blocks(message, interactive=True)
    return [block | {"block_id": f"b{n}"} for n, block in enumerate(found)]


def interaction(
    site: Site, incident_id: int, value: str, response_url: str, user_name: str = "alice"
) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a press of the button."""
    blocks = alert_blocks(site, incident_id)
    return {
        "type": "block_actions",
        "user": {"id": "U0CA5", "username": user_name, "name": user_name, "team_id": "T3MDE"},
        "api_app_id": "A0CA5",
        "token": "Shh_its_a_seekrit",
        "container": {
            "type": "message",
            "message_ts": "1548261231.000200",
            "channel_id": "C0CA5",
            "is_ephemeral": False,
        },
        "trigger_id": "12466734323.1395872398",
        "team": {"id": "T3MDE", "domain": "ops"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "C0CA5", "name": "alerts"},
        "message": {
            "type": "message",
            "subtype": "bot_message",
            "text": "nightly-backup is DOWN",
            "ts": "1548261231.000200",
            "bot_id": "B0CA5",
            "blocks": blocks,
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": slack.ACK_ACTION,
                "block_id": "b3",
                "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
                "value": value,
                "style": "primary",
                "type": "button",
                "action_ts": "1548426417.840180",
            }
        ],
    }


async def post(
    site: Site,
    payload: dict[str, Any] | None = None,
    *,
    body: bytes | None = None,
    secret: str = SLACK_SECRET,
    age: float = 0,
) -> httpx.Response:
    """Posted as Slack posts: form-encoded, timestamped and signed."""
    if body is None:
        body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(site.web.clock.now().timestamp() - age))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": slack_signature(secret, timestamp, body),
    }
    return await site.web.client().post(PATH, content=body, headers=headers)


def value_for(site: Site, incident_id: int) -> str:
    return f"{incident_id}:{site.token(incident_id)}"


async def incident_status(site: Site, incident_id: int) -> tuple[str, str]:
    async with site.web.database.read() as connection:
        found = await connection.run_sync(incident_store.get_incident, incident_id)
    assert found is not None
    return found.status, found.acknowledged_by


async def test_a_press_acknowledges_and_rewrites_the_message_in_place(
    site: Site, receiver: HttpReceiver
) -> None:
    incident_id = await site.web.incident()
    url = f"{receiver.url}/actions/T3MDE/1/xyz"

    response = await post(site, interaction(site, incident_id, value_for(site, incident_id), url))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "text": "Acknowledged by alice."}
    assert await incident_status(site, incident_id) == ("acknowledged", "alice")
    await receiver.wait_for(1)
    [update] = receiver.requests
    assert update.path == "/actions/T3MDE/1/xyz"
    sent = update.json()
    assert sent["replace_original"] is True
    assert sent["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": ":white_check_mark: Acknowledged by alice"}],
    }
    kept = sent["blocks"][:-1]
    assert kept[:3] == alert_blocks(site, incident_id)[:3]
    buttons = [e for b in kept if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Open incident"]


async def test_a_second_press_says_who_acknowledged_first(
    site: Site, receiver: HttpReceiver
) -> None:
    incident_id = await site.web.incident()
    url = f"{receiver.url}/r"
    await post(site, interaction(site, incident_id, value_for(site, incident_id), url))
    again = interaction(site, incident_id, value_for(site, incident_id), url, user_name="bob")

    response = await post(site, again)

    assert response.json() == {"ok": True, "text": "Already acknowledged by alice."}
    await receiver.wait_for(2)
    assert "Acknowledged by alice" in json.dumps(receiver.requests[1].json())


@pytest.mark.parametrize(
    ("secret", "age"),
    [("another secret", 0), (SLACK_SECRET, 6 * 60), (SLACK_SECRET, -6 * 60)],
)
async def test_a_request_not_signed_by_slack_lately_is_refused(
    site: Site, receiver: HttpReceiver, secret: str, age: float
) -> None:
    incident_id = await site.web.incident()
    payload = interaction(site, incident_id, value_for(site, incident_id), receiver.url)

    response = await post(site, payload, secret=secret, age=age)

    assert response.status_code == 401
    assert response.json()["ok"] is False
    assert await incident_status(site, incident_id) == ("open", "")


async def test_headers_missing_or_garbled_are_refused(site: Site) -> None:
    client = site.web.client()
    assert (await client.post(PATH, content=b"payload=%7B%7D")).status_code == 401
    headers = {"x-slack-request-timestamp": "soon", "x-slack-signature": "v0=00"}
    assert (await client.post(PATH, content=b"x", headers=headers)).status_code == 401


async def test_without_a_signing_secret_every_request_is_refused(database_url: str) -> None:
    from tests.web.conftest import running_web

    async with running_web(database_url) as web:
        response = await web.client().post(PATH, content=b"payload=%7B%7D")
    assert response.status_code == 401
    assert "TOCSIN_SLACK_SIGNING_SECRET" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"payload=not-json",
        b"payload=%5B1%5D",
        b"nopayload=1",
        b"\xff\xfe",
        b"payload=%7B%7D&" + b"&".join(b"a%d=1" % n for n in range(20)),
    ],
)
async def test_a_signed_body_that_is_not_a_payload_is_a_400(site: Site, body: bytes) -> None:
    response = await post(site, body=body)
    assert response.status_code == 400
    assert response.json()["ok"] is False


async def test_a_press_of_another_button_or_another_kind_of_payload_changes_nothing(
    site: Site, receiver: HttpReceiver
) -> None:
    incident_id = await site.web.incident()
    link_press = interaction(site, incident_id, "", receiver.url)
    link_press["actions"] = [{"action_id": "WaXA", "type": "button", "action_ts": "1"}]
    for payload in (link_press, {"type": "view_submission"}, {"type": "block_actions"}):
        response = await post(site, payload)
        assert (response.status_code, response.json()["ok"]) == (200, True)
    assert await incident_status(site, incident_id) == ("open", "")


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "12", "x:1.y", "99999999999999999999:1.2", "{id}:{other}", "{id}:{expired}"],
)
async def test_a_forged_or_expired_value_acknowledges_nothing_and_says_so(
    site: Site, receiver: HttpReceiver, value: str
) -> None:
    incident_id = await site.web.incident()
    other = await site.web.incident(name="other")
    value = value.format(
        id=incident_id,
        other=site.token(other),
        expired=site.token(incident_id, timedelta(seconds=-1)),
    )

    response = await post(site, interaction(site, incident_id, value, f"{receiver.url}/r"))

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert "expired" in response.json()["text"]
    assert await incident_status(site, incident_id) == ("open", "")
    await receiver.wait_for(1)
    assert receiver.requests[0].json()["response_type"] == "ephemeral"


async def test_a_resolved_or_deleted_incident_gets_a_clear_answer(
    site: Site, receiver: HttpReceiver
) -> None:
    from tocsin.services import incidents as incident_service

    services = site.web.app.web.state.services
    resolved = await site.web.incident()
    await incident_service.resolve(services, None, resolved, "carol")
    gone = await site.web.incident(name="gone")
    await incident_service.delete_incident(services, site.web.project_id, gone)

    first = await post(site, interaction(site, resolved, value_for(site, resolved), receiver.url))
    second = await post(site, interaction(site, gone, value_for(site, gone), receiver.url))

    assert first.json() == {"ok": False, "text": f"Incident {resolved} is already resolved."}
    assert second.json() == {"ok": False, "text": f"Incident {gone} no longer exists."}


async def test_a_payload_with_odd_fields_is_answered_not_crashed_on(
    site: Site, receiver: HttpReceiver
) -> None:
    incident_id = await site.web.incident()
    payload = interaction(site, incident_id, value_for(site, incident_id), "ftp://nowhere")
    payload |= {"user": "not an object", "message": [1, 2]}
    response = await post(site, payload)
    assert response.json() == {"ok": True, "text": "Acknowledged by someone."}
    odd = interaction(site, incident_id, value_for(site, incident_id), receiver.url)
    odd["actions"] = [{"action_id": slack.ACK_ACTION, "value": 42}, "text"]
    assert (await post(site, odd)).status_code == 200


async def test_a_body_too_large_is_refused_before_it_is_read_whole(site: Site) -> None:
    body = b"payload=" + b"x" * (300 * 1024)
    response = await post(site, body=body)
    assert response.status_code == 413
