"""API keys made, revoked and their use recorded through `services.keys`."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.services.conftest import Projects, Recorder
from tocsin.domain.records import ApiKey
from tocsin.services import keys as key_service
from tocsin.services.errors import NotFoundError
from tocsin.store import keys as key_store
from tocsin.store.tables import api_keys


async def active(context: Recorder, secret: str) -> ApiKey | None:
    async with context.database.read() as connection:
        return await connection.run_sync(key_store.active_key, secret)


async def test_a_new_key_is_shown_once_and_opens_its_project(
    context: Recorder, projects: Projects
) -> None:
    key, secret = await key_service.create_key(context, projects.ours, "terraform", read_only=True)
    assert (key.project_id, key.name, key.read_only, key.created, key.revoked) == (
        projects.ours,
        "terraform",
        True,
        context.clock.now(),
        None,
    )
    assert secret.startswith(key.prefix)
    assert await active(context, secret) == key
    async with context.database.read() as connection:
        stored = await connection.scalar(sa.select(api_keys.c.key_hash))
    assert stored == key_store.hash_key(secret) != secret


async def test_a_revoked_key_opens_nothing_and_keeps_its_first_revocation(
    context: Recorder, projects: Projects
) -> None:
    key, secret = await key_service.create_key(context, projects.ours, "", read_only=False)
    with pytest.raises(NotFoundError):
        await key_service.revoke_key(context, projects.theirs, key.id)
    with pytest.raises(NotFoundError):
        await key_service.revoke_key(context, None, key.id + 1)
    assert await active(context, secret) == key

    first_revoked_at = context.clock.now()
    before = await key_service.revoke_key(context, projects.ours, key.id)
    assert before == key
    context.clock.advance(timedelta(hours=1))
    again = await key_service.revoke_key(context, None, key.id)
    assert again.revoked == first_revoked_at
    assert await active(context, secret) is None


async def test_use_is_recorded_once_a_minute_at_most(context: Recorder, projects: Projects) -> None:
    _key, secret = await key_service.create_key(context, projects.ours, "", read_only=False)
    start = context.clock.now()
    for seconds in (0, 59, 60):
        found = await active(context, secret)
        assert found is not None
        await key_service.record_use(context, found, start + timedelta(seconds=seconds))
    used = await active(context, secret)
    assert used is not None
    assert used.last_used == start + timedelta(seconds=60)
    stale = await active(context, secret)
    assert stale is not None
    await key_service.record_use(context, stale, start + timedelta(seconds=90))
    assert await active(context, secret) == used
