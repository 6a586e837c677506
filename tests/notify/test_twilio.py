"""Twilio: the SMS and the call build() makes for each number, the TwiML a call reads,
the settings, and real deliveries to a local stand-in for Twilio's API."""

import base64
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest

from tests.notify.messages import ACK_URL, AWKWARD_NAME, down, up
from tests.receivers import HttpReceiver, Reply
from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.outbound import LiveOutbound
from tocsin.notify.twilio import (
    KIND,
    TwilioAccount,
    TwilioConfig,
    call,
    requests_for,
    sms,
    voice_twiml,
)

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "ack-token"
SITE = "https://tocsin.example"


def config(**changes: object) -> TwilioConfig:
    values: dict[str, object] = {
        "account_sid": SID,
        "auth_token": "secret-token",
        "from_number": "+15550001111",
        "to": ["+15552223333", "+447700900123"],
    }
    return TwilioConfig.model_validate(values | changes)


def form(body: bytes | None) -> dict[str, str]:
    assert body is not None
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


def test_an_sms_is_a_form_posted_to_the_account_s_messages_with_basic_auth() -> None:
    account = TwilioAccount(SID, "secret-token", "+15550001111")
    request = sms(account, "+15552223333", "hello")

    assert (request.method, request.url) == (
        "POST",
        f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json",
    )
    expected = base64.b64encode(f"{SID}:secret-token".encode()).decode()
    assert request.headers == {
        "Authorization": f"Basic {expected}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert form(request.content) == {"To": "+15552223333", "From": "+15550001111", "Body": "hello"}


def test_a_down_alert_by_sms_goes_to_every_number_with_the_link() -> None:
    first, second = requests_for(config(), down())
    assert form(first.content)["To"] == "+15552223333"
    assert form(second.content)["To"] == "+447700900123"
    text = form(first.content)["Body"]
    assert text.splitlines()[0] == "nightly-backup is DOWN"
    assert text.splitlines()[-1] == f"Acknowledge: {ACK_URL}"


def test_a_call_reads_the_alert_and_gathers_one_key_posted_to_tocsin() -> None:
    message = down(ack_token=TOKEN, site_url=SITE, channel_uuid="c-1")
    [first, _] = requests_for(config(method="voice"), message, "c-1")

    assert first.url.endswith("/Calls.json")
    sent = form(first.content)
    assert (sent["To"], sent["From"]) == ("+15552223333", "+15550001111")
    root = ElementTree.fromstring(sent["Twiml"])
    gather = root.find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("method")) == ("1", "POST")
    action = urlsplit(gather.get("action", ""))
    assert (action.scheme, action.netloc, action.path) == (
        "https",
        "tocsin.example",
        "/integrations/twilio/voice/42",
    )
    assert parse_qs(action.query) == {"token": [TOKEN], "channel": ["c-1"]}
    said = " ".join(say.text or "" for say in gather.iter("Say"))
    assert said.startswith("Tocsin alert. nightly-backup is DOWN.")
    assert said.endswith("Press 1 to acknowledge.")


def test_what_a_call_reads_is_escaped_xml() -> None:
    twiml = voice_twiml(down(check_name=AWKWARD_NAME, ack_token=TOKEN, site_url=SITE))
    gather = ElementTree.fromstring(twiml).find("Gather")
    assert gather is not None
    assert AWKWARD_NAME in (gather.find("Say").text or "")  # type: ignore[union-attr]


def test_a_recovery_is_an_sms_even_for_a_voice_channel() -> None:
    [first, _] = requests_for(config(method="voice"), up())
    assert first.url.endswith("/Messages.json")
    assert form(first.content)["Body"].startswith("nightly-backup is UP again")


def test_a_test_call_only_reads() -> None:
    twiml = voice_twiml(down(ack_token="", incident_id=None))
    assert ElementTree.fromstring(twiml).find("Gather") is None


def test_an_account_from_instance_settings_sends_the_same_way() -> None:
    account = TwilioAccount(SID, "t", "+15550001111", api_url="http://127.0.0.1:9/")
    request = call(account, "+15552223333", "<Response/>")
    assert request.url == f"http://127.0.0.1:9/2010-04-01/Accounts/{SID}/Calls.json"
    assert form(request.content)["Twiml"] == "<Response/>"


@pytest.mark.parametrize("number", ["5552223333", "+1 555 222", "+", "+١٢٣"])
def test_numbers_must_be_in_e164_form(number: str) -> None:
    raw = config().model_dump() | {"to": [number]}
    with pytest.raises(ChannelConfigError, match=r"^to: Value error, .* is not a number in E.164"):
        parse_config(KIND, raw)


async def test_delivers_an_sms_to_each_number_through_the_api(
    receiver: HttpReceiver, outbound: LiveOutbound
) -> None:
    receiver.default = Reply(201, b'{"sid": "SM123", "status": "queued"}')
    settings = config(api_url=receiver.url)

    await KIND.deliver(settings, down(), outbound)

    assert [r.path for r in receiver.requests] == [f"/2010-04-01/Accounts/{SID}/Messages.json"] * 2
    first = receiver.requests[0]
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"
    assert first.headers["authorization"].startswith("Basic ")
    assert form(first.body)["To"] == "+15552223333"
