"""Apprise: one kind for the 100+ services the apprise library knows, each named by an
Apprise URL (tgram://…, mailto://…, json://…; see https://github.com/caronc/apprise/wiki).

Apprise makes its own connections, outside notify.outbound. A delivery is given up
after the notification timeout like any other (Apprise's thread may run on until its
own timeouts end it). Services that connect to whatever host the URL names (the
generic json://, xml:// and form://, self-hosted ones such as gotify://, ntfy:// or
mmost://, brokers, and mail servers) are refused internal addresses as webhooks are
(TOCSIN_ALLOW_PRIVATE_WEBHOOKS), checked before Apprise connects. Apprise resolves the
name again itself, so a name that changes its address in between is not caught.
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


# Apprise's plugins that connect to the host in the URL, a server whoever adds the
# channel chooses. The others reach their vendor's servers, and what sits in their
# URL's host place is often a token (a Telegram bot's, say): nothing to resolve.
USER_CHOSEN_HOSTS = frozenset(
    {
        *("json", "jsons", "xml", "xmls", "form", "forms"),
        *("apprise", "apprises", "bark", "barks", "emby", "embys", "enigma2", "enigma2s"),
        *("gorush", "gorushs", "gotify", "gotifys", "hassio", "hassios"),
        *("jellyfin", "jellyfins", "kodi", "kodis", "xbmc", "xbmcs"),
        *("mastodon", "mastodons", "toot", "toots", "matrix", "matrixs"),
        *("misskey", "misskeys", "mmost", "mmosts", "ncloud", "nclouds", "nctalk", "nctalks"),
        *("ntfy", "ntfys", "rocket", "rockets", "signal", "signals", "smseagle", "smseagles"),
        *("synology", "synologys", "amqp", "amqps", "mqtt", "mqtts", "xmpp", "xmpps"),
        *("irc", "ircs", "growl", "rsyslog", "mailto", "mailtos"),
    }
)


def checked_destinations(notifier: "apprise.Apprise") -> Iterator[tuple[str, int]]:
    """(host, port) of every service in the notifier that goes where its URL says."""
    servers: Iterator[Any] = iter(notifier)  # Apprise's typing leaves these vague
    for server in servers:
        if not protocols_of(server) & USER_CHOSEN_HOSTS:
            continue
        # Mail goes to the SMTP server the URL names, when it names one.
        host = getattr(server, "smtp_host", "") or server.host
        if host:  # ntfy:// and matrix:// without a host use the public service
            yield host, server.port or (443 if server.secure else 80)


def protocols_of(server: Any) -> set[str]:
    """A plugin's URL schemes; Apprise gives each as a name, a tuple of names or None."""
    names: set[str] = set()
    for value in (server.protocol, server.secure_protocol):
        if isinstance(value, str):
            names.add(value)
        elif value:
            names.update(value)
    return names


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
