"""Sending to a person's contact method: the channel kind that serves it, and its
settings made from the person's address and the instance's provider settings (the
Pushover app, the Telegram and Slack bots, the ntfy server, the Twilio account), so a
person's alert takes the same road as a channel's."""

from dataclasses import dataclass

from tocsin.notify import email, ntfy, pushover, slack_dm, telegram, twilio
from tocsin.notify.base import ChannelConfig, Kind, Outbound, parse_config
from tocsin.notify.message import Message
from tocsin.notify.twilio import TwilioAccount, TwilioConfig

TWILIO_VARIABLES = "TOCSIN_TWILIO_ACCOUNT_SID, TOCSIN_TWILIO_AUTH_TOKEN and TOCSIN_TWILIO_FROM"


class NotSetUpError(ValueError):
    """The instance lacks what this contact method needs (a bot token, say)."""


@dataclass(frozen=True, slots=True)
class Providers:
    """The instance's accounts with the services people are reached through."""

    pushover_app_token: str = ""
    telegram_bot_token: str = ""
    slack_bot_token: str = ""
    ntfy_url: str = "https://ntfy.sh"
    twilio: TwilioAccount | None = None


async def deliver_to_phone(config: TwilioConfig, message: Message, outbound: Outbound) -> None:
    """As a `twilio` channel delivers, but with no channel: a call's key pressed is
    checked against the instance's own auth token."""
    for request in twilio.requests_for(config, message):
        await outbound.send(request)


PHONE = Kind("phone", "Phone (SMS, voice)", TwilioConfig, deliver_to_phone)


def route(
    kind: str, address: str, providers: Providers, method: str = ""
) -> tuple[Kind, ChannelConfig]:
    """The channel kind and settings that reach `address`, a contact method of `kind`
    (domain.people.ContactKind), a phone by `method` (`call`, else an SMS);
    `NotSetUpError` naming the missing setting, or `ValueError` for an address the
    kind refuses."""
    if kind == "email":
        return email.KIND, parse_config(email.KIND, {"to": [address]})
    if kind == "pushover":
        token = needed(providers.pushover_app_token, "TOCSIN_PUSHOVER_APP_TOKEN")
        raw = {"user_key": address, "app_token": token}
        return pushover.KIND, parse_config(pushover.KIND, raw)
    if kind == "ntfy":
        url = f"{needed(providers.ntfy_url, 'TOCSIN_NTFY_URL').rstrip('/')}/{address}"
        return ntfy.KIND, parse_config(ntfy.KIND, {"url": url})
    if kind == "telegram":
        token = needed(providers.telegram_bot_token, "TOCSIN_TELEGRAM_BOT_TOKEN")
        return telegram.KIND, parse_config(telegram.KIND, {"token": token, "chat_id": address})
    if kind == "slack":
        token = needed(providers.slack_bot_token, "TOCSIN_SLACK_BOT_TOKEN")
        raw = {"token": token, "member_id": address}
        return slack_dm.KIND, parse_config(slack_dm.KIND, raw)
    if kind == "phone":
        return PHONE, phone_config(address, providers.twilio, method)
    raise NotSetUpError(f"{kind} contact methods are not delivered")


def phone_config(address: str, account: TwilioAccount | None, method: str) -> ChannelConfig:
    if account is None:
        raise NotSetUpError(f"SMS and calls are not set up: {TWILIO_VARIABLES} are not set")
    raw = {
        "account_sid": account.sid,
        "auth_token": account.auth_token,
        "from_number": account.from_number,
        "api_url": account.api_url,
        "to": [address],
        "method": "voice" if method == "call" else "sms",
    }
    return parse_config(PHONE, raw)


def needed(value: str, variable: str) -> str:
    if not value:
        raise NotSetUpError(f"{variable} is not set")
    return value
