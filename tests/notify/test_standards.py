"""What every delivery owes the receiving end, checked on real local servers: mail
that RFC 5322 accepts (with `Date:` and a `Message-ID:` in the sender's domain), and
HTTP bodies that say what they are."""

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from tests.notify.messages import down, nag, trial, up
from tests.receivers import HttpReceiver, Mail, SmtpReceiver
from tocsin.notify.base import parse_config
from tocsin.notify.http import http_client
from tocsin.notify.kinds import KINDS, kind_named
from tocsin.notify.message import Message
from tocsin.notify.outbound import LiveOutbound, SmtpSettings

MESSAGE_ID = re.compile(
    r"^<[!#-'*+\-/-9=?A-Z^-~.]+@([A-Za-z0-9.-]+)>$"
)  # RFC 5322 msg-id, dot-atoms


@pytest.fixture
async def mailer(smtp: SmtpReceiver) -> AsyncIterator[Callable[[str], LiveOutbound]]:
    """An outbound that mails the local SMTP server as the given sender."""
    async with http_client() as client:

        def make(sender: str) -> LiveOutbound:
            settings = SmtpSettings("127.0.0.1", smtp.port, "none", "", "", sender)
            return LiveOutbound(client, timeout=5, allow_private=True, smtp=settings)

        yield make


def strictly_parsed(mail: Mail) -> Any:
    """The mail as it came, parsed by a parser that raises on any defect."""
    return BytesParser(policy=policy.strict).parsebytes(mail.raw)


def assert_standard(mail: Mail, domain: str) -> str:
    parsed = strictly_parsed(mail)
    sent = parsedate_to_datetime(str(parsed["Date"]))
    assert sent.tzinfo is not None
    assert abs(sent - datetime.now(UTC)) < timedelta(days=1)  # a sane date, not a timing
    message_id = str(parsed["Message-ID"])
    match = MESSAGE_ID.match(message_id)
    assert match is not None, message_id
    assert match.group(1) == domain
    assert not parsed.defects
    return message_id


@pytest.mark.parametrize("make", [down, nag, up, trial], ids=["down", "nag", "up", "test"])
async def test_every_alert_mail_has_a_date_and_a_message_id_and_parses_strictly(
    smtp: SmtpReceiver, mailer: Callable[[str], LiveOutbound], make: Callable[..., Message]
) -> None:
    email = kind_named("email")
    config = parse_config(email, {"to": "ops@example.com"})
    message = make(notification_key="5a1d3c6e-0b7f-5e2a-9c4d-1f2e3d4c5b6a")
    await email.deliver(config, message, mailer("Tocsin <alerts@Mail.Example.org>"))
    [mail] = smtp.mail
    message_id = assert_standard(mail, "mail.example.org")
    # The notification's id, the same on every retry of it.
    assert message_id == "<5a1d3c6e-0b7f-5e2a-9c4d-1f2e3d4c5b6a@mail.example.org>"


async def test_a_mail_with_no_notification_behind_it_gets_a_fresh_message_id(
    smtp: SmtpReceiver, mailer: Callable[[str], LiveOutbound]
) -> None:
    outbound = mailer("tocsin@example.com")
    for _ in range(2):  # like an invitation or a password reset: text only
        await outbound.send_email(["ada@example.com"], "Your invitation", "Follow the link.", "")
    ids = [assert_standard(mail, "example.com") for mail in smtp.mail]
    assert ids[0] != ids[1]
    assert [part.get_content_type() for part in smtp.mail[0].message.walk()] == ["text/plain"]


# HTTP bodies.


def http_settings(url: str) -> dict[str, dict[str, Any]]:
    """Settings for every kind that delivers by HTTP, aimed at `url` (one request for
    the message `down()` makes)."""
    return {
        "discord": {"url": url},
        "googlechat": {"url": url},
        "gotify": {"url": url, "token": "t"},
        "matrix": {"homeserver": url, "access_token": "t", "room_id": "!a:m.org"},
        "mattermost": {"url": url},
        "msteams": {"url": url},
        "ntfy": {"url": url},
        "opsgenie": {"api_key": "k", "api_url": url},
        "pagerduty": {"routing_key": "k", "api_url": url},
        "pushover": {"user_key": "u", "app_token": "a", "api_url": url},
        "slack": {"url": url},
        "telegram": {"token": "t", "chat_id": 1, "api_url": url},
        "twilio": {
            "account_sid": "AC1",
            "auth_token": "t",
            "from_number": "+15550001111",
            "to": ["+15552223333"],
            "api_url": url,
        },
        "webhook": {"url": url},
    }


@pytest.fixture
async def outbound() -> AsyncIterator[LiveOutbound]:
    smtp = SmtpSettings("", 0, "none", "", "", "")
    async with http_client() as client:
        yield LiveOutbound(client, timeout=5, allow_private=True, smtp=smtp)


def test_every_http_kind_is_in_the_table() -> None:
    # A new kind must say here how to aim it at the receiver.
    assert set(http_settings("http://127.0.0.1/")) == set(KINDS) - {"email", "apprise"}


@pytest.mark.parametrize("name", sorted(set(KINDS) - {"email", "apprise"}))
async def test_every_http_kind_says_what_its_body_is(
    receiver: HttpReceiver, outbound: LiveOutbound, name: str
) -> None:
    kind = kind_named(name)
    await kind.deliver(
        parse_config(kind, http_settings(f"{receiver.url}/hook")[name]), down(), outbound
    )
    [request] = receiver.requests
    assert request.body
    expected = {
        "ntfy": "text/plain; charset=utf-8",
        "twilio": "application/x-www-form-urlencoded",  # as Twilio's API takes it
    }.get(name, "application/json")
    assert request.headers["content-type"] == expected


@pytest.mark.parametrize(
    ("settings", "content_type"),
    [
        ({}, "application/json"),  # Tocsin's own event
        ({"body": '{"text": "$NAME is $STATUS"}'}, "application/json"),
        ({"body": "$NAME is $STATUS"}, "text/plain; charset=utf-8"),
        ({"body": "[not json"}, "text/plain; charset=utf-8"),
        ({"body": "$NAME", "headers": {"content-TYPE": "text/x-mine"}}, "text/x-mine"),
    ],
)
async def test_a_webhook_body_says_what_it_is_unless_the_channel_says_otherwise(
    receiver: HttpReceiver, outbound: LiveOutbound, settings: dict[str, Any], content_type: str
) -> None:
    kind = kind_named("webhook")
    config = parse_config(kind, {"url": f"{receiver.url}/hook", **settings})
    await kind.deliver(config, down(), outbound)
    [request] = receiver.requests
    assert request.headers["content-type"] == content_type
    assert list(request.headers).count("content-type") == 1


async def test_a_webhook_get_sends_no_body_and_no_content_type(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    kind = kind_named("webhook")
    config = parse_config(kind, {"url": f"{receiver.url}/hook", "method": "GET"})
    await kind.deliver(config, down(), outbound)
    [request] = receiver.requests
    assert (request.body, "content-type" in request.headers) == (b"", False)
