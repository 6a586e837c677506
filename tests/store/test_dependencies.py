"""The queries held incidents run all the time use their partial indexes on SQLite: a
parent's recovery, the watcher's next look, and the checks a parent holds."""

import pytest

from tests.conftest import BACKEND
from tests.helpers import T0
from tests.store.test_query_plans import plans_when
from tocsin.store import dependencies as dependency_store
from tocsin.store.database import Database


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's query planner")
async def test_held_incidents_are_found_through_their_partial_indexes(database: Database) -> None:
    work = [
        lambda c: dependency_store.look_again(c, 1, T0),
        lambda c: dependency_store.due_releases(c, T0, 100, skip_locked=False),
        dependency_store.earliest_release,
        lambda c: dependency_store.held_children(c, [1, 2]),
    ]
    plans = [" || ".join(await plans_when(database, step)) for step in work]
    expected = [
        "ix_incidents_held_by",
        "ix_incidents_release_at",
        "ix_incidents_release_at",
        "ix_incidents_held_by",
    ]
    for plan, index in zip(plans, expected, strict=True):
        assert index in plan, plan
