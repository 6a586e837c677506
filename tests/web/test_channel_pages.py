"""Channels in the web app: a form for every kind made from its settings model, errors
beside their field, a real test message, removal; only owners and admins change them."""

from collections.abc import AsyncIterator

import pytest

from tests.alerts.test_notifier import fail_a_delivery
from tests.receivers import HttpReceiver, SmtpReceiver
from tests.web.conftest import Web, running_web
from tocsin.domain.records import ChannelRow
from tocsin.notify.kinds import KINDS
from tocsin.store.channels import project_channels
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner


@pytest.fixture
async def web(database_url: str, smtp: SmtpReceiver) -> AsyncIterator[Web]:
    """The web app allowed to send tests to local receivers."""
    options = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    async with running_web(database_url, allow_private_webhooks=True, **options) as running:
        yield running


async def channels(web: Web, project_id: int | None = None) -> list[ChannelRow]:
    async with web.database.read() as connection:
        return await connection.run_sync(project_channels, project_id or web.project_id)


async def test_every_kind_has_a_form_with_its_fields_and_help(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/channels"
    listing = await owner.client.get(base)
    for name, kind in KINDS.items():
        assert f'href="{base}/new?kind={name}"' in listing.text
        page = await owner.client.get(f"{base}/new?kind={name}")
        assert (name, page.status_code) == (name, 200)
        for field_name, info in kind.config.model_fields.items():
            assert f'name="{field_name}"' in page.text
            if info.description:
                assert info.description.replace("'", "&#39;") in page.text
    assert (await owner.client.get(f"{base}/new?kind=carrier-pigeon")).status_code == 404


async def test_a_webhook_with_bad_headers_is_shown_again_with_the_error(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/channels"
    sent = {"kind": "webhook", "name": "hook", "url": "https://example.com/x", "method": "PUT"}
    bad = await owner.post(f"{base}/new", **sent, headers="{not json")
    assert bad.status_code == 400
    assert 'id="config-headers-error"' in bad.text
    assert "not valid JSON" in bad.text
    assert 'value="https://example.com/x"' in bad.text
    assert "<option selected>PUT</option>" in bad.text
    wrong = await owner.post(f"{base}/new", **sent, headers="[1]")
    assert "write a JSON object" in wrong.text
    good = await owner.post(f"{base}/new", **sent, headers='{"X-Token": "abc"}', assign="yes")
    assert good.status_code == 303
    (channel,) = await channels(web)
    assert (channel.name, channel.kind) == ("hook", "webhook")
    assert channel.config == {
        "url": "https://example.com/x",
        "method": "PUT",
        "headers": {"X-Token": "abc"},
    }


async def test_a_missing_required_setting_is_an_error_beside_it(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/channels"
    missing = await owner.post(f"{base}/new", kind="slack", url="")
    assert missing.status_code == 400
    assert 'id="config-url-error"' in missing.text
    email = await owner.post(f"{base}/new", kind="email", to="ops@example.com, nope")
    assert "not an email address: nope" in email.text
    assert await channels(web) == []


async def test_a_test_message_goes_through_the_channel_and_its_outcome_is_shown(
    web: Web, receiver: HttpReceiver, smtp: SmtpReceiver
) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/channels"
    await owner.post(f"{base}/new", kind="webhook", url=f"{receiver.url}/hook")
    await owner.post(f"{base}/new", kind="email", to="ops@example.com")
    hook, mail = await channels(web)
    page = await owner.post(f"{base}/{hook.uuid}/test")
    assert "Test message sent to webhook" in page.text
    assert receiver.on("/hook")[0].json() is not None
    assert "Test message sent to email" in (await owner.post(f"{base}/{mail.uuid}/test")).text
    await smtp.wait_for(1)
    assert smtp.mail[0].recipients == ["ops@example.com"]
    receiver.default.status = 500
    failed = await owner.post(f"{base}/{hook.uuid}/test")
    assert "failed (temporary)" in failed.text


async def test_removing_needs_the_confirmation(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/channels"
    await owner.post(f"{base}/new", kind="slack", url="https://hooks.slack.com/services/x")
    (channel,) = await channels(web)
    assert (await owner.post(f"{base}/{channel.uuid}/delete")).status_code == 400
    assert (await owner.post(f"{base}/{channel.uuid}/delete", confirm="yes")).status_code == 303
    assert await channels(web) == []


async def test_members_and_viewers_look_but_do_not_change(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/channels"
    await owner.post(f"{base}/new", kind="slack", url="https://hooks.slack.com/services/x")
    (channel,) = await channels(web)
    for role in ("member", "viewer"):
        person = await web.signed_in(f"{role}@example.com", role)
        page = await person.client.get(base)
        assert channel.label in page.text
        assert "Send a test" not in page.text
        assert "Add a channel" not in page.text
        for action in ("test", "delete"):
            refused = await person.post(f"{base}/{channel.uuid}/{action}", confirm="yes")
            assert (role, action, refused.status_code) == (role, action, 403)
        refused = await person.post(f"{base}/new", kind="slack", url="https://x.example")
        assert refused.status_code == 403
    assert len(await channels(web)) == 1


async def test_a_failing_channel_is_shown_failing_with_a_warning(
    web: Web, database: Database, runner: BatchRunner, receiver: HttpReceiver
) -> None:
    await fail_a_delivery(database, runner, receiver, "pager")
    owner = await web.signed_in("ops@example.com")

    page = (await owner.client.get(f"/projects/{web.project_id}/channels")).text

    assert 'id="failing-channels"' in page
    assert "1 channel is failing: alerts to pager are not getting through" in page
    assert (
        '<strong class="error">failing</strong> since <time datetime="2026-03-01T12:00:01' in page
    )
    assert "HTTP 503: busy" in page
