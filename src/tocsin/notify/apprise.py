"""Apprise: one kind for the 100+ services the apprise library knows, each named by an
Apprise URL (tgram://…, mailto://…, json://…; see https://github.com/caronc/apprise/wiki).

Apprise makes its own connections, outside notify.outbound: neither Tocsin's guard
against private and internal addresses (TOCSIN_ALLOW_PRIVATE_WEBHOOKS) nor its
notification timeout applies to them. Whoever can add channels can make Tocsin reach
any address its host can.
"""

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from tocsin.notify.base import ChannelConfig, DeliveryError, Kind, Outbound
from tocsin.notify.message import Message

if TYPE_CHECKING:
    import apprise

LOG_LINES = 3  # of Apprise's log, in an error: enough to say why, short enough to read


class AppriseConfig(ChannelConfig):
    url: str = Field(min_length=1, description="An Apprise URL, e.g. tgram://bottoken/chatid")

    @field_validator("url")
    @classmethod
    def check_url(cls, value: str) -> str:
        if notifier_for(value) is None:
            raise ValueError("Apprise does not recognise this URL (see its wiki for the formats)")
        return value


def notifier_for(url: str) -> "apprise.Apprise | None":
    """An Apprise object for the URL, or None when Apprise cannot read it."""
    # Imported here: apprise takes a fifth of a second to import, which every CLI
    # command would pay for a kind it rarely uses.
    import apprise

    notifier = apprise.Apprise()
    return notifier if notifier.add(url) else None


def notify_type(message: Message) -> "apprise.NotifyType":
    """Services that colour or badge a notification do so by its type."""
    import apprise

    if message.kind == "up":
        return apprise.NotifyType.SUCCESS
    if message.kind == "test":
        return apprise.NotifyType.INFO
    return apprise.NotifyType.FAILURE


def failure_reason(result: "apprise.AppriseResult") -> str:
    lines = [entry.message for entry in result.logs()][-LOG_LINES:]
    return "; ".join(lines) or result.status.name.lower()


async def deliver(config: AppriseConfig, message: Message, outbound: Outbound) -> None:
    import apprise

    notifier = notifier_for(config.url)
    if notifier is None:
        raise DeliveryError("Apprise does not recognise this URL", permanent=True)
    result = await notifier.async_notify(
        title=message.title,
        body=message.text(),
        body_format=apprise.NotifyFormat.TEXT,  # Apprise escapes it for HTML services
        notify_type=notify_type(message),
    )
    with result:  # it may keep long logs in a temporary file
        if not result:
            reason = failure_reason(result)
            raise DeliveryError(f"Apprise could not deliver: {reason}", permanent=False)


KIND = Kind("apprise", "Apprise", AppriseConfig, deliver)
