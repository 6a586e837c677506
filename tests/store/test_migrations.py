from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.alerts.test_incidents import ping
from tests.helpers import T0, make_check
from tocsin.domain.checks import Action
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.migrate import alembic_config, migrate, pending_revisions, upgrade_to_head
from tocsin.store.quickread import SQLITE_PAGE_SIZE
from tocsin.store.tables import metadata


def schema_differences(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return list(compare_metadata(context, metadata))


async def test_migrations_build_exactly_the_tables_the_code_declares(database: Database) -> None:
    async with database.read() as connection:
        differences = await connection.run_sync(schema_differences)
    assert differences == []


async def test_migrating_again_changes_nothing(database: Database) -> None:
    await migrate(database)
    await migrate(database)
    assert not await pending_revisions(database)


async def test_sqlite_runs_in_wal_mode(database: Database) -> None:
    if not database.is_sqlite:
        return
    async with database.read() as connection:
        mode = await connection.scalar(sa.text("PRAGMA journal_mode"))
    assert mode == "wal"


async def test_a_new_sqlite_database_has_small_pages(database: Database) -> None:
    if not database.is_sqlite:
        return
    async with database.read() as connection:
        page_size = await connection.scalar(sa.text("PRAGMA page_size"))
    assert page_size == SQLITE_PAGE_SIZE == 2048


async def test_open_incidents_once_called_started_are_open_after_the_upgrade(
    database: Database, runner: BatchRunner
) -> None:
    record = await make_check(database, now=T0)
    await ping(runner, record, T0, Action.FAIL)
    statuses = sa.text("SELECT status FROM incidents")

    async def statuses_after(step: Callable[[sa.Connection], None]) -> list[str]:
        async with database.write() as connection:
            await connection.run_sync(step)
            return list(await connection.scalars(statuses))

    def back_to_0010(connection: sa.Connection) -> None:
        command.downgrade(alembic_config(connection), "0010")

    assert await statuses_after(back_to_0010) == ["started"]
    assert await statuses_after(upgrade_to_head) == ["open"]
