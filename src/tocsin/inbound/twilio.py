"""The key pressed during an alert's call, `/integrations/twilio/voice/<incident>`:
Twilio posts it (form-encoded, `Digits`) to the URL the call's TwiML gave, signed in
X-Twilio-Signature with the account's auth token over that URL and the posted fields.
The URL as Twilio saw it is rebuilt from TOCSIN_SITE_URL, so that must be the address
Twilio reaches Tocsin by. The auth token is the channel's named in the URL, or the
instance's (TOCSIN_TWILIO_AUTH_TOKEN) for calls to people.

1 acknowledges the incident (the URL's signed token names it); the answer is TwiML
that says what happened, so the caller hears it."""

import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.domain.numbers import whole_number
from tocsin.domain.signatures import twilio_request_is_genuine
from tocsin.domain.signing import ACK_PURPOSE, verify
from tocsin.inbound.common import RefusalError, acknowledge, read_body, who_from
from tocsin.notify import twilio
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.services.context import Context
from tocsin.services.requests import ServicesDep
from tocsin.store.channels import channel_by_uuid

router = APIRouter(include_in_schema=False)


def twiml(text: str, status: int = 200) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>{escape(text)}</Say></Response>'
    return Response(body, status_code=status, media_type="text/xml")


@router.post(twilio.VOICE_PATH + "/{incident_id}")
async def keypress(request: Request, services: ServicesDep, incident_id: str) -> Response:
    try:
        body = await read_body(request)
        fields = read_form(body)
        token = await auth_token(services, request.query_params.get("channel", ""))
        check_signature(services, request, fields, token)
    except RefusalError as refusal:
        return twiml(refusal.reason, refusal.status)
    number = whole_number(incident_id, max_digits=18)
    ack_token = request.query_params.get("token", "")
    now = services.clock.now()
    if number is None or not verify(services.secret, ack_token, ACK_PURPOSE, number, now):
        return twiml("This call can no longer acknowledge the incident. Goodbye.", 403)
    if fields_get(fields, "Digits") != twilio.ACK_DIGIT:
        return twiml("Not acknowledged. Goodbye.")
    who = who_from(fields_get(fields, "To"), fields_get(fields, "Called"))
    outcome = await acknowledge(services, number, f"{who} (phone)", "a phone call")
    return twiml(f"{outcome.text} Goodbye.")


def read_form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise RefusalError(400, "Expected a form, as Twilio posts.") from None


def fields_get(fields: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in fields if key == name), "")


async def auth_token(context: Context, channel: str) -> str:
    """The channel's auth token, or the instance's without a channel."""
    if not channel:
        return context.settings.twilio_auth_token
    try:
        wanted = uuid.UUID(channel)
    except ValueError:
        raise RefusalError(404, "No such channel.") from None
    async with context.database.read() as connection:
        found = await connection.run_sync(channel_by_uuid, wanted)
    if found is None or found.kind != "twilio":
        raise RefusalError(404, "No such channel.")
    try:
        config = parse_config(twilio.KIND, found.config)
    except ChannelConfigError:
        raise RefusalError(409, "The channel's settings are not valid.") from None
    assert isinstance(config, twilio.TwilioConfig)
    return config.auth_token


def check_signature(
    context: Context, request: Request, fields: list[tuple[str, str]], token: str
) -> None:
    url = context.settings.base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    if not twilio_request_is_genuine(token, url, fields, signature):
        raise RefusalError(401, "Not signed by Twilio for this address.")
