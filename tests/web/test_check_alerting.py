"""The check form's escalation policy and channels: a new check notifies every channel by
default, saving sets both, another project's policy or channel is refused beside its
field, and viewers change nothing."""

import uuid
from typing import Any

import httpx

from tests.web.conftest import Person, Web
from tocsin.domain.records import ChannelRow, CheckRecord
from tocsin.store import checks as check_store
from tocsin.store.channels import channel_uuids, check_policies, insert_channel, insert_policy

FILLED = {"name": "db backup", "kind": "period", "period": "1d", "grace": "1h"}


async def channel(web: Web, name: str, project_id: int | None = None) -> ChannelRow:
    async with web.database.write() as connection:
        return await connection.run_sync(
            lambda sync: insert_channel(
                sync,
                project_id or web.project_id,
                "slack",
                name,
                {"url": "https://hooks.example/x"},
                web.clock.now(),
                assign_to_all_checks=False,
            )
        )


async def policy(web: Web, name: str, project_id: int | None = None) -> int:
    owner = project_id or web.project_id
    async with web.database.write() as connection:
        return await connection.run_sync(
            lambda sync: insert_policy(sync, owner, name, [], web.clock.now())
        )


async def alerting_of(web: Web, check_id: int) -> tuple[int | None, set[uuid.UUID]]:
    async with web.database.read() as connection:
        policies = await connection.run_sync(check_policies, web.project_id)
        used = await connection.run_sync(lambda sync: channel_uuids(sync, check_id=check_id))
    return policies.get(check_id), set(used.get(check_id, []))


async def send(person: Person, path: str, **data: Any) -> httpx.Response:
    return await person.client.post(path, data={"csrf_token": person.csrf, **FILLED, **data})


async def created_check(web: Web, response: httpx.Response) -> CheckRecord:
    assert response.status_code == 303, response.text
    check_uuid = uuid.UUID(response.headers["location"].rsplit("/", 1)[1])
    async with web.database.read() as connection:
        found = await connection.run_sync(check_store.check_by_uuid, check_uuid)
    assert found is not None
    return found


async def test_the_new_check_form_offers_the_projects_policies_and_ticks_every_channel(
    web: Web,
) -> None:
    person = await web.signed_in("ops@example.com")
    ours = [await channel(web, "ops"), await channel(web, "oncall")]
    await channel(web, "theirs", web.other_project_id)
    await policy(web, "night")
    await policy(web, "elsewhere", web.other_project_id)
    page = await person.client.get(f"/projects/{web.project_id}/checks/new")
    assert "Project default: every channel of the check at once" in page.text
    assert ">night</option>" in page.text
    assert "elsewhere" not in page.text
    assert "theirs" not in page.text
    for mine in ours:
        assert f'value="{mine.uuid}" checked' in page.text


async def test_creating_a_check_sets_its_policy_and_channels(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    ops, _oncall = await channel(web, "ops"), await channel(web, "oncall")
    night = await policy(web, "night")
    base = f"/projects/{web.project_id}/checks"
    record = await created_check(
        web, await send(person, f"{base}/new", policy=str(night), channel=[str(ops.uuid)])
    )
    assert await alerting_of(web, record.id) == (night, {ops.uuid})


async def test_editing_changes_the_policy_and_channels_and_shows_them(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    ops, oncall = await channel(web, "ops"), await channel(web, "oncall")
    night = await policy(web, "night")
    check = await web.check(name="db backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    chosen = [str(ops.uuid), str(oncall.uuid), str(ops.uuid)]  # a repeat counts once
    assert (await send(person, edit, policy=str(night), channel=chosen)).status_code == 303
    assert await alerting_of(web, check.id) == (night, {ops.uuid, oncall.uuid})
    page = await person.client.get(edit)
    assert f'<option value="{night}" selected>' in page.text
    assert f'value="{oncall.uuid}" checked' in page.text
    assert (await send(person, edit, policy="")).status_code == 303
    assert await alerting_of(web, check.id) == (None, set())


async def test_another_projects_policy_or_channel_is_refused_beside_its_field(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    ops = await channel(web, "ops")
    night = await policy(web, "night")
    theirs = await channel(web, "theirs", web.other_project_id)
    their_policy = await policy(web, "elsewhere", web.other_project_id)
    check = await web.check(name="db backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    await send(person, edit, policy=str(night), channel=[str(ops.uuid)])
    for fields, problem in (
        ({"policy": str(their_policy)}, "choose one of this project&#39;s escalation policies"),
        ({"policy": "not-a-number"}, "choose one of this project&#39;s escalation policies"),
        ({"channel": [str(theirs.uuid)]}, "choose among this project&#39;s channels"),
        ({"channel": ["nonsense"]}, "choose among this project&#39;s channels"),
    ):
        refused = await send(person, edit, **fields)
        assert refused.status_code == 400, fields
        assert problem in refused.text, fields
        assert await alerting_of(web, check.id) == (night, {ops.uuid})
    new = await send(person, f"/projects/{web.project_id}/checks/new", policy=str(their_policy))
    assert new.status_code == 400


async def test_a_viewer_cannot_change_a_checks_alerting(web: Web) -> None:
    viewer = await web.signed_in("look@example.com", role="viewer")
    ops = await channel(web, "ops")
    night = await policy(web, "night")
    check = await web.check(name="db backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    refused = await send(viewer, edit, policy=str(night), channel=[str(ops.uuid)])
    assert refused.status_code == 403
    assert await alerting_of(web, check.id) == (None, set())
