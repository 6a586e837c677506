import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tocsin.store.database import SQLITE_PAGE_SIZE, Database
from tocsin.store.migrate import migrate, pending_revisions
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
