"""The schema revision read without Alembic agrees with Alembic."""

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tocsin.config import Settings
from tocsin.store.database import Database
from tocsin.store.migrate import alembic_config
from tocsin.store.schema import KNOWN_REVISIONS, NEWEST_REVISION, newest, schema_revision


def test_the_newest_revision_is_alembics_head_and_every_revision_is_known() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == NEWEST_REVISION
    assert {script.revision for script in scripts.walk_revisions()} == KNOWN_REVISIONS


def test_a_branching_history_has_no_single_newest_revision() -> None:
    with pytest.raises(RuntimeError, match="2 heads"):
        newest({"0001": None, "0002": "0001", "0003": "0001"})


async def test_a_migrated_database_is_at_the_newest_revision(database: Database) -> None:
    assert await database.read_with(schema_revision) == NEWEST_REVISION


async def test_an_empty_database_has_no_revision(tmp_path: Path) -> None:
    empty = Database(Settings.from_env({}, database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        assert await empty.read_with(schema_revision) is None
    finally:
        await empty.close()
