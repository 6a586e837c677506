"""The key pressed during a call, posted as Twilio posts it (form-encoded, signed in
X-Twilio-Signature) to the URL the call's TwiML gave; first the whole way: the
notifier calls through a local stand-in for Twilio's API, and the keypress goes to
the action URL in the TwiML it sent."""

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

import httpx
import pytest

from tests.alerts.test_reach import member, people_ids, policy_reaching
from tests.helpers import add_channel, incidents_of
from tests.inbound.conftest import TWILIO_TOKEN, Site
from tests.receivers import HttpReceiver, Reply
from tests.web.conftest import SITE
from tocsin.alerts.notifier import Links, Notifier
from tocsin.domain.people import ContactKind, Method, Reach, Target, TargetKind
from tocsin.domain.records import ChannelRow
from tocsin.domain.signatures import twilio_signature
from tocsin.notify.http import http_client
from tocsin.notify.outbound import LiveOutbound, SmtpSettings
from tocsin.notify.people import Providers
from tocsin.notify.twilio import TwilioAccount
from tocsin.store import incidents as incident_store
from tocsin.store.fastpath.runners import batch_runner

SID = "AC0123456789abcdef0123456789abcdef"
CHANNEL_TOKEN = "the-channel-s-own-token"


def call_fields(digits: str, to: str = "+15552223333") -> dict[str, str]:
    """What Twilio posts to a <Gather> action."""
    return {
        "AccountSid": SID,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA5fd3e6d5c1a0e2f6a8d5c1a0e2f6a8d5",
        "CallStatus": "in-progress",
        "Called": to,
        "Caller": "+15550001111",
        "Digits": digits,
        "Direction": "outbound-api",
        "From": "+15550001111",
        "FinishedOnKey": "",
        "To": to,
    }


async def press(
    site: Site, url: str, fields: dict[str, str], auth_token: str = TWILIO_TOKEN
) -> httpx.Response:
    signature = twilio_signature(auth_token, url, list(fields.items()))
    parts = urlsplit(url)
    return await site.web.client().post(
        f"{parts.path}?{parts.query}",
        content=urlencode(fields).encode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": signature,
        },
    )


def action(site: Site, incident_id: int, channel: str = "", **changes: str) -> str:
    query = {"token": site.token(incident_id)} | ({"channel": channel} if channel else {})
    return f"{SITE}/integrations/twilio/voice/{incident_id}?{urlencode(query | changes)}"


async def status_of(site: Site, incident_id: int) -> tuple[str, str]:
    async with site.web.database.read() as connection:
        found = await connection.run_sync(incident_store.get_incident, incident_id)
    assert found is not None
    return found.status, found.acknowledged_by


async def voice_channel(site: Site, receiver: HttpReceiver) -> ChannelRow:
    settings: dict[str, object] = {
        "account_sid": SID,
        "auth_token": CHANNEL_TOKEN,
        "from_number": "+15550001111",
        "to": ["+15552223333"],
        "method": "voice",
        "api_url": receiver.url,
    }
    return await add_channel(site.web.database, "twilio", settings, "on-call phone")


@pytest.fixture
async def notifier(site: Site) -> AsyncIterator[Notifier]:
    """The notifier as the server runs it, with the server's key and address."""
    runner = batch_runner(site.web.database)
    smtp = SmtpSettings("", 0, "none", "", "", "tocsin@example.com")
    async with http_client() as client:
        outbound = LiveOutbound(client, timeout=5, allow_private=True, smtp=smtp)
        links = Links(SITE, site.secret, timedelta(days=7))
        yield Notifier(
            site.web.database,
            runner,
            outbound,
            links,
            site.web.clock,
            timeout=timedelta(seconds=5),
            recheck=timedelta(seconds=1),
            max_age=timedelta(days=1),
        )
    await runner.close()


async def test_a_call_s_keypress_acknowledges_the_whole_way(
    site: Site, receiver: HttpReceiver, notifier: Notifier
) -> None:
    receiver.default = Reply(201, b'{"sid": "CA123", "status": "queued"}')
    record = await site.web.check(name="db backup")
    channel = await voice_channel(site, receiver)  # the check's channel, as it is everyone's
    await site.web.client().post(f"/ping/{record.uuid}/fail", content=b"disk full")
    [incident] = await incidents_of(site.web.database, record)
    incident_id = incident.id

    assert await notifier.deliver_due() == 1
    [placed] = receiver.requests
    assert placed.path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    twiml = parse_qs(placed.body.decode())["Twiml"][0]
    gather = ElementTree.fromstring(twiml).find("Gather")
    assert gather is not None
    url = gather.get("action", "")
    assert f"channel={channel.uuid}" in url

    response = await press(site, url, call_fields("1"), CHANNEL_TOKEN)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    said = ElementTree.fromstring(response.text).find("Say")
    assert said is not None
    assert said.text == "Acknowledged by +15552223333 (phone). Goodbye."
    assert await status_of(site, incident_id) == ("acknowledged", "+15552223333 (phone)")


async def test_the_instance_s_token_signs_calls_without_a_channel(site: Site) -> None:
    incident_id = await site.web.incident()
    response = await press(site, action(site, incident_id), call_fields("1"))
    assert response.status_code == 200
    assert await status_of(site, incident_id) == ("acknowledged", "+15552223333 (phone)")


