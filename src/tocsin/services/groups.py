"""Heartbeat groups (Better Stack's, kept beside Tocsin's checks): made, changed and
deleted. Pausing a group pauses every check in it; resuming resumes them all, each
new again until its next ping. Deleting a group keeps its checks, outside any group."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tocsin.domain.records import Group
from tocsin.services import checks as check_service
from tocsin.services.changes import KEEP, Keep
from tocsin.services.context import Context
from tocsin.services.errors import NotFoundError
from tocsin.store import checks as check_store
from tocsin.store import heartbeats as store


@dataclass(frozen=True, slots=True)
class GroupChanges:
    """What to change of a group; `KEEP` leaves a field as it is."""

    name: str | Keep = KEEP
    sort_index: int | Keep | None = KEEP
    paused: bool | Keep = KEEP

    def column_values(self) -> dict[str, Any]:
        chosen = {"name": self.name, "sort_index": self.sort_index, "paused": self.paused}
        return {column: value for column, value in chosen.items() if not isinstance(value, Keep)}


async def create_group(
    context: Context,
    project_id: int,
    name: str,
    *,
    sort_index: int | None = None,
    paused: bool = False,
) -> Group:
    now = context.clock.now()
    values = {"name": name, "sort_index": sort_index, "paused": paused}
    return await context.database.write_with(store.insert_group, project_id, values, now)


def owned_group(connection: sa.Connection, project_id: int, group_id: int) -> Group:
    group = store.project_group(connection, project_id, group_id)
    if group is None:
        raise NotFoundError(f"no heartbeat group {group_id} in this project")
    return group


async def update_group(
    context: Context, project_id: int, group_id: int, changes: GroupChanges
) -> Group:
    """Change the group; a change of `paused` pauses or resumes every check in it."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> Group:
        group = owned_group(connection, project_id, group_id)
        store.update_group(connection, group.id, changes.column_values(), now)
        if not isinstance(changes.paused, Keep) and changes.paused != group.paused:
            members = store.group_check_ids(connection, group.id)
            pause_or_resume(connection, members, changes.paused, now)
        return owned_group(connection, project_id, group_id)

    return await context.database.write_with(work)


async def delete_group(context: Context, project_id: int, group_id: int) -> None:
    """Delete the group; its checks stay, outside any group."""

    def work(connection: sa.Connection) -> None:
        store.delete_group(connection, owned_group(connection, project_id, group_id).id)

    await context.database.write_with(work)


def pause_or_resume(
    connection: sa.Connection, check_ids: list[int], paused: bool, now: datetime
) -> None:
    """In the caller's transaction, through the same steps as `tocsin check
    pause/resume`; resuming a check that is not paused changes nothing."""
    for record in check_store.checks_with_ids(connection, check_ids, for_update=True):
        if paused:
            check_service.pause_check_in(connection, record, now)
        else:
            check_service.resume_check_in(connection, record, now)
