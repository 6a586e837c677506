"""Sending for real: HTTP (through `notify.http`, with a timeout and a guard against
internal addresses) and SMTP. Maps every failure to a DeliveryError that says whether
to try again.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr, parsedate_to_datetime

import aiosmtplib

from tocsin.domain.numbers import ascii_digits
from tocsin.notify.base import DeliveryError, Request
from tocsin.notify.http import HttpClient, Response, http_client, refuse_internal, resolve

ERROR_BODY_CHARS = 200


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
        client: HttpClient,
        *,
        timeout: float,
        allow_private: bool,
        smtp: SmtpSettings,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.allow_private = allow_private
        self.smtp = smtp

    async def send(self, request: Request) -> None:
        await self.exchange(request)

    async def exchange(self, request: Request) -> bytes:
        headers, body = request_body(request)
        response = await self.client.request(
            request.method,
            request.url,
            headers,
            body,
            time_limit=self.timeout,
            allow_private=self.allow_private,
        )
        check_response(response)
        return response.body

    async def check_destination(self, host: str, port: int) -> None:
        if self.allow_private:
            return
        try:
            addresses = await resolve(host, port)
        except DeliveryError:
            # Nothing to connect to, for Apprise either; and the host some services
            # take is a mail domain, which needs no address of its own.
            return
        refuse_internal(addresses)

    async def send_email(
        self, to: list[str], subject: str, text: str, html: str, *, message_id: str = ""
    ) -> None:
        if not self.smtp.host:
            raise DeliveryError("email is not set up: TOCSIN_SMTP_HOST is empty", permanent=True)
        message = email_message(self.smtp.sender, to, subject, text, html, message_id)
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


NO_SMTP = SmtpSettings(host="", port=0, security="none", username="", password="", sender="")


async def send_once(requests: list[Request], *, time_limit: float, allow_private: bool) -> None:
    """Send a few requests in turn with a client of their own: a front end answering a
    service's callback (Slack's response_url, Telegram's Bot API), outside the outbox.
    Raises the first DeliveryError."""
    async with http_client() as client:
        outbound = LiveOutbound(
            client, timeout=time_limit, allow_private=allow_private, smtp=NO_SMTP
        )
        for request in requests:
            await outbound.send(request)


def check_response(response: Response) -> None:
    status = response.status
    if status < 300:
        return
    text = response.body[:ERROR_BODY_CHARS].decode(errors="replace")
    detail = f"HTTP {status}: {text.strip()}".rstrip(": ")
    if status == 429:
        raise DeliveryError(detail, permanent=False, retry_after=retry_after(response.headers))
    permanent = 300 <= status < 500 and status != 408
    raise DeliveryError(detail, permanent=permanent)


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "").strip()
    if ascii_digits(value):
        # float() reads any number of digits; inf, for too many, is capped like any
        # long wait by the notifier.
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def request_body(request: Request) -> tuple[dict[str, str], bytes]:
    """The headers and bytes to send. A body always says what it is: the channel's own
    Content-Type if it set one, else JSON when it reads as JSON, else UTF-8 text
    (receivers that parse by type, and some that refuse a body without one, need it)."""
    headers = dict(request.headers)
    body = request.content or b""
    if request.json is not None:
        body = json.dumps(request.json).encode()
    if body and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = content_type(body, is_json=request.json is not None)
    return headers, body


def content_type(body: bytes, *, is_json: bool = False) -> str:
    if is_json:
        return "application/json"
    try:
        json.loads(body)
    except ValueError:  # UnicodeDecodeError is one
        return "text/plain; charset=utf-8"
    return "application/json"


def email_message(
    sender: str, to: list[str], subject: str, text: str, html: str, key: str = ""
) -> EmailMessage:
    """A message as RFC 5322 wants it, with the `Date:` and `Message-ID:` that some
    mail servers refuse mail without. No HTML part when `html` is empty."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id_header(key, sender)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def message_id_header(key: str, sender: str) -> str:
    """A Message-ID in the sender's domain, as RFC 5322 asks. Made from a
    notification's id when there is one, the same on every retry, so mail systems and
    people can tell a repeat; else unique (`email.utils.make_msgid`)."""
    domain = sender_domain(sender)
    return f"<{key}@{domain}>" if key else make_msgid("tocsin", domain=domain)


def sender_domain(sender: str) -> str:
    """The domain of `alerts@example.com` or `Tocsin <alerts@example.com>`."""
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain.strip().lower() or "tocsin.invalid"
