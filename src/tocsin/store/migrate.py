"""Applying Alembic migrations from inside Tocsin (`tocsin migrate`, and on `serve`)."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tocsin.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(database: Database) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once."""
    if database.is_sqlite:
        await migrate_sqlite(database)
        return
    async with database.write() as connection:
        # Processes sharing one PostgreSQL database queue up here instead of racing.
        await connection.execute(sa.text("SELECT pg_advisory_xact_lock(8675309)"))
        await connection.run_sync(upgrade_to_head)


async def migrate_sqlite(database: Database) -> None:
    """Migrations with SQLite's foreign keys off, as SQLite prescribes for changing a
    table: a migration that alters a table in batch mode copies it, drops the old one
    and renames the copy, and with foreign keys on, dropping `checks` deleted every
    ping, flip and incident of every check (ON DELETE CASCADE). Whether every key
    still points at a row is checked before the commit instead. The pragma does
    nothing inside a transaction, so it is set around it."""
    async with database.engine.connect() as connection:
        await connection.run_sync(enforce_foreign_keys, False)
        try:
            await connection.execution_options(tocsin_write=True)
            async with connection.begin():
                await connection.run_sync(upgrade_to_head)
                await connection.run_sync(check_foreign_keys)
        finally:
            await connection.run_sync(enforce_foreign_keys, True)


def enforce_foreign_keys(connection: sa.Connection, on: bool) -> None:
    # On the driver's connection: SQLAlchemy's would begin a transaction first.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    cursor.close()


def check_foreign_keys(connection: sa.Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"a migration left keys that point at no row: {broken[:5]}")


def upgrade_to_head(connection: sa.Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def pending_revisions(database: Database) -> bool:
    """True when the database is behind the code's newest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with database.read() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    return current != head
