"""The profile page over ASGI: a person adds, confirms, tests and removes their own
contact methods; nobody else's."""

import re
from urllib.parse import parse_qs

from tests.receivers import HttpReceiver, Reply
from tests.web.conftest import Web, running_web
from tocsin.domain.signing import sign
from tocsin.services.people import VERIFY_PURPOSE


async def test_a_person_adds_methods_with_hours_and_removes_them(web: Web) -> None:
    ann = await web.signed_in("ann@example.com")
    page = await ann.client.get("/profile")
    assert "No contact methods yet" in page.text

    refused = await ann.post("/profile/contacts", kind="phone", address="12345")
    assert refused.status_code == 400
    assert "E.164" in refused.text
    late = await ann.post(
        "/profile/contacts", kind="ntfy", address="ann", start="22:00", end="07:00", zone="Mars/X"
    )
    assert (late.status_code, "unknown time zone" in late.text) == (400, True)
    assert (await ann.post("/profile/contacts", kind="fax", address="1")).status_code == 400
    added = await ann.post(
        "/profile/contacts",
        kind="ntfy",
        address="ann-alerts",
        start="22:00",
        end="07:00",
        zone="Europe/Berlin",
    )
    assert added.status_code == 303
    page = await ann.client.get("/profile")
    assert "ann-alerts" in page.text
    assert "22:00-07:00 Europe/Berlin" in page.text
    [contact_id] = re.findall(r'data-contact="(\d+)"', page.text)

    bob = await web.signed_in("bob@example.com")
    for action in ("remove", "test", "verify"):
        stolen = await bob.post(f"/profile/contacts/{contact_id}/{action}")
        assert stolen.status_code == 404
    assert (await bob.post("/profile/contacts/abc/remove")).status_code == 404
    assert (await ann.post(f"/profile/contacts/{contact_id}/remove")).status_code == 303
    assert "ann-alerts" not in (await ann.client.get("/profile")).text


async def test_the_account_email_is_confirmed_through_its_link(web: Web) -> None:
    ann = await web.signed_in("ann@example.com")
    asked = await ann.post("/profile/account-email")
    assert "email is not set up" in asked.text  # no SMTP server in this test
    page = await ann.client.get("/profile")
    assert "not confirmed yet" in page.text
    [contact_id] = re.findall(r'data-contact="(\d+)"', page.text)
    secret = web.app.web.state.services.secret
    expires = web.clock.now().replace(year=web.clock.now().year + 1)
    token = sign(secret, f"{VERIFY_PURPOSE}:ann@example.com", int(contact_id), expires)

    wrong = await ann.client.get(f"/profile/verify?contact={contact_id}&token=1.x")
    assert wrong.status_code == 400
    bob = await web.signed_in("bob@example.com")
    assert (
        await bob.client.get(f"/profile/verify?contact={contact_id}&token={token}")
    ).status_code == 404
    confirmed = await ann.client.get(f"/profile/verify?contact={contact_id}&token={token}")
    assert "ann@example.com is confirmed" in confirmed.text
    assert "Use my account email" not in confirmed.text


async def test_a_phone_s_test_says_sms_is_not_set_up_without_a_twilio_account(web: Web) -> None:
    ann = await web.signed_in("ann@example.com")
    assert (await ann.post("/profile/contacts", kind="phone", address="+4930123456")).is_redirect
    [contact_id] = re.findall(r'data-contact="(\d+)"', (await ann.client.get("/profile")).text)
    tested = await ann.post(f"/profile/contacts/{contact_id}/test")
    assert "SMS and calls are not set up: TOCSIN_TWILIO_ACCOUNT_SID" in tested.text


async def test_a_phone_s_test_is_an_sms_through_the_instance_s_twilio_account(
    database_url: str, receiver: HttpReceiver
) -> None:
    receiver.default = Reply(201, b'{"sid": "SM1", "status": "queued"}')
    async with running_web(
        database_url,
        twilio_account_sid="AC1",
        twilio_auth_token="instance-token",
        twilio_from="+15550001111",
        twilio_api_url=receiver.url,
        allow_private_webhooks=True,
    ) as web:
        ann = await web.signed_in("ann@example.com")
        await ann.post("/profile/contacts", kind="phone", address="+4930123456")
        [contact_id] = re.findall(r'data-contact="(\d+)"', (await ann.client.get("/profile")).text)
        tested = await ann.post(f"/profile/contacts/{contact_id}/test")
    assert "SMS and calls are not set up" not in tested.text
    [sent] = receiver.on("/2010-04-01/Accounts/AC1/Messages.json")
    fields = parse_qs(sent.body.decode())
    assert (fields["To"], fields["From"]) == (["+4930123456"], ["+15550001111"])
