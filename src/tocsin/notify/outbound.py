"""Sending for real: HTTP with a timeout and a guard against internal addresses, and
SMTP. Maps every failure to a DeliveryError that says whether to try again.

HTTP goes through aiohttp rather than httpx: against a local receiver, httpx managed
about 300 requests/s (its connection pool rescans every connection on each request),
aiohttp about 3,500/s on the same machine (docs/PERFORMANCE.md, alert latency).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib

from tocsin.notify.base import DeliveryError, Request

ERROR_BODY_CHARS = 200
CONNECTIONS = 50  # open at once, over all channels


def http_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS))


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    username: str
    password: str
    sender: str


class LiveOutbound:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float,
        allow_private: bool,
        smtp: SmtpSettings,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.allow_private = allow_private
        self.smtp = smtp

    async def send(self, request: Request) -> None:
        await self.refuse_internal(request.url)
        try:
            async with self.session.request(
                request.method,
                request.url,
                json=request.json,
                data=request.content,
                headers=request.headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,  # a redirect could lead to an internal address
            ) as response:
                await check_response(response)
        except TimeoutError:
            raise DeliveryError(f"no answer within {self.timeout:g}s", permanent=False) from None
        except aiohttp.ClientError as error:
            raise DeliveryError(f"could not connect: {error}", permanent=False) from None

    async def refuse_internal(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"not an http(s) URL: {url}", permanent=True)
        if self.allow_private:
            return
        for address in await resolve(parts.hostname, parts.port or 443):
            if not address.is_global:
                raise DeliveryError(
                    f"refusing to send to the internal address {address} "
                    "(TOCSIN_ALLOW_PRIVATE_WEBHOOKS=true allows it)",
                    permanent=True,
                )

    async def send_email(self, to: list[str], subject: str, text: str, html: str) -> None:
        if not self.smtp.host:
            raise DeliveryError("email is not set up: TOCSIN_SMTP_HOST is empty", permanent=True)
        message = email_message(self.smtp.sender, to, subject, text, html)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.smtp.host,
                port=self.smtp.port,
                username=self.smtp.username or None,
                password=self.smtp.password or None,
                use_tls=self.smtp.security == "tls",
                start_tls=self.smtp.security == "starttls",
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"recipients refused: {error}", permanent=True) from None
        except aiosmtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP login failed: {error.message}", permanent=True) from None
        except aiosmtplib.SMTPResponseException as error:
            permanent = 500 <= error.code < 600
            raise DeliveryError(
                f"SMTP {error.code}: {error.message}", permanent=permanent
            ) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP failed: {error}", permanent=False) from None


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryError(f"cannot resolve {host}: {error}", permanent=False) from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_response(response: aiohttp.ClientResponse) -> None:
    status = response.status
    if status < 300:
        return
    text = (await response.content.read(ERROR_BODY_CHARS)).decode(errors="replace")
    detail = f"HTTP {status}: {text.strip()}".rstrip(": ")
    if status == 429:
        raise DeliveryError(detail, permanent=False, retry_after=retry_after(response.headers))
    permanent = 300 <= status < 500 and status != 408
    raise DeliveryError(detail, permanent=permanent)


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def email_message(sender: str, to: list[str], subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
