"""Apprise: real deliveries through the apprise library, and the settings."""

import pytest

from tests.notify.conftest import NO_SMTP
from tests.notify.messages import AWKWARD_NAME, down, up
from tests.receivers import HttpReceiver, Reply
from tocsin.notify.apprise import KIND, AppriseConfig, checked_destinations, notifier_for
from tocsin.notify.base import ChannelConfigError, DeliveryError, parse_config
from tocsin.notify.http import http_client
from tocsin.notify.outbound import LiveOutbound


def json_url(receiver: HttpReceiver, path: str) -> str:
    """The Apprise URL that POSTs a JSON document to the receiver."""
    return receiver.url.replace("http://", "json://", 1) + path


async def test_delivers_through_an_apprise_url(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = parse_config(KIND, {"url": json_url(receiver, "/apprise")})
    message = down(check_name=AWKWARD_NAME)

    await KIND.deliver(config, message, outbound)

    [received] = receiver.requests
    assert (received.method, received.path) == ("POST", "/apprise")
    assert received.headers["content-type"].startswith("application/json")
    document = received.json()
    assert document["title"] == f"{AWKWARD_NAME} is DOWN"
    assert document["message"] == message.text()
    assert document["type"] == "failure"


async def test_a_recovery_is_sent_as_a_success(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    config = parse_config(KIND, {"url": json_url(receiver, "/apprise")})

    await KIND.deliver(config, up(), outbound)

    assert receiver.requests[0].json()["type"] == "success"


async def test_a_service_that_fails_is_a_temporary_error(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    receiver.replies = [Reply(503, b"busy")]
    config = parse_config(KIND, {"url": json_url(receiver, "/apprise")})

    with pytest.raises(DeliveryError, match=r"^Apprise could not deliver: ") as raised:
        await KIND.deliver(config, down(), outbound)

    assert not raised.value.permanent


async def test_an_url_apprise_cannot_read_is_a_permanent_error_at_delivery(
    outbound: LiveOutbound,
) -> None:
    # Settings stored before this version of Apprise, or edited by hand, are not
    # validated again until delivery.
    config = AppriseConfig.model_construct(url="nosuchservice://x")

    with pytest.raises(DeliveryError, match=r"does not recognise") as raised:
        await KIND.deliver(config, down(), outbound)

    assert raised.value.permanent


def test_an_url_apprise_cannot_read_is_refused_with_the_settings() -> None:
    with pytest.raises(
        ChannelConfigError, match=r"^url: Value error, Apprise does not recognise this URL"
    ):
        parse_config(KIND, {"url": "nosuchservice://x"})


async def test_generic_http_urls_to_internal_addresses_are_refused_like_webhooks(
    receiver: HttpReceiver,
) -> None:
    config = parse_config(KIND, {"url": json_url(receiver, "/apprise")})
    async with http_client() as session:
        guarded = LiveOutbound(session, timeout=5, allow_private=False, smtp=NO_SMTP)
        with pytest.raises(DeliveryError, match=r"internal address 127\.0\.0\.1") as raised:
            await KIND.deliver(config, down(), guarded)
    assert raised.value.permanent
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # A Telegram URL's "host" is the bot's token: nothing to resolve.
        ("tgram://123456789:abcdefg_hijklmnop/12345", []),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", []),
        ("xmls://example.com/hook", [("example.com", 443)]),
        ("gotify://10.0.0.5/token", [("10.0.0.5", 80)]),
        ("mmost://127.0.0.1:8065/token", [("127.0.0.1", 8065)]),
        ("ntfys://ntfy.example.org/topic", [("ntfy.example.org", 443)]),
        ("ntfy://topic", []),  # ntfy.sh itself
        ("mailto://user:pass@example.com?smtp=10.0.0.9", [("10.0.0.9", 25)]),
    ],
)
def test_services_that_go_where_their_url_says_are_checked_by_address(
    url: str, expected: list[tuple[str, int]]
) -> None:
    notifier = notifier_for(url)
    assert notifier is not None
    assert list(checked_destinations(notifier)) == expected


async def test_a_self_hosted_service_at_an_internal_address_is_refused(
    receiver: HttpReceiver,
) -> None:
    url = receiver.url.replace("http://", "gotify://", 1) + "/AbCdEfGhIjKlMnO"
    config = parse_config(KIND, {"url": url})
    async with http_client() as session:
        guarded = LiveOutbound(session, timeout=5, allow_private=False, smtp=NO_SMTP)
        with pytest.raises(DeliveryError, match=r"internal address 127\.0\.0\.1"):
            await KIND.deliver(config, down(), guarded)
    assert receiver.requests == []


async def test_a_service_slower_than_the_timeout_is_a_temporary_error(
    receiver: HttpReceiver,
) -> None:
    receiver.replies = [Reply(200, b"{}", delay=3)]
    config = parse_config(KIND, {"url": json_url(receiver, "/apprise")})
    async with http_client() as session:
        hurried = LiveOutbound(session, timeout=0.3, allow_private=True, smtp=NO_SMTP)
        with pytest.raises(DeliveryError, match=r"did not deliver within 0\.3 s") as raised:
            await KIND.deliver(config, down(), hurried)
    assert not raised.value.permanent
