"""People's contact methods through `services.people`, on a real database: added with
their addresses checked, an email verified by the link mailed to it, tested, given
hours, and removed only by their owner."""

import re
from dataclasses import replace
from datetime import time

import pytest

from tests.receivers import HttpReceiver, SmtpReceiver
from tests.services.conftest import Recorder
from tocsin.domain.people import ActiveHours, ContactKind
from tocsin.services import accounts as account_service
from tocsin.services import people
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError

PASSWORD = "correct horse battery"


def mailing(context: Recorder, smtp: SmtpReceiver) -> Recorder:
    settings = replace(
        context.settings, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none"
    )
    return replace(context, settings=settings)


async def test_an_account_email_is_verified_by_the_link_mailed_to_it(
    context: Recorder, smtp: SmtpReceiver
) -> None:
    user_id = await account_service.create_account(
        context, "alice@example.com", PASSWORD, is_admin=True
    )
    contact = await people.add_account_email(context, user_id)
    assert (contact.kind, contact.address, contact.verified) == (
        ContactKind.EMAIL,
        "alice@example.com",
        None,
    )
    assert await people.add_account_email(context, user_id) == contact
    assert await people.send_verification(mailing(context, smtp), user_id, contact.id) == ""
    await smtp.wait_for(1)
    assert smtp.mail[0].recipients == ["alice@example.com"]
    found = re.search(
        r"/profile/verify\?contact=(\d+)&token=(\S+)", smtp.mail[0].part("text/plain")
    )
    assert found is not None
    assert int(found.group(1)) == contact.id

    with pytest.raises(ConflictError, match="expired"):
        await people.verify_contact(context, user_id, contact.id, found.group(2) + "x")
    with pytest.raises(NotFoundError):
        await people.verify_contact(context, user_id + 1, contact.id, found.group(2))
    verified = await people.verify_contact(context, user_id, contact.id, found.group(2))
    assert verified.verified == context.clock.now()


async def test_addresses_are_checked_by_their_kind_and_added_once(context: Recorder) -> None:
    user_id = await account_service.create_account(
        context, "a@example.com", PASSWORD, is_admin=True
    )
    with pytest.raises(InvalidError, match=r"E\.164"):
        await people.add_contact(context, user_id, ContactKind.PHONE, "0301234")
    with pytest.raises(InvalidError, match="Slack member id"):
        await people.add_contact(context, user_id, ContactKind.SLACK, "alice")
    with pytest.raises(InvalidError, match="unknown kind 'fax'"):
        people.contact_kind("fax")
    phone = await people.add_contact(context, user_id, ContactKind.PHONE, "+4930123456")
    assert phone.verified is not None
    with pytest.raises(ConflictError, match="already"):
        await people.add_contact(context, user_id, ContactKind.PHONE, " +4930123456 ")
    assert [c.address for c in await people.list_contacts(context, user_id)] == ["+4930123456"]


async def test_a_method_has_hours_and_only_its_owner_changes_it(context: Recorder) -> None:
    alice = await account_service.create_account(context, "a@example.com", PASSWORD, is_admin=True)
    bob = await account_service.create_account(context, "b@example.com", PASSWORD, is_admin=False)
    topic = await people.add_contact(context, alice, ContactKind.NTFY, "alice-alerts")
    days = ActiveHours(time(8), time(20), "Europe/Berlin")
    await people.set_contact_hours(context, alice, topic.id, days)
    [found] = await people.list_contacts(context, alice)
    assert found.hours == days
    with pytest.raises(NotFoundError):
        await people.remove_contact(context, bob, topic.id)
    await people.remove_contact(context, alice, topic.id)
    assert await people.list_contacts(context, alice) == []


async def test_a_test_message_goes_to_the_method_through_the_instance_providers(
    context: Recorder, receiver: HttpReceiver
) -> None:
    user_id = await account_service.create_account(
        context, "a@example.com", PASSWORD, is_admin=True
    )
    topic = await people.add_contact(context, user_id, ContactKind.NTFY, "alice-alerts")
    chat = await people.add_contact(context, user_id, ContactKind.TELEGRAM, "12345")
    with_ntfy = replace(context, settings=replace(context.settings, ntfy_url=receiver.url))
    assert await people.test_contact(with_ntfy, user_id, topic.id) == ""
    [sent] = receiver.on("/alice-alerts")
    assert b"test notification" in sent.body
    assert "TOCSIN_TELEGRAM_BOT_TOKEN" in await people.test_contact(context, user_id, chat.id)
