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
    async with database.write() as connection:
        if not database.is_sqlite:
            # Processes sharing one PostgreSQL database queue up here instead of racing.
            await connection.execute(sa.text("SELECT pg_advisory_xact_lock(8675309)"))
        await connection.run_sync(upgrade_to_head)


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
