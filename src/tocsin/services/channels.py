"""Where alerts go: a project's channels added, removed and sent a test message. A
channel is named by its uuid within the acting project (None: any project, for the
command line, which names channels across projects)."""

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tocsin.alerts.notifier import send_test
from tocsin.domain.records import ChannelRow
from tocsin.notify.base import ChannelConfigError, DeliveryError, parse_config
from tocsin.notify.kinds import UnknownKindError, kind_named
from tocsin.services.context import Context
from tocsin.services.errors import InvalidError, NotFoundError
from tocsin.store import channels as channel_store


def channel_in(
    connection: sa.Connection, project_id: int | None, channel_uuid: uuid.UUID
) -> ChannelRow:
    """The channel, if it is the project's; `NotFoundError` otherwise."""
    found = channel_store.channels_named(connection, str(channel_uuid))
    if not found or (project_id is not None and found[0].project_id != project_id):
        raise NotFoundError(f"no channel {channel_uuid}")
    return found[0]


def checked_config(kind: str, config: dict[str, Any]) -> str:
    """The kind's own name, once `config` holds settings it accepts; `InvalidError` if not."""
    try:
        found = kind_named(kind)
        parse_config(found, config)
    except UnknownKindError as error:
        raise InvalidError("kind", str(error)) from None
    except ChannelConfigError as error:
        raise InvalidError("config", str(error)) from None
    return found.name


async def create_channel(
    context: Context,
    project_id: int,
    kind: str,
    name: str,
    config: dict[str, Any],
    *,
    assign_to_all_checks: bool,
) -> ChannelRow:
    """A channel of the project; with `assign_to_all_checks`, every check of the project
    notifies it. Its settings are checked against its kind first (`InvalidError`)."""
    kind_name = checked_config(kind, config)
    now = context.clock.now()

    def work(connection: sa.Connection) -> ChannelRow:
        return channel_store.insert_channel(
            connection,
            project_id,
            kind_name,
            name,
            config,
            now,
            assign_to_all_checks=assign_to_all_checks,
        )

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def delete_channel(
    context: Context, project_id: int | None, channel_uuid: uuid.UUID
) -> ChannelRow:
    """Remove the channel; checks and policies stop using it. The channel removed."""

    def work(connection: sa.Connection) -> ChannelRow:
        found = channel_in(connection, project_id, channel_uuid)
        channel_store.delete_channel(connection, found.id)
        return found

    async with context.database.write() as connection:
        return await connection.run_sync(work)


@dataclass(frozen=True, slots=True)
class SentTest:
    """A test message's channel, and why it did not get through (None: it did)."""

    channel: ChannelRow
    error: DeliveryError | None


async def send_test_message(
    context: Context, project_id: int | None, channel_uuid: uuid.UUID
) -> SentTest:
    """Send a real test message to the channel now, and say how it went."""
    async with context.database.read() as connection:
        found = await connection.run_sync(channel_in, project_id, channel_uuid)
    return SentTest(found, await send_test(context.settings, found))
