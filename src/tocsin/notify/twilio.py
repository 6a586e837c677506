"""SMS and voice calls through Twilio's REST API (or a compatible one: the base URL is
a setting). An SMS carries the alert in short and its acknowledge link. A call reads
the alert aloud and offers "press 1 to acknowledge": its TwiML gathers one key and
posts it to Tocsin's `/integrations/twilio/voice/<incident>`, signed by Twilio with the
account's auth token (`inbound.twilio` checks it). A recovery is an SMS, never a call.

Sending needs an account, which a `twilio` channel carries in its settings and people's
phone numbers take from the instance's `TOCSIN_TWILIO_*` settings: `TwilioAccount`,
with `sms` and `call`, serves both.
"""

import base64
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from pydantic import Field, field_validator

from tocsin.notify.base import ChannelConfig, Kind, Outbound, Request, ack_link, clip
from tocsin.notify.message import Message

API_URL = "https://api.twilio.com"
SMS_LIMIT = 1600  # characters Twilio takes in one message body
SPOKEN_LIMIT = 1000  # characters read aloud, before the question
VOICE_PATH = "/integrations/twilio/voice"  # inbound.twilio's route, under the site URL
ACK_DIGIT = "1"
E164 = "a number in E.164 form, such as +15551234567"


@dataclass(frozen=True, slots=True)
class TwilioAccount:
    """What sending takes: the account, its token, the number it sends from."""

    sid: str
    auth_token: str
    from_number: str
    api_url: str = API_URL

    def endpoint(self, resource: str) -> str:
        sid = quote(self.sid, safe="")
        return f"{self.api_url.rstrip('/')}/2010-04-01/Accounts/{sid}/{resource}.json"

    def authorization(self) -> str:
        pair = f"{self.sid}:{self.auth_token}".encode()
        return "Basic " + base64.b64encode(pair).decode()


class TwilioConfig(ChannelConfig):
    account_sid: str = Field(min_length=1, description="The account's SID, AC…")
    auth_token: str = Field(min_length=1, description="The account's auth token")
    from_number: str = Field(min_length=2, description=f"The number it sends from, {E164}")
    to: list[str] = Field(min_length=1, description=f"The numbers to alert, each {E164}")
    method: Literal["sms", "voice"] = Field(default="sms", description="Text, or call")
    api_url: str = Field(default=API_URL, min_length=1, description="A compatible API's base")

    @field_validator("to")
    @classmethod
    def check_numbers(cls, numbers: list[str]) -> list[str]:
        for number in numbers:
            digits = number.removeprefix("+")
            if not number.startswith("+") or not digits.isascii() or not digits.isdigit():
                raise ValueError(f"{number!r} is not {E164}")
        return numbers


def account_of(config: TwilioConfig) -> TwilioAccount:
    return TwilioAccount(config.account_sid, config.auth_token, config.from_number, config.api_url)


def form_request(account: TwilioAccount, resource: str, fields: dict[str, str]) -> Request:
    headers = {
        "Authorization": account.authorization(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urlencode(fields).encode()
    return Request("POST", account.endpoint(resource), content=body, headers=headers)


def sms(account: TwilioAccount, to: str, text: str) -> Request:
    fields = {"To": to, "From": account.from_number, "Body": clip(text, SMS_LIMIT)}
    return form_request(account, "Messages", fields)


def call(account: TwilioAccount, to: str, twiml: str) -> Request:
    return form_request(account, "Calls", {"To": to, "From": account.from_number, "Twiml": twiml})


def sms_text(message: Message) -> str:
    """The title, the cause, the last ping, and the link to act on."""
    lines = [message.title]
    lines += [f"{label}: {value}" for label, value in message.facts()[1:3]]
    if link := ack_link(message):
        lines.append(f"Acknowledge: {link}")
    elif message.incident_url:
        lines.append(message.incident_url)
    return "\n".join(lines)


def spoken(message: Message) -> str:
    """The alert as sentences to read aloud."""
    sentences = [f"Tocsin alert. {message.title}."]
    sentences += [f"{label}: {value}." for label, value in message.facts()[1:2]]
    return clip(" ".join(sentences), SPOKEN_LIMIT)


def gather_url(message: Message, channel: str = "") -> str:
    """Where the call posts the key pressed: the incident and the token that lets it be
    acknowledged, and the channel whose auth token signs the post (none: the
    instance's)."""
    query = {"token": message.ack_token} | ({"channel": channel} if channel else {})
    return f"{message.site_url}{VOICE_PATH}/{message.incident_id}?{urlencode(query)}"


def voice_twiml(message: Message, channel: str = "") -> str:
    """Read the alert; while it is open, gather one key, 1 acknowledging."""
    say = f"<Say>{escape(spoken(message))}</Say>"
    if not (message.ack_token and message.incident_id is not None and message.site_url):
        return f'<?xml version="1.0" encoding="UTF-8"?><Response>{say}</Response>'
    ask = "<Say>Press 1 to acknowledge.</Say>"
    action = quoteattr(gather_url(message, channel))
    gather = f'<Gather numDigits="1" timeout="10" action={action} method="POST">{say}{ask}</Gather>'
    bye = "<Say>No key pressed. Goodbye.</Say>"
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{gather}{bye}</Response>'


def requests_for(config: TwilioConfig, message: Message, channel: str = "") -> list[Request]:
    account = account_of(config)
    if config.method == "voice" and message.kind != "up":
        twiml = voice_twiml(message, channel)
        return [call(account, number, twiml) for number in config.to]
    text = sms_text(message)
    return [sms(account, number, text) for number in config.to]


async def deliver(config: TwilioConfig, message: Message, outbound: Outbound) -> None:
    """One request per number, in turn; a retry after a failure sends to all again."""
    for request in requests_for(config, message, message.channel_uuid):
        await outbound.send(request)


KIND = Kind("twilio", "Twilio (SMS, voice)", TwilioConfig, deliver)
