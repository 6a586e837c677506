"""Apprise: one kind for the 100+ services the apprise library knows, each named by an
Apprise URL (tgram://…, mailto://…, json://…; see https://github.com/caronc/apprise/wiki).

Apprise makes its own connections, outside notify.outbound. A delivery is given up
after the notification timeout like any other (Apprise's thread may run on until its
own timeouts end it). Services that connect to whatever host the URL names (the
generic json://, xml:// and form://, self-hosted ones such as gotify://, ntfy:// or
pjet://, brokers, and mail servers: every plugin whose own description of its URLs
has a host in it) are refused internal addresses as webhooks are
(TOCSIN_ALLOW_PRIVATE_WEBHOOKS), checked before Apprise connects. Apprise resolves the
name again itself, so a name that changes its address in between is not caught, and
it follows redirects.
"""

import asyncio
import functools
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


# The untranslated names Apprise gives a plugin's URL parts that name a server.
HOST_NAMES = frozenset({"Hostname", "Host"})


def checked_destinations(notifier: "apprise.Apprise") -> Iterator[tuple[str, int]]:
    """(host, port) of every server a service in the notifier would connect to because
    its URL names it: a server whoever adds the channel chooses."""
    servers: Iterator[Any] = iter(notifier)  # Apprise's typing leaves these vague
    for server in servers:
        port = server.port or (443 if server.secure else 80)
        for attribute in host_attributes(server.__class__):
            host = getattr(server, attribute, None)
            # Empty when the URL did not name one (ntfy://topic uses ntfy.sh itself).
            if host and isinstance(host, str):
                yield host, port


@functools.cache
def host_attributes(plugin: type) -> tuple[str, ...]:
    """The attributes of a plugin's service that hold a host its URL chose, read from
    the plugin's own description of its URLs (so a plugin added to Apprise is covered
    without a list here to keep): the `host` part unless the plugin reads it as
    something else (WeChat's agent id), parts named a hostname (Azure's endpoint),
    and options kept as a `…_host` (mail's smtp=, XMPP's xmpp=). Services of vendors
    with fixed servers have none, or clear `host` when it held a token."""
    parts = {**(plugin.template_args or {}), **(plugin.template_tokens or {})}  # type: ignore[attr-defined]
    found = [
        part.get("map_to", key)
        for key, part in parts.items()
        if names_a_host(key, part) and "alias_of" not in part
    ]
    return tuple(dict.fromkeys(found))


def names_a_host(key: str, part: dict[str, Any]) -> bool:
    attribute = part.get("map_to", key)
    name = part.get("name", "")
    untranslated = getattr(name, "text", name)  # Apprise's lazily translated names
    return attribute == "host" or attribute.endswith("_host") or untranslated in HOST_NAMES


async def deliver(config: AppriseConfig, message: Message, outbound: Outbound) -> None:
    import apprise

    notifier = notifier_for(config.url)
    if notifier is None:
        raise DeliveryError("Apprise does not recognise this URL", permanent=True)
    for host, port in checked_destinations(notifier):
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
