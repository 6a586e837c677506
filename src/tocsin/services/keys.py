"""API keys: made (the key shown once, only its hash kept), revoked, and their use
recorded, once a minute at most, so people can tell a key still in use."""

from datetime import datetime

import sqlalchemy as sa

from tocsin.domain.records import ApiKey
from tocsin.services.context import Context
from tocsin.services.errors import NotFoundError
from tocsin.store import keys as key_store


async def create_key(
    context: Context, project_id: int, name: str, *, read_only: bool
) -> tuple[ApiKey, str]:
    """A new key of the project, and the key itself, which can be shown only now."""
    now = context.clock.now()
    async with context.database.write() as connection:
        return await connection.run_sync(key_store.create_key, project_id, name, read_only, now)


async def revoke_key(context: Context, project_id: int | None, key_id: int) -> ApiKey:
    """Refuse the key from now on; a key revoked before keeps its first revocation
    time. The key as it was before (None for `project_id`: of any project)."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> ApiKey:
        found = key_store.key_by_id(connection, key_id)
        if found is None or (project_id is not None and found.project_id != project_id):
            raise NotFoundError(f"no API key {key_id}")
        key_store.revoke_key(connection, key_id, now)
        return found

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def record_use(context: Context, key: ApiKey, now: datetime) -> None:
    """Note that the key was used now, unless that was noted less than a minute ago:
    recording every use would turn each API read into a write."""
    if key_store.needs_touch(key, now):
        async with context.database.write() as connection:
            await connection.run_sync(key_store.touch_key, key.id, now)