@pytest.mark.parametrize("digits", ["", "2", "11", "#"])
async def test_another_key_acknowledges_nothing(site: Site, digits: str) -> None:
    incident_id = await site.web.incident()
    response = await press(site, action(site, incident_id), call_fields(digits))
    assert response.status_code == 200
    assert "Not acknowledged" in response.text
    assert await status_of(site, incident_id) == ("open", "")


async def test_a_post_not_signed_for_this_address_is_refused(
    site: Site, receiver: HttpReceiver
) -> None:
    channel = await voice_channel(site, receiver)
    incident_id = await site.web.incident()
    url = action(site, incident_id)
    cases = [
        (url, TWILIO_TOKEN + "x"),  # another token
        (url.replace(SITE, "https://elsewhere.example"), TWILIO_TOKEN),  # another address
        (action(site, incident_id, str(channel.uuid)), TWILIO_TOKEN),  # not the channel's
    ]
    for target, token in cases:
        response = await press(site, target, call_fields("1"), token)
        assert response.status_code == 401, target
    unsigned = await site.web.client().post(urlsplit(url).path, content=b"Digits=1")
    assert unsigned.status_code == 401
    assert await status_of(site, incident_id) == ("open", "")


async def test_a_token_for_another_incident_or_expired_cannot_acknowledge(site: Site) -> None:
    incident_id = await site.web.incident()
    other = await site.web.incident(name="other")
    expired = site.token(incident_id, timedelta(seconds=-1))
    for url in (
        action(site, incident_id, token=site.token(other)),
        action(site, incident_id, token=expired),
        action(site, incident_id, token="garbage"),
        f"{SITE}/integrations/twilio/voice/x?token={site.token(incident_id)}",
        f"{SITE}/integrations/twilio/voice/{'9' * 30}?token=1.2",
        f"{SITE}/integrations/twilio/voice/{'9' * 5000}?token=1.2",
    ):
        response = await press(site, url, call_fields("1"))
        assert response.status_code == 403, url
        assert "can no longer acknowledge" in response.text
    assert await status_of(site, incident_id) == ("open", "")


async def test_a_resolved_incident_is_said_to_be_resolved(site: Site) -> None:
    from tocsin.services import incidents as incident_service

    incident_id = await site.web.incident()
    await incident_service.resolve(site.web.app.web.state.services, None, incident_id, "carol")
    response = await press(site, action(site, incident_id), call_fields("1"))
    assert response.status_code == 200
    assert f"Incident {incident_id} is already resolved." in response.text


@pytest.mark.parametrize(
    ("channel", "status"),
    [("nope", 404), ("6f1c1e5e-8a5b-4c39-9d7e-2f0a4b1c3d5e", 404)],
)
async def test_an_unknown_channel_is_a_404(site: Site, channel: str, status: int) -> None:
    incident_id = await site.web.incident()
    response = await press(site, action(site, incident_id, channel), call_fields("1"))
    assert response.status_code == status


@pytest.mark.parametrize("body", [b"\xff", b"no-equals-sign", b"a=1&&&"])
async def test_a_body_that_is_not_a_form_is_a_400(site: Site, body: bytes) -> None:
    incident_id = await site.web.incident()
    url = urlsplit(action(site, incident_id))
    response = await site.web.client().post(f"{url.path}?{url.query}", content=body)
    assert response.status_code == 400


async def test_a_body_too_large_is_refused(site: Site) -> None:
    incident_id = await site.web.incident()
    url = urlsplit(action(site, incident_id))
    response = await site.web.client().post(
        f"{url.path}?{url.query}", content=b"a=" + b"x" * (300 * 1024)
    )
    assert response.status_code == 413


async def test_a_call_to_a_person_s_phone_is_acknowledged_by_its_keypress(
    site: Site, receiver: HttpReceiver, notifier: Notifier
) -> None:
    receiver.default = Reply(201, b'{"sid": "CA123", "status": "queued"}')
    await member(site.web.database, "ann@example.com", (ContactKind.PHONE, "+15552223333"))
    [ann] = await people_ids(site.web.database)
    record = await site.web.check(name="db backup")
    call = Reach((Target(TargetKind.MEMBER, user_id=ann),), frozenset({Method.CALL}))
    await policy_reaching(site.web.database, record, (timedelta(0), call))
    await site.web.client().post(f"/ping/{record.uuid}/fail", content=b"disk full")
    [incident] = await incidents_of(site.web.database, record)
    account = TwilioAccount(SID, TWILIO_TOKEN, "+15550001111", receiver.url)
    notifier.providers = Providers(twilio=account)

    assert await notifier.deliver_due() == 1
    [placed] = receiver.requests
    assert placed.path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    gather = ElementTree.fromstring(parse_qs(placed.body.decode())["Twiml"][0]).find("Gather")
    assert gather is not None
    url = gather.get("action", "")
    assert "channel=" not in url

    response = await press(site, url, call_fields("1"))

    assert response.status_code == 200
    assert await status_of(site, incident.id) == ("acknowledged", "+15552223333 (phone)")
