"""Slack's interactivity request URL, `/integrations/slack`: a press of an alert's
Acknowledge button (a `block_actions` payload, form-encoded) acknowledges the incident
its signed value names, and the message is rewritten in place through the
`response_url` to say who acknowledged. A request Slack did not sign with
TOCSIN_SLACK_SIGNING_SECRET, or signed more than five minutes ago, is refused (401).

Slack wants an answer within three seconds and ignores its body for block actions, so
the message is updated after the answer. A press of another button (the link to the
incident also reports to the request URL) is answered and otherwise ignored."""

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, Response

from tocsin.domain.signatures import slack_request_is_genuine
from tocsin.domain.signing import ACK_PURPOSE, verify
from tocsin.inbound.common import (
    Outcome,
    RefusalError,
    acknowledge,
    read_body,
    send_replies,
    who_from,
)
from tocsin.notify import slack
from tocsin.notify.base import Request as Outgoing
from tocsin.services.context import Context
from tocsin.services.requests import ServicesDep

router = APIRouter(include_in_schema=False)


@router.post("/integrations/slack")
async def interaction(
    request: Request, services: ServicesDep, background: BackgroundTasks
) -> Response:
    try:
        body = await read_body(request)
        check_signature(services, request, body)
        payload = read_payload(body)
    except RefusalError as refusal:
        return refusal.response()
    pressed = ack_pressed(payload)
    if pressed is None:
        return JSONResponse({"ok": True, "text": "Nothing to do."})
    outcome = await press(services, payload, pressed)
    if reply := reply_to(payload, outcome):
        background.add_task(send_replies, services, [reply])
    return JSONResponse({"ok": outcome.acknowledged, "text": outcome.text})


def check_signature(context: Context, request: Request, body: bytes) -> None:
    if not context.settings.slack_signing_secret:
        raise RefusalError(401, "TOCSIN_SLACK_SIGNING_SECRET is not set: Slack is not trusted")
    if not slack_request_is_genuine(
        context.settings.slack_signing_secret,
        request.headers.get("x-slack-request-timestamp", ""),
        request.headers.get("x-slack-signature", ""),
        body,
        context.clock.now(),
    ):
        raise RefusalError(401, "not signed by Slack with this signing secret, or not lately")


def read_payload(body: bytes) -> dict[str, Any]:
    """The JSON in the form's `payload` field, as Slack posts it."""
    try:
        form = parse_qs(body.decode(), strict_parsing=True, max_num_fields=10)
        payload = json.loads(form["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError):
        raise RefusalError(400, "expected a form with a `payload` field of JSON") from None
    if not isinstance(payload, dict):
        raise RefusalError(400, "the payload is not a JSON object")
    return payload


def ack_pressed(payload: dict[str, Any]) -> str | None:
    """The value of the Acknowledge button pressed, if that is what happened."""
    if payload.get("type") != "block_actions" or not isinstance(payload.get("actions"), list):
        return None
    for action in payload["actions"]:
        if isinstance(action, dict) and action.get("action_id") == slack.ACK_ACTION:
            value = action.get("value")
            return value if isinstance(value, str) else ""
    return None


async def press(context: Context, payload: dict[str, Any], value: str) -> Outcome:
    found = slack.read_ack_value(value)
    now = context.clock.now()
    if found is None or not verify(context.secret, found[1], ACK_PURPOSE, found[0], now):
        return Outcome(False, "This button has expired: acknowledge the incident in Tocsin.")
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    assert isinstance(user, dict)
    who = who_from(user.get("name"), user.get("username"), user.get("id"))
    return await acknowledge(context, found[0], who, "Slack")


def reply_to(payload: dict[str, Any], outcome: Outcome) -> Outgoing | None:
    """The message rewritten, or (when nothing was acknowledged) a note only the
    presser sees; None without a response_url to send it to."""
    url = payload.get("response_url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    if outcome.acknowledged:
        return slack.acknowledged(url, payload.get("message"), outcome.by)
    note = {"response_type": "ephemeral", "replace_original": False, "text": outcome.text}
    return Outgoing("POST", url, json=note)
