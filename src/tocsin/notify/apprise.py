"""Apprise: one kind for the 100+ services the apprise library knows, each named by an
Apprise URL (tgram://…, mailto://…, json://…; see https://github.com/caronc/apprise/wiki).

Apprise makes its own connections, outside notify.outbound. A delivery is given up
after the notification timeout like any other (Apprise's thread may run on until its
own timeouts end it), and the generic HTTP kinds (json://, xml://, form:// and their
secure forms), which post anywhere, are refused internal addresses as webhooks are
(TOCSIN_ALLOW_PRIVATE_WEBHOOKS), checked before Apprise connects. Other self-hosted
services Apprise reaches by a host in the URL (gotify://, ntfy://, mmost://, …) are
not checked: whoever can add channels can point those anywhere the host can reach.
"""

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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


# Apprise's plugins that send an HTTP request to whatever host the URL names.
GENERIC_HTTP = {"json", "jsons", "xml", "xmls", "form", "forms"}


def http_destinations(notifier: "apprise.Apprise") -> Iterator[tuple[str, int]]:
    servers: Iterator[Any] = iter(notifier)  # Apprise's typing leaves these vague
    for server in servers:
        if server.protocol in GENERIC_HTTP or server.secure_protocol in GENERIC_HTTP:
            port = server.port or (443 if server.secure else 80)
            yield server.host, port


async def deliver(config: AppriseConfig, message: Message, outbound: Outbound) -> None:
    import apprise

    notifier = notifier_for(config.url)
    if notifier is None:
        raise DeliveryError("Apprise does not recognise this URL", permanent=True)
    for host, port in http_destinations(notifier):
        await outbound.check_destination(host, port)
    sending = notifier.async_notify(
        title=message.title,
        body=message.text(),
        body_format=apprise.NotifyFormat.TEXT,  # Apprise escapes it for HTML services
        notify_type=notify_type(message),
    )
    try:
        result = await asyncio.wait_for(sending, outbound.timeout)
    except TimeoutError:
        raise DeliveryError(
            f"Apprise did not deliver within {outbound.timeout:g} s", permanent=False
        ) from None
    with result:  # it may keep long logs in a temporary file
        if not result:
            reason = failure_reason(result)
            raise DeliveryError(f"Apprise could not deliver: {reason}", permanent=False)


KIND = Kind("apprise", "Apprise", AppriseConfig, deliver)
